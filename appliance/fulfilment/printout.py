"""The pick slip (REPORT_DOCUMENTS["pick_slip"]): an order to pick and pack, laid out in the
receipt language from the order and its fulfilment (``order_id`` in the job's payload).

The slip goes into the parcel or onto the shelf with the goods, so it carries the recipient
and address of a delivery (what the courier and the packer need) but no prices.
"""

from __future__ import annotations

from dataclasses import asdict

from appliance.clock import parse_ts
from appliance.i18n import _, language
from drivers.printer.layout import COLUMNS, Line, columns, wrap


def document(box, payload: dict) -> dict:
    settings = box.master.settings
    paper = settings.get("receipt.width_mm")
    with language(settings.get("receipt.language")):
        lines = slip_lines(box, payload["order_id"], paper)
    return {"lines": [asdict(ln) for ln in lines], "cut": True, "paper_mm": paper}


def _local(box, ts: str) -> str:
    return parse_ts(ts).astimezone(box.orders.tz).strftime("%Y-%m-%d %H:%M") if ts else ""


def slip_lines(box, order_id: str, paper: int) -> list[Line]:
    cols = COLUMNS[paper]
    order = box.orders.get_order(order_id)
    ful = box.fulfilment.get(order_id)
    rule = Line("-" * cols)
    out = [Line(box.master.settings.get("shop.name"), "center", bold=True, double=True),
           Line(_("PICK SLIP"), "center", bold=True)]
    if ful["source"] == "head_office":
        out.append(Line(_("Online order"), "center", bold=True))
    out.append(rule)
    rows = [(_("Order no."), order.number)]
    if ful["external_ref"]:
        rows.append((_("Online ref"), ful["external_ref"]))
    rows += [(_("Opened"), _local(box, order.opened_at)),
             (_("Delivery") if ful["kind"] == "delivery" else _("Pick-up in store"),
              _(ful["status"])),
             (_("Payment"), _("paid") if order.status == "paid" else _("to pay at pick-up")
              if ful["kind"] == "pickup" else _("not paid"))]
    for label, value in rows:
        out += [Line(t) for t in columns(label, value, cols)]
    out.append(rule)
    who = ful["recipient"] or order.customer_name
    phone = ful["phone"] or order.customer_phone
    if who:
        out += [Line(t) for t in wrap(_("Recipient: {name}", name=who), cols)]
    if phone:
        out += [Line(t) for t in wrap(_("Phone: {phone}", phone=phone), cols)]
    if ful["address"]:
        for part in ful["address"].splitlines():
            out += [Line(t) for t in wrap(_("Address: {address}", address=part), cols)]
    if who or phone or ful["address"]:
        out.append(rule)
    out += [Line(t, bold=True) for t in columns(_("Item"), _("Qty"), cols)]
    count = 0
    for ln in order.lines:
        qty = ln.qty - ln.refunded_qty
        if qty <= 0:
            continue
        count += qty
        label = ln.name + (f" {ln.spec}" if ln.spec else "")
        out += [Line(t) for t in columns("[ ] " + label, f"x{qty}", cols)]
        code = ln.sku or ln.barcode
        if code:
            out.append(Line("    " + code))
    out.append(rule)
    out += [Line(t, bold=True) for t in columns(_("Total pieces"), str(count), cols)]
    for note in (ful["note"], order.note):
        if note:
            for part in note.splitlines():
                out += [Line(t) for t in wrap(_("Note: {note}", note=part), cols)]
    out += [Line(""), Line(_("Picked by: ________"))]
    return out
