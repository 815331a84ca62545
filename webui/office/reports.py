"""The office's reports page (issue 9; docs/reports.md): a period picker, then every section
as a chart and a table, each with its CSV link, and a button that prints the summary.
Rendered on the server (charts are SVG from charts.py); the only script is the print button.
"""

from __future__ import annotations

from flask import current_app, request
from flask_babel import gettext as _

from appliance.errors import ValidationError
from appliance.money import format_amount
from appliance.reports import AMOUNT_KEYS
from appliance.reports.export import columns, method_label, rows_of

from ..access import access
from . import bp, office_page
from .charts import bar_chart, hbar_chart


def script_strings() -> dict:
    return {"reports_print_queued": _("The summary is queued for the receipt printer"),
            "reports_print_failed": _("Could not print: %(why)s", why="{why}")}


def yuan(fen: int) -> str:
    return "￥" + format_amount(fen)


def cell(key: str, value) -> str:
    """A table cell as the page shows it."""
    if value is None:
        return "—"
    if key in AMOUNT_KEYS and isinstance(value, int):
        return yuan(value)
    if key.endswith("_pct"):
        return f"{value}%"
    return str(value)


def presets() -> list[tuple[str, str]]:
    return [("today", _("Today")), ("yesterday", _("Yesterday")), ("this_week", _("This week")),
            ("last_week", _("Last week")), ("this_month", _("This month")),
            ("last_month", _("Last month"))]


def charts_of(report: dict) -> dict:
    """The charts of the page: net sales over time, and rankings."""
    def series(rows, label):
        return [(label(r), r["net"], yuan(r["net"])) for r in rows]
    out = {"hours": bar_chart(series(report["hours"], lambda r: r["label"][:2]),
                              _("Net sales by hour")),
           "visitors": bar_chart([(r["label"][:2], r["visitors"], str(r["visitors"]))
                                  for r in report["hours"]], _("Visitors by hour"))}
    if len(report["days"]) > 1:
        out["days"] = bar_chart(series(report["days"], lambda r: r["day"][5:]),
                                _("Net sales by day"))
    if len(report["weeks"]) > 1:
        out["weeks"] = bar_chart(series(report["weeks"], lambda r: r["key"][5:]),
                                 _("Net sales by week"))
    if len(report["months"]) > 1:
        out["months"] = bar_chart(series(report["months"], lambda r: r["key"]),
                                  _("Net sales by month"))
    out["categories"] = hbar_chart([(r["name"], r["net"], yuan(r["net"]))
                                    for r in report["categories"][:10]],
                                   _("Net sales by category"))
    out["top_products"] = hbar_chart(
        [(r["name"] + (f" {r['spec']}" if r["spec"] else ""), r["net"], yuan(r["net"]))
         for r in report["top_products"]], _("Top products by net sales"))
    out["tenders"] = hbar_chart([(method_label(r["method"]), r["net"], yuan(r["net"]))
                                 for r in report["tenders"]], _("Net sales by tender"))
    out["staff"] = hbar_chart([(r["name"], r["opened_sales"], yuan(r["opened_sales"]))
                               for r in report["staff"]], _("Sales by who opened the order"))
    return out


def section_titles() -> list[tuple[str, str]]:
    return [("hours", _("By hour")), ("days", _("By day")), ("weeks", _("By week")),
            ("months", _("By month")), ("categories", _("By category")),
            ("top_products", _("Top products")), ("slow_products", _("Slow products")),
            ("products", _("All products")), ("staff", _("By staff")),
            ("tenders", _("By tender")), ("member_levels", _("By member level")),
            ("refund_reasons", _("Refunds by reason"))]


@bp.get("/office/reports")
@access("reports.view")
def reports():
    box = current_app.config["BOX"]
    error = ""
    try:
        period = box.reports.period(request.args.get("from") or None,
                                    request.args.get("to") or None,
                                    name=request.args.get("period") or None)
    except ValidationError as exc:
        error = exc.message
        period = box.reports.period()
    report = box.reports.build(period)
    cols = columns()
    # A period of one day (week, month) needs no table of one row by day (week, month).
    single = {key for key in ("days", "weeks", "months") if len(report[key]) < 2}
    tables = [(key, title, cols[key], [[cell(k, row.get(k)) for k, _l in cols[key]]
                                       for row in rows_of(report, key)])
              for key, title in section_titles() if key not in single]
    query = f"from={period.first.isoformat()}&to={period.last.isoformat()}"
    return office_page("office_reports.html", "office.reports", report=report, error=error,
                       summary=report["summary"], yuan=yuan, charts=charts_of(report),
                       tables=tables, query=query, presets=presets(),
                       chosen=request.args.get("period", ""))
