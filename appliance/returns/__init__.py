"""Returns without a receipt and exchanges (issue 10 point 2; docs/returns.md).

Finding the original sale (member phone, date, product, order number), exchanging in one
transaction (return lines plus new lines, only the difference settled), store credit as a
refund tender, manager approval above the refund limit, reasons recorded.

The money logic is the order engine's (:meth:`OrderEngine.refund_in_tx`: each line's share
of what was paid, the cashier's limit, points reversal, tenders). An exchange is, in one
journal transaction, an ``order.refunded`` on the original (its ``exchange`` tender and link
name the new order) and a new order whose first payment is an ``exchange`` tender of the
returned value (its ``exchange`` field names the original and the refund); the customer pays
the difference with ordinary tenders, or gets it back with refund tenders.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from .. import money
from ..errors import Conflict, NotFound, ValidationError
from ..i18n import _
from ..ledger import Ledger
from ..master import MasterData
from ..members.model import phone_digits_sql
from ..orders.permissions import Actor, require
from ..validate import text
from . import codes

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")

#: Why something came back; "other" needs a few words.
REASONS = ("defective", "wrong_size", "not_as_described", "changed_mind", "other")
#: At most this many sales answer a search (newest first).
MAX_RESULTS = 50
_DIGITS = re.compile(r"[\s-]+")


def reason_text(code, note) -> tuple[str, str]:
    """(code, the refund's reason text) from a reason code and an optional note."""
    if code not in REASONS:
        raise ValidationError(_("reason must be one of {reasons}", reasons=", ".join(REASONS)),
                              field="reason")
    note = text(note, "reason_text", 160)
    if code == "other" and not note:
        raise ValidationError(_("say what the other reason is"), field="reason_text")
    return code, f"{code}: {note}" if note else code


def _mask(phone: str) -> str:
    """A phone as the search list shows it: enough to confirm with the customer."""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else phone


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class Returns:
    def __init__(self, ledger: Ledger, master: MasterData, timezone: str, *, orders):
        self.ledger = ledger
        self.master = master
        self.timezone = timezone
        self.tz = ZoneInfo(timezone)
        self.orders = orders

    # -- finding the original sale -------------------------------------------------------

    def find_sales(self, actor: Actor, *, phone=None, day=None, product=None,
                   number=None) -> list[dict]:
        """Paid orders matching every filter given (at least one), newest first, with
        what each line can still return."""
        require(actor, "order.find", what="finding a sale")
        where, params = ["o.status = 'paid'"], []
        phone = text(phone, "phone", 20)
        day = text(day, "day", 10)
        product = text(product, "product", 48)
        number = text(number, "number", 20)
        if not (phone or day or product or number):
            raise ValidationError(_("give a phone, a date, a product or an order number"),
                                  field="phone")
        if phone:
            digits = _DIGITS.sub("", phone)
            if len(digits) < 4 or not digits.lstrip("+").isdigit():
                raise ValidationError(_("customer phone \"{phone}\" is not a phone number",
                                        phone=phone), field="phone")
            where.append(f"({phone_digits_sql('o.customer_phone')} = ? OR o.member_id IN"
                         " (SELECT id FROM members WHERE phone = ?))")   # members: digits
            params += [digits, digits]
        if day:
            try:
                parsed = date.fromisoformat(day)
            except ValueError:
                raise ValidationError(_("day must be YYYY-MM-DD"), field="day") from None
            where.append("o.business_day = ?")
            params.append(parsed.strftime("%Y%m%d"))
        if product:
            where.append("o.id IN (SELECT order_id FROM order_lines WHERE barcode = ? OR"
                         " sku = ? OR product_id = ? OR name LIKE ? ESCAPE '\\')")
            params += [product, product, product, _like(product)]
        if number:
            # The whole number (20261127-0012), or its daily part (0012 or 12).
            if re.fullmatch(r"\d{8}-\d{1,6}", number):
                where.append("o.number = ?")
                params.append(number)
            elif number.isdigit() and len(number) <= 6:
                where.append("CAST(SUBSTR(o.number, 10) AS INTEGER) = ?")
                params.append(int(number))
            else:
                raise ValidationError(_("order number {number} is not an order number",
                                        number=number), field="number")
        from ..orders import model
        with self.ledger.reading() as conn:
            ids = [r[0] for r in conn.execute(
                f"SELECT o.id FROM orders o WHERE {' AND '.join(where)}"
                " ORDER BY o.completed_at DESC, o.number DESC LIMIT ?",
                (*params, MAX_RESULTS)).fetchall()]
            found = [model.load_order(conn, i) for i in ids]
        return [self.sale_json(o) for o in found if o is not None]

    def sale_json(self, order) -> dict:
        """A sale as the returns panel shows it: what each line can still give back."""
        window = self.master.settings.get("returns.window_days")
        now = self.ledger.now()
        from ..clock import parse_ts
        age = (now - parse_ts(order.completed_at)).days if order.completed_at else 0
        lines = []
        for ln in order.lines:
            left = ln.qty - ln.refunded_qty
            lines.append({
                "line_id": ln.line_id, "product_id": ln.product_id, "name": ln.name,
                "spec": ln.spec, "barcode": ln.barcode, "qty": ln.qty,
                "unit_price": money.format_amount(ln.unit_price),
                "net": money.format_amount(ln.net or 0),
                "refunded_qty": ln.refunded_qty,
                "refunded_amount": money.format_amount(ln.refunded_amount),
                "returnable_qty": left,
                "returnable_amount": money.format_amount(
                    (ln.net or 0) - ln.refunded_amount if left else 0)})
        completed = (parse_ts(order.completed_at).astimezone(self.tz)
                     .strftime("%Y-%m-%d %H:%M") if order.completed_at else "")
        return {"order_id": order.id, "number": order.number, "receipt_no": order.receipt_no,
                "completed_at": order.completed_at, "completed_local": completed,
                "total": money.format_amount(order.total or 0),
                "refunded": money.format_amount(order.refunded),
                "member_id": order.member_id,
                "customer_phone": _mask(order.customer_phone),
                "tenders": sorted({p.method for p in order.live_payments}),
                "age_days": age, "outside_window": age >= window, "lines": lines}

    # -- plain returns -----------------------------------------------------------------------

    def refund(self, actor: Actor, order_id: str, *, lines, reason, reason_note="",
               tenders=None, store_credit: bool = False, approver: Actor | None = None,
               restock: bool = True):
        """Return lines of a found sale: to the original tenders (or ``tenders``), or all
        of it as store credit. Returns the engine's Refund."""
        require(actor, "order.find", what="returning a found sale")
        code, reason = reason_text(reason, reason_note)
        if store_credit:
            if tenders is not None:
                raise ValidationError(_("give tenders or store credit, not both"),
                                      field="tenders")
            order = self.orders.get_order(order_id)
            value = self.orders.refund_value(order, lines)
            tenders = [("store_credit", value, "")] if value else []
        return self.orders.refund(actor, order_id, reason=reason, lines=lines,
                                  tenders=tenders, approver=approver, restock=restock,
                                  reason_code=code)

    # -- exchanges -------------------------------------------------------------------------

    def exchange(self, actor: Actor, order_id: str, *, lines, items, reason, reason_note="",
                 payments=None, refund_tenders=None, approver: Actor | None = None,
                 restock: bool = True) -> dict:
        """Return ``lines`` [(line_id, qty)] of a paid order and sell ``items``
        [{"barcode"| "product_id", "variant_id", "qty"}] in one journal transaction.

        The new order costs N, the returned lines are worth R: R (up to N) is carried over as
        an ``exchange`` tender; when N > R the customer pays N − R with ``payments``
        [(method, amount, reference)] (cash may give change); when R > N, R − N is given back
        with ``refund_tenders`` (default: the original tenders; ``store_credit`` allowed).
        Any failure (stock, approval, a payment short) leaves nothing recorded."""
        require(actor, "order.exchange", what="exchanging")
        code, reason = reason_text(reason, reason_note)
        if not lines:
            raise ValidationError(_("choose at least one line to return"), field="lines")
        items = self._items(items)
        with self.ledger.transaction() as tx:
            original = self.orders._load(tx, order_id)
            if original.status != "paid":
                raise Conflict(_("order {number} is {status}: only paid orders can be"
                                 " exchanged", number=original.number, status=original.status))
            value = self.orders.refund_value(original, lines)
            new = self.orders.open_order(actor, customer_name=original.customer_name,
                                         customer_phone=original.customer_phone,
                                         note=_("exchange for order {number}",
                                                number=original.number))
            for item in items:
                serials = item.pop("serials")
                before = {ln.line_id for ln in self.orders._load(tx, new.id).lines}
                after = self.orders.add_line(actor, new.id, **item)
                if serials:   # serialised goods going out: their numbers, before payment
                    from ..aftersales.serials import set_serials
                    line = next((ln for ln in after.lines if ln.line_id not in before),
                                after.lines[-1])
                    set_serials(self, actor, new.id, line.line_id, serials)
            if original.member_id:
                row = tx.one("SELECT active FROM members WHERE id = ?", (original.member_id,))
                if row and row[0]:
                    self.orders.set_member(actor, new.id, original.member_id)
            new = self.orders._load(tx, new.id)
            due = self.orders._price(new, tx.conn, tx.now()).total
            carried = min(value, due)
            refund_id = self.orders.refund_in_tx(
                tx, actor, order_id, reason=reason, lines=lines,
                tenders=refund_tenders if value > due else None, approver=approver,
                restock=restock, reason_code=code,
                exchange={"amount": carried, "order_id": new.id, "number": new.number})
            if refund_tenders is not None and value <= due:
                raise ValidationError(_("nothing is given back: the new items cost at least"
                                        " as much as the returned ones"), field="refund_tenders")
            completed = self.orders.exchange_payment_in_tx(
                tx, actor, new.id, carried, {"order_id": order_id, "number": original.number,
                                             "refund_id": refund_id})
            change = 0
            if not completed:
                if not payments:
                    raise ValidationError(
                        _("the customer owes {amount}: take a payment",
                          amount=money.format_amount(due - carried)), field="payments")
                for i, (method, amount, reference) in enumerate(payments):
                    if completed:   # a payment the order no longer needs: the customer
                        # may have been charged for it already, so refuse the lot
                        raise ValidationError(
                            _("payment {n} is more than the customer owes: the ones before"
                              " it settle the exchange", n=i + 1), field="payments")
                    res = self.orders.add_payment(actor, new.id, method, amount,
                                                  reference=reference)
                    change += res.change
                    completed = res.completed
                if not completed:
                    left = self.orders._load(tx, new.id)
                    raise ValidationError(
                        _("the payments are {short} short of the {amount} the customer owes",
                          short=money.format_amount(left.total - left.paid),
                          amount=money.format_amount(due - carried)), field="payments")
            elif payments:
                raise ValidationError(_("the customer owes nothing: take no payment"),
                                      field="payments")
            orig_after = self.orders._load(tx, order_id)
            new_after = self.orders._load(tx, new.id)
            refund = next(r for r in orig_after.refunds if r.id == refund_id)
        audit.info("exchange order=%s new=%s returned=%s new_total=%s by=%s reason=%s",
                   original.number, new_after.number, money.format_amount(value),
                   money.format_amount(due), actor.staff_id, code)
        return {"original": orig_after, "new": new_after, "refund": refund,
                "returned": value, "new_total": due, "difference": due - value,
                "change": change}

    def quote(self, actor: Actor, order_id: str, *, lines, items=()) -> dict:
        """What returning ``lines`` is worth, what ``items`` cost now (priced for the
        original's member) and the difference; nothing is written. An empty ``items`` is a
        plain return."""
        require(actor, "order.find", what="finding a sale")
        order = self.orders.get_order(order_id)
        if not lines:
            raise ValidationError(_("choose at least one line to return"), field="lines")
        value = self.orders.refund_value(order, lines)
        cart, names = [], []
        for item in (self._items(items) if items else []):
            if item["barcode"]:
                found = self.master.catalog.lookup_barcode(item["barcode"])
                if found is None:
                    raise NotFound(_("no product has barcode {barcode}",
                                     barcode=item["barcode"]), field="items")
                product, variant = found
                vid = variant.id if variant else (item["variant_id"] or "")
            else:
                product = self.master.catalog.find_product(item["product_id"])
                if product is None:
                    raise NotFound(_("product {product_id} does not exist",
                                     product_id=item["product_id"]), field="items")
                vid = item["variant_id"] or ""
            item.pop("serials", None)
            cart.append((product.id, vid, item["qty"]))
            names.append((product.name, bool(getattr(product, "serialised", False))))
        member = None
        if order.member_id:
            with self.ledger.reading() as conn:
                row = conn.execute("SELECT active FROM members WHERE id = ?",
                                   (order.member_id,)).fetchone()
            member = order.member_id if row and row[0] else None
        priced = self.orders.preview(cart, member_id=member) if cart else None
        total = priced.total if priced else 0
        given = max(value - total, 0)
        limit = self.master.settings.get("orders.cashier_refund_limit")
        unapproved = sum(r.amount - sum(t["amount"] for t in r.tenders
                                        if t["method"] == "exchange")
                         for r in order.refunds if r.approved_by is None)
        new_lines = []
        if priced:
            for i, ((name, serialised), (_p, _v, qty)) in enumerate(zip(names, cart), start=1):
                new_lines.append({"name": name, "qty": qty, "serialised": serialised,
                                  "net": money.format_amount(
                                      priced.lines.get(f"l{i}", {}).get("net", 0))})
        return {"order_id": order.id, "number": order.number,
                "returned": money.format_amount(value), "new_total": money.format_amount(total),
                "difference": money.format_amount(total - value),
                "to_pay": money.format_amount(max(total - value, 0)),
                "to_give_back": money.format_amount(given),
                "needs_approval": bool(self.sale_json(order)["outside_window"]
                                       or unapproved + given > limit),
                "new_lines": new_lines}

    def _items(self, items) -> list[dict]:
        if not isinstance(items, list) or not items:
            raise ValidationError(_("add at least one new item to exchange for"),
                                  field="items")
        out = []
        for item in items:
            if not isinstance(item, dict):
                raise ValidationError(_("each new item is a barcode or a product id and a"
                                        " quantity"), field="items")
            qty = item.get("qty", 1)
            if isinstance(qty, bool) or not isinstance(qty, int) or not 0 < qty <= 9999:
                raise ValidationError(_("{field} must be from {low} to {MAX_QTY}",
                                        field="qty", low=1, MAX_QTY=9999), field="items")
            barcode = item.get("barcode") or None
            product_id = item.get("product_id") or None
            if not barcode and not product_id:
                raise ValidationError(_("give a barcode or a product id"), field="items")
            serials = item.get("serials")
            if serials is not None and not isinstance(serials, list):
                raise ValidationError(_("serials must be a list of serial numbers"),
                                      field="serials")
            out.append({"barcode": barcode, "product_id": product_id,
                        "variant_id": item.get("variant_id") or None, "qty": qty,
                        "serials": serials or []})
        return out

    # -- credit notes ------------------------------------------------------------------------

    def credit_notes_of(self, refund_id: str) -> list[dict]:
        """The credit notes a refund issued: code (grouped) and amount."""
        with self.ledger.reading() as conn:
            rows = conn.execute("SELECT code, amount FROM credit_notes WHERE refund_id = ?"
                                " ORDER BY last_seq", (refund_id,)).fetchall()
        return [{"code": codes.display(c), "amount": money.format_amount(a)} for c, a in rows]

    def credit_note(self, code: str) -> dict:
        """A credit note's balance (what the counter checks before taking it)."""
        norm = codes.normalize(code)
        with self.ledger.reading() as conn:
            row = conn.execute(
                "SELECT c.code, c.amount, c.remaining, c.issued_at, o.number FROM credit_notes c"
                " LEFT JOIN orders o ON o.id = c.order_id WHERE c.code = ?",
                (norm,)).fetchone() if norm else None
        if row is None:
            raise NotFound(_("there is no credit note {code}", code=str(code)[:24]),
                           field="code")
        issued = datetime.fromisoformat(row[3].replace("Z", "+00:00")).astimezone(self.tz)
        return {"code": codes.display(row[0]), "amount": money.format_amount(row[1]),
                "remaining": money.format_amount(row[2]), "issued_at": row[3],
                "issued_local": issued.strftime("%Y-%m-%d %H:%M"), "order_number": row[4],
                "used_up": row[2] == 0}
