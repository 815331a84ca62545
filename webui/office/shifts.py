"""The office's shifts page (issue 9; docs/shifts.md): the shifts with who opened and closed
them, their floats and over/short, and the X/Z reports with their figures. Rendered on the
server; the reprint buttons use js/shift.js. Also the strings of the counter's shift panel."""

from __future__ import annotations

from flask import current_app, g
from flask_babel import gettext as _

from appliance.clock import parse_ts
from appliance.money import format_amount
from appliance.orders.permissions import allowed
from drivers.printer.layout import METHOD_LABELS

from ..access import access
from . import bp, office_page


def method_label(method: str) -> str:
    return _(METHOD_LABELS.get(method, method))   # the receipt's labels, in the page's language


def _shift_row(box, s) -> dict:
    return {"id": s.id, "number": s.number, "status": s.status, "float": format_amount(s.float),
            "opened_at": s.opened_at, "opened_by": box.master.staff.name_of(s.opened_by),
            "closed_at": s.closed_at, "closed_by": box.master.staff.name_of(s.closed_by),
            "override_by": box.master.staff.name_of(s.override_by), "note": s.note, "close_reason": s.close_reason,
            "over_short": [(method_label(m), format_amount(d), d)
                           for m, d in (s.over_short or {}).items()],
            "cash_moves": len(s.cash_moves)}


@bp.get("/office/shifts")
@access("shift.close")
def shifts():
    box = current_app.config["BOX"]
    rows = [_shift_row(box, s) for s in box.shifts.recent(50)]
    reports = box.shifts.reports(None, 30) if allowed(g.actor, "report.x") else []
    for r in reports:
        r["created_by_name"] = box.master.staff.name_of(r["created_by"])
    tz = box.shifts.tz

    def local(ts: str) -> str:
        return parse_ts(ts).astimezone(tz).strftime("%Y-%m-%d %H:%M")
    return office_page("office_shifts.html", "office.shifts", shifts=rows, reports=reports,
                       fmt=format_amount, method_label=method_label, local=local)


def script_strings() -> dict:
    """The counter's shift panel (js/shift.js) and the office page's reprint buttons."""
    return {
        "sh_button": _("Shift"), "sh_none": _("No shift open"),
        "sh_open_n": _("Shift %(n)s open", n="{n}"),
        "sh_state": _("Shift %(n)s opened %(t)s by %(who)s, float ￥%(float)s",
                      n="{n}", t="{t}", who="{who}", float="{float}"),
        "sh_required": _("This shop takes money only while a shift is open."),
        "sh_paid_in": _("Cash paid in"), "sh_paid_out": _("Cash paid out"),
        "sh_move": _("%(kind)s ￥%(amount)s: %(reason)s", kind="{kind}", amount="{amount}",
                     reason="{reason}"),
        "sh_moved": _("Recorded: the drawer opens"),
        "sh_opened": _("Shift %(n)s is open", n="{n}"),
        "sh_counted_total": _("Cash counted"),
        "sh_tender": _("Tender"), "sh_expected": _("Expected"), "sh_counted": _("Counted"),
        "sh_over_short": _("Over/short"),
        "sh_closed_title": _("Shift %(n)s handed over", n="{n}"),
        "sh_approved_by": _("Approved by %(name)s: %(reason)s", name="{name}",
                            reason="{reason}"),
        "sh_x_title": _("X report %(n)s", n="{n}"), "sh_z_title": _("Z report %(n)s", n="{n}"),
        "sh_printing": _("Queued for the printer"),
        "sh_sales": _("Sales"), "sh_refunds": _("Refunds"), "sh_net": _("Net"),
        "sh_orders": _("Orders"), "sh_net_sales": _("Net sales"),
        "sh_records": _("Records %(a)s to %(b)s", a="{a}", b="{b}"),
        "sh_top_ups": _("Member top-ups"), "sh_voids": _("Voided payments"),
        "sh_reprint_queued": _("A copy is queued for the printer"),
    }
