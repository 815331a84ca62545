"""Receipt layout: what goes on which line, in fixed-width columns.

Paper is 32 columns (58 mm) or 48 (80 mm) in the printer's standard font. Chinese characters
(East Asian wide or full-width) take two columns, so widths are counted per character, not
per code point. Amounts are right-aligned; names that do not fit are wrapped, never cut.
Labels come from the translation catalog in the receipt's language (zh_CN by default).
Adjustments are round-off, discounts and promotions (printed under the promotion's own name);
a member sale ends with a member block (points, stored value, the phone masked).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from appliance.i18n import _
from appliance.money import format_amount

COLUMNS = {58: 32, 80: 48}
DOTS = {58: 384, 80: 576}   # printable width in dots at 203 dpi
YUAN = "￥"  # U+FFE5: GBK printers cannot print U+00A5 (python-escpos sends it as 4 bytes)


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def wrap(text: str, cols: int) -> list[str]:
    """Break text into lines of at most ``cols`` columns (at any character: CJK has no
    spaces)."""
    lines, cur, cur_w = [], "", 0
    for ch in text:
        w = width(ch)
        if cur_w + w > cols:
            lines.append(cur)
            cur, cur_w = "", 0
        cur += ch
        cur_w += w
    if cur or not lines:
        lines.append(cur)
    return lines


def columns(left: str, right: str, cols: int) -> list[str]:
    """``left`` then ``right`` flush right on the same line; left wraps above if too long."""
    room = cols - width(right) - 1
    parts = wrap(left, max(room, 1))
    last = parts[-1]
    return parts[:-1] + [last + " " * (cols - width(last) - width(right)) + right]


def money(fen: int) -> str:
    return YUAN + format_amount(fen)


@dataclass
class Line:
    text: str
    align: str = "left"      # left | center | right
    bold: bool = False
    double: bool = False     # double width and height (shop name, total)


@dataclass
class Receipt:
    """Everything printed; built from a paid order and the shop's settings."""
    shop_name: str
    order_number: str
    receipt_no: int
    time: str
    cashier: str
    lines: list[dict]                 # name, spec, qty, unit_price, amount (fen)
    subtotal: int
    adjustments: list[dict]           # label, amount (fen, negative for discounts)
    total: int
    tenders: list[dict]               # method, amount (fen), reference
    change: int
    header: str = ""
    address: str = ""
    phone: str = ""
    footer: str = ""
    qr_url: str = ""
    copy: str = "customer"            # customer | reprint
    extra: dict = field(default_factory=dict)
    # name, card or phone, points_earned, points_balance, balance (stored value, fen); any
    # may be missing. None: not a member sale.
    member: dict | None = None
    stored_change: int = 0            # change put on the member's card (存零), fen
    tax_id: str = ""                  # the shop's taxpayer id (纳税人识别号), issue 11


METHOD_LABELS = {"cash": "Cash", "card": "Card", "transfer": "Bank transfer",
                 "cheque": "Cheque", "wechat": "WeChat Pay", "alipay": "Alipay",
                 "member_balance": "Member balance", "points": "Points",
                 # issue 10 returns (docs/returns.md)
                 "credit_note": "Credit note", "store_credit": "Store credit",
                 "exchange": "Exchange"}
# Marked for the translation catalog (the labels above are looked up at print time).
_("Member balance")
_("Points")
_("Credit note")
_("Store credit")
_("Exchange")


def lay_out(r: Receipt, paper_mm: int = 80) -> list[Line]:
    cols = COLUMNS[paper_mm]
    rule = "-" * cols
    out: list[Line] = [Line(r.shop_name, "center", bold=True, double=True)]
    out += [Line(t, "center") for t in r.header.splitlines() if t]
    out += [Line(t, "center") for t in (r.address, r.phone) if t]
    if r.tax_id:
        out += [Line(t, "center") for t in wrap(_("Tax ID: {tax_id}", tax_id=r.tax_id), cols)]
    if r.copy == "reprint":
        out.append(Line(_("REPRINT"), "center", bold=True))
    out.append(Line(rule))
    out += [Line(t) for t in columns(_("Receipt no."), f"#{r.receipt_no:06d}", cols)]
    out += [Line(t) for t in columns(_("Order no."), r.order_number, cols)]
    out += [Line(t) for t in columns(_("Time"), r.time, cols)]
    out += [Line(t) for t in columns(_("Cashier"), r.cashier, cols)]
    out.append(Line(rule))
    for ln in r.lines:
        name = ln["name"] + (f" {ln['spec']}" if ln.get("spec") else "")
        out += [Line(t) for t in wrap(name, cols)]
        qty = f"  {ln['qty']} x {format_amount(ln['unit_price'])}"
        out += [Line(t) for t in columns(qty, format_amount(ln["amount"]), cols)]
    out.append(Line(rule))
    out += [Line(t) for t in columns(_("Subtotal"), money(r.subtotal), cols)]
    for adj in r.adjustments:
        out += [Line(t) for t in columns(adjustment_label(adj), money(adj["amount"]), cols)]
    out += [Line(t, bold=True) for t in columns(_("Total"), money(r.total), cols)]
    for t in r.tenders:
        label = _(METHOD_LABELS.get(t["method"], t["method"]))
        if t.get("reference"):
            label += f" {t['reference']}"
        out += [Line(s) for s in columns(label, money(t["amount"]), cols)]
    if r.change:
        out += [Line(s, bold=True) for s in columns(_("Change"), money(r.change), cols)]
    if r.stored_change:
        out += [Line(s) for s in columns(_("Change put on the card"), money(r.stored_change),
                                         cols)]
    out.append(Line(rule))
    if r.member:
        out += member_block(r.member, cols)
        out.append(Line(rule))
    out += [Line(t, "center") for t in r.footer.splitlines() if t]
    return out


def training_mark(cols: int) -> list[Line]:
    """Heads and ends everything printed in training mode (docs/training.md): the paper must
    never pass for a sale. In the receipt language, bold, centred."""
    return [Line(t, "center", bold=True) for t in wrap(_("TRAINING — NOT A SALE"), cols)]


def adjustment_label(adj: dict) -> str:
    """The label of an adjustment line: round-off and discounts in the receipt language, a
    promotion under the name the shop gave it (it is shop data, not a catalog message)."""
    kind = adj.get("kind") or ("round_off" if adj.get("label") == "round_off" else "discount")
    if kind == "round_off":
        return _("Round-off")
    if kind == "promotion":
        return adj.get("label") or _("Promotion")
    # Pricing rules label discounts with a translation key or their own name.
    return _(adj["label"]) if adj.get("label") else _("Discount")


def mask_phone(phone: str) -> str:
    """13812345678 -> 138****5678: a receipt leaves the shop, the full number must not."""
    digits = phone.strip()
    if "*" in digits or len(digits) < 7:
        return digits
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def member_block(m: dict, cols: int) -> list[Line]:
    rows: list[tuple[str, str]] = []
    if m.get("name"):
        rows.append((_("Member"), m["name"]))
    if m.get("card"):
        rows.append((_("Member card"), m["card"]))
    elif m.get("phone"):
        rows.append((_("Phone"), mask_phone(m["phone"])))
    if m.get("points_earned") is not None:
        rows.append((_("Points earned"), f"{m['points_earned']:+d}"))
    if m.get("points_balance") is not None:
        rows.append((_("Points balance"), str(m["points_balance"])))
    if m.get("balance") is not None:
        rows.append((_("Stored value balance"), money(m["balance"])))
    return [Line(t) for label, value in rows for t in columns(label, value, cols)]
