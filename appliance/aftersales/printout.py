"""The after-sales ticket slip (REPORT_DOCUMENTS["ticket"]; docs/aftersales.md): handed to
the customer when a ticket is opened or moves on. It names the ticket, the item and its
serial number, the status and the shop's phone; of the customer only a masked phone, and
nothing at all after their data was erased (the ticket no longer holds it)."""

from __future__ import annotations

from dataclasses import asdict

from appliance.clock import parse_ts
from appliance.i18n import _, language
from drivers.printer.layout import COLUMNS, Line, columns, mask_phone, wrap


def kind_label(kind: str) -> str:
    return {"complaint": _("Complaint"), "repair": _("Repair"), "warranty": _("Warranty"),
            "return_request": _("Return request")}.get(kind, kind)


def status_label(status: str) -> str:
    return {"open": _("To do"), "in_progress": _("In progress"), "resolved": _("Resolved"),
            "closed": _("Closed")}.get(status, status)


def document(box, payload: dict) -> dict:
    settings = box.master.settings
    paper = settings.get("receipt.width_mm")
    ticket = box.aftersales.get(payload["ticket_id"])
    with language(settings.get("receipt.language")):
        lines = ticket_lines(box, ticket, paper)
    return {"lines": [asdict(ln) for ln in lines], "cut": True, "paper_mm": paper}


def _local(box, ts: str | None) -> str:
    if not ts:
        return ""
    return parse_ts(ts).astimezone(box.aftersales.tz).strftime("%Y-%m-%d %H:%M")


def ticket_lines(box, t: dict, paper: int) -> list[Line]:
    settings = box.master.settings
    cols = COLUMNS[paper]
    rule = Line("-" * cols)
    out = [Line(settings.get("shop.name"), "center", bold=True, double=True),
           Line(_("After-sales ticket"), "center", bold=True),
           Line(t["number"], "center", bold=True, double=True), rule]
    rows = [(_("Kind"), kind_label(t["kind"])), (_("Status"), status_label(t["status"])),
            (_("Opened"), _local(box, t["opened_at"]))]
    if t.get("order_number"):
        rows.append((_("Order"), t["order_number"]))
    if t.get("sold_at"):
        rows.append((_("Date of sale"), _local(box, t["sold_at"])[:10]))
    if t.get("warranty_until"):
        rows.append((_("Warranty until"), t["warranty_until"]))
    for label, value in rows:
        out += [Line(x) for x in columns(label, value, cols)]
    if t.get("item"):
        item = t["item"]["name"] + (f" ({t['item']['spec']})" if t["item"]["spec"] else "")
        out.append(Line(_("Item"), bold=True))
        out += [Line(x) for x in wrap(item, cols)]
    if t.get("serial"):
        out += [Line(x) for x in columns(_("Serial number"), t["serial"], cols)]
    if t.get("customer_phone"):
        out += [Line(x) for x in columns(_("Contact"), mask_phone(t["customer_phone"]), cols)]
    if t.get("summary"):
        out.append(rule)
        out.append(Line(_("Problem"), bold=True))
        for para in t["summary"].splitlines():
            out += [Line(x) for x in wrap(para, cols)]
    last = [e for e in t["events"] if e["status"] in ("resolved", "closed") and e["note"]]
    if last:
        out.append(Line(_("Outcome"), bold=True))
        for para in last[-1]["note"].splitlines():
            out += [Line(x) for x in wrap(para, cols)]
    out.append(rule)
    out += [Line(x, "center") for x in wrap(_("Keep this slip and quote the ticket number."),
                                              cols)]
    phone = settings.get("shop.phone")
    if phone:
        out += [Line(x, "center") for x in wrap(_("Questions: call {phone}", phone=phone),
                                                  cols)]
    return out
