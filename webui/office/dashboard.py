"""The owner's dashboard (/office, issue 9; docs/reports.md): today so far against the same
weekday last week up to the same time of day, open and parked orders, low stock, the
head-office link and the printer. Rendered on the server; the page reloads itself every
minute (a <meta> refresh: no script needed)."""

from __future__ import annotations

import logging

from flask import current_app
from flask_babel import gettext as _

from ..access import access
from . import bp, office_page
from .charts import bar_chart
from .reports import yuan

log = logging.getLogger(__name__)


def _uplink_label(state: str) -> str:
    return {"connected": _("Connected"), "offline": _("Offline: records wait on the box"),
            "not_linked": _("Not linked to head office"),
            "unknown": _("Link service not running")}.get(state, state)


def _printer_label(p: dict) -> str:
    if p["state"] == "ready":
        return _("Paper is running low") if p.get("paper_near_end") else _("Printer ready")
    if p["state"] == "unknown":
        return _("print service not running")
    reason = p.get("reason") or "offline"
    why = {"paper_out": _("out of paper"), "cover_open": _("cover open"),
           "offline": _("offline"), "not_found": _("not connected")}.get(reason, reason)
    return _("Printer: %(why)s", why=why)


def comparison(t: dict) -> list[dict]:
    """The four figures today against last week, with their change."""
    rows = []
    for key, label, money in (("net", _("Net sales"), True), ("orders", _("Orders"), False),
                              ("average_basket", _("Average basket"), True),
                              ("visitors", _("Visitors"), False)):
        today, before = t["today"][key], t["last_week"][key]
        rows.append({"key": key, "label": label, "today": today, "last_week": before,
                     "today_text": yuan(today) if money else str(today),
                     "last_week_text": yuan(before) if money else str(before),
                     "change_pct": t["change_pct"][key],
                     "up": today > before, "down": today < before})
    return rows


def _low_stock(box) -> int | None:
    try:
        return box.stock.low_stock_count()
    except Exception:  # noqa: BLE001 - a broken count must not take the dashboard down
        log.exception("cannot count low-stock items for the dashboard")
        return None


@bp.get("/office")
@access("reports.view")
def dashboard():
    box = current_app.config["BOX"]
    devices = current_app.config["DEVICES"]
    t = box.reports.today_so_far()
    rows = comparison(t)
    chart = bar_chart([(_("Last week"), t["last_week"]["net"], yuan(t["last_week"]["net"])),
                       (_("Today"), t["today"]["net"], yuan(t["today"]["net"]))],
                      _("Net sales so far: today against the same weekday last week"),
                      height=140)
    uplink, printer = devices.uplink(), devices.printer()
    return office_page("office_dashboard.html", "office.dashboard", t=t, rows=rows,
                       chart=chart, low_stock=_low_stock(box), uplink=uplink,
                       uplink_label=_uplink_label(uplink["state"]), printer=printer,
                       printer_label=_printer_label(printer))
