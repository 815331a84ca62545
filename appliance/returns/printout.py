"""The credit note slip (REPORT_DOCUMENTS["credit_note"]): store credit given to a customer
who is not a member, laid out in the receipt language from the projection (``code`` in the
job's payload). The slip carries the code as text and as a QR code for the counter's
scanner; whoever holds it can spend it, so it is printed once (reprints: docs/returns.md)."""

from __future__ import annotations

from dataclasses import asdict

from appliance.i18n import _, language
from drivers.printer.layout import COLUMNS, Line, columns, money, wrap

from .codes import display


def document(box, payload: dict) -> dict:
    settings = box.master.settings
    paper = settings.get("receipt.width_mm")
    code = payload["code"]
    with box.ledger.reading() as conn:
        row = conn.execute(
            "SELECT c.amount, c.issued_at, o.number FROM credit_notes c LEFT JOIN orders o"
            " ON o.id = c.order_id WHERE c.code = ?", (code,)).fetchone()
    with language(settings.get("receipt.language")):
        lines = slip_lines(box, code, row, paper)
    return {"lines": [asdict(ln) for ln in lines], "qr": code, "cut": True, "paper_mm": paper}


def slip_lines(box, code: str, row, paper: int) -> list[Line]:
    cols = COLUMNS[paper]
    out = [Line(box.master.settings.get("shop.name"), "center", bold=True, double=True),
           Line(_("CREDIT NOTE"), "center", bold=True), Line("-" * cols)]
    if row is None:
        return out + [Line(_("credit note {code} does not exist", code=display(code)))]
    amount, issued_at, number = row
    from appliance.clock import parse_ts
    local = parse_ts(issued_at).astimezone(box.returns.tz).strftime("%Y-%m-%d %H:%M")
    for label, value in ((_("Issued"), local), (_("For order"), number or "")):
        out += [Line(t) for t in columns(label, value, cols)]
    out += [Line(t, bold=True) for t in columns(_("Value"), money(amount), cols)]
    out += [Line("-" * cols), Line(display(code), "center", bold=True, double=True),
            *[Line(t) for t in wrap(_("Show this slip to pay at the counter. Whoever holds it"
                                      " can spend it."), cols)]]
    return out
