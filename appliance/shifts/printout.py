"""Paper for shifts (REPORT_DOCUMENTS["shift"]): the X and Z reports and the handover slip,
laid out in the receipt language from what the journal recorded (``report_id`` or
``shift_id`` in the job's payload)."""

from __future__ import annotations

from dataclasses import asdict

from appliance.clock import parse_ts
from appliance.i18n import _, language
from drivers.printer.layout import COLUMNS, METHOD_LABELS, Line, columns, money, wrap


def _tender_rows() -> tuple:
    """The tender figures on paper, in order, with their labels in the receipt language."""
    return (("sales", _("Sales")), ("refunds", _("Refunds")), ("top_ups", _("Top-ups")),
            ("stored_change", _("Change left on cards")), ("paid_in", _("Cash paid in")), ("paid_out", _("Cash paid out")), ("net", _("Net")))


def document(box, payload: dict) -> dict:
    settings = box.master.settings
    paper = settings.get("receipt.width_mm")
    with language(settings.get("receipt.language")):
        if payload.get("report_id"):
            lines = report_lines(box, box.shifts.report(payload["report_id"]), paper,
                                 reprint=payload.get("copy") == "reprint")
        else:
            lines = handover_lines(box, box.shifts.get(payload["shift_id"]), paper)
    return {"lines": [asdict(ln) for ln in lines], "cut": True, "paper_mm": paper}


def _local(box, ts: str | None) -> str:
    if not ts:
        return ""
    return parse_ts(ts).astimezone(box.shifts.tz).strftime("%Y-%m-%d %H:%M")


def method_label(method: str) -> str:
    return _(METHOD_LABELS.get(method, method))


def _pairs(rows, cols: int, bold: bool = False) -> list[Line]:
    return [Line(t, bold=bold) for label, value in rows for t in columns(label, value, cols)]


def _head(box, title: str, cols: int) -> list[Line]:
    return [Line(box.master.settings.get("shop.name"), "center", bold=True, double=True),
            Line(title, "center", bold=True), Line("-" * cols)]


def report_lines(box, r: dict, paper: int, *, reprint: bool = False) -> list[Line]:
    cols = COLUMNS[paper]
    rule = Line("-" * cols)
    title = (_("X report {number}", number=r["number"]) if r["kind"] == "x"
             else _("Z report {number}", number=r["number"]))
    out = _head(box, title, cols)
    if reprint:
        out.insert(2, Line(_("REPRINT"), "center", bold=True))
    rows = [(_("Business day"), r["business_day"])]
    if r.get("shift_number") is not None:
        rows.append((_("Shift"), str(r["shift_number"])))
    rows += [(_("From"), _local(box, r.get("from_ts"))), (_("To"), _local(box, r.get("to_ts"))),
             (_("Records"), f"{r['first_seq']}-{r['last_seq']}"),
             (_("Printed by"), box.master.staff.name_of(r.get("created_by")))]
    out += _pairs(rows, cols)
    out.append(rule)
    out.append(Line(_("By tender"), bold=True))
    for method, figures in r["tenders"].items():
        out.append(Line(method_label(method)))
        out += _pairs([("  " + label, money(figures[key])) for key, label in _tender_rows()
                       if figures.get(key) or key == "net"], cols)
    out.append(rule)
    out.append(Line(_("By tax rate"), bold=True))
    for t in r["tax_rates"]:
        rate = f"{t['rate'] // 100}.{t['rate'] % 100:02d}%"
        out += _pairs([(rate, money(t["gross"])), ("  " + _("Tax contained"), money(t["tax"]))],
                      cols)
    out.append(rule)
    out.append(Line(_("By category"), bold=True))
    for c in r["categories"]:
        out += [Line(t) for t in wrap(c["name"] or _("No category"), cols)]
        out += _pairs([(f"  x {c['qty']}", money(c["net"]))], cols)
    out.append(rule)
    o = r["orders"]
    out += _pairs([
        (_("Orders"), str(o["count"])), (_("Sales before discounts"), money(o["subtotal"])),
        (_("Discounts"), money(-o["discounts"])), (_("Round-off"), money(o["rounding"])),
        (_("Sales"), money(o["total"])),
        (_("Refunds ({n})", n=r["refunds"]["count"]), money(-r["refunds"]["amount"]))], cols)
    out += _pairs([(_("Net sales"), money(o["net"]))], cols, bold=True)
    out += _pairs([
        (_("Voided payments ({n})", n=r["voids"]["count"]), money(r["voids"]["amount"])),
        (_("Member top-ups ({n})", n=r["top_ups"]["count"]), money(r["top_ups"]["amount"])),
        (_("Cash paid in ({n})", n=r["cash"]["paid_in_count"]), money(r["cash"]["paid_in"])),
        (_("Cash paid out ({n})", n=r["cash"]["paid_out_count"]), money(r["cash"]["paid_out"]))],
        cols)
    if r["kind"] == "x":
        out += _pairs([(_("Float"), money(r.get("float", 0)))], cols)
    else:
        out += _pairs([(_("Floats ({n})", n=r["floats"]["count"]), money(r["floats"]["amount"]))],
                      cols)
        for s in r["shifts"]:
            out.append(Line(_("Shift {number} over/short", number=s["number"])))
            out += _pairs([("  " + method_label(m), money(d)) for m, d in s["over_short"].items()
                           if d], cols)
        out += _pairs([(_("Over/short") + " " + method_label(m), money(d))
                       for m, d in r["over_short"].items()], cols, bold=True)
    out.append(rule)
    out.append(Line(_("Chain head")))
    out += [Line(t) for t in wrap(r["head_hash"], cols)]
    return out


def handover_lines(box, shift, paper: int) -> list[Line]:
    cols = COLUMNS[paper]
    rule = Line("-" * cols)
    out = _head(box, _("Shift handover {number}", number=shift.number), cols)
    out += _pairs([(_("Opened at"), _local(box, shift.opened_at)),
                   (_("Opened by"), box.master.staff.name_of(shift.opened_by)),
                   (_("Closed at"), _local(box, shift.closed_at)),
                   (_("Closed by"), box.master.staff.name_of(shift.closed_by)),
                   (_("Float"), money(shift.float))], cols)
    out.append(rule)
    out.append(Line(_("Cash counted"), bold=True))
    counts = (shift.counted or {}).get("denominations", {})
    for value in sorted(counts, key=int, reverse=True):
        out += _pairs([(f"{money(int(value))} x {counts[value]}",
                        money(int(value) * counts[value]))], cols)
    out.append(rule)
    expected, counted = shift.expected or {}, (shift.counted or {}).get("tenders", {})
    for method, diff in (shift.over_short or {}).items():
        out.append(Line(method_label(method), bold=True))
        out += _pairs([("  " + _("Expected"), money(expected.get(method, 0))),
                       ("  " + _("Counted"), money(counted.get(method, 0))),
                       ("  " + _("Over/short"), money(diff))], cols)
    if shift.override_by:
        out.append(rule)
        out += _pairs([(_("Approved by"), box.master.staff.name_of(shift.override_by))], cols)
    if shift.close_reason:
        out += [Line(t) for t in wrap(_("Reason: {reason}", reason=shift.close_reason), cols)]
    out.append(Line(""))
    out += _pairs([(_("Signature"), "________________")], cols)
    return out

