"""A report's short summary on the receipt printer (REPORT_DOCUMENTS["summary"]): worked out
when printerd claims the job (so it is as of printing), in the receipt language, amounts with
"￥" (U+FFE5: GBK printers cannot print "¥")."""

from __future__ import annotations

from dataclasses import asdict
from drivers.printer.layout import COLUMNS, Line, columns, money, wrap

from ..i18n import _, language
from .export import method_label

#: Products on paper (the screen and CSV have them all).
TOP_ON_PAPER = 5


def document(box, payload: dict) -> dict:
    settings = box.master.settings
    paper = settings.get("receipt.width_mm")
    reports = box.reports
    period = reports.period(payload["from"], payload["to"])
    report = reports.build(period)
    printed = box.ledger.now().astimezone(reports.tz)
    with language(settings.get("receipt.language")):
        lines = summary_lines(settings.get("shop.name"), report, COLUMNS[paper],
                              printed.strftime("%Y-%m-%d %H:%M"), payload.get("requested_by", ""))
    return {"lines": [asdict(ln) for ln in lines], "cut": True, "paper_mm": paper}


def _pct(value: str | None) -> str:
    return "-" if value is None else f"{value}%"


def summary_lines(shop_name: str, report: dict, cols: int, printed: str,
                  requested_by: str = "") -> list[Line]:
    s = report["summary"]
    rule = Line("-" * cols)
    period = report["from"] if report["from"] == report["to"] else \
        f"{report['from']} ~ {report['to']}"
    out = [Line(shop_name, "center", bold=True, double=True),
           Line(_("Sales summary"), "center", bold=True), rule]

    def pair(label, value, bold=False):
        out.extend(Line(t, bold=bold) for t in columns(label, value, cols))
    pair(_("Period"), period)
    pair(_("Printed"), printed)
    if requested_by:
        pair(_("By"), requested_by)
    out.append(rule)
    pair(_("Orders"), str(s["orders"]))
    pair(_("Sales"), money(s["sales"]))
    pair(_("Refunds"), f"{s['refund_count']} / {money(s['refunds'])}")
    pair(_("Net sales"), money(s["net"]), bold=True)
    pair(_("Average basket"), money(s["average_basket"]))
    pair(_("Gross profit"), money(s["gross_profit"]))
    pair(_("Margin %"), _pct(s["margin_pct"]))
    pair(_("Visitors"), str(s["visitors"]))
    pair(_("Conversion %"), _pct(s["conversion_pct"]))
    if report["tenders"]:
        out += [rule, Line(_("By tender"), bold=True)]
        for t in report["tenders"]:
            pair(method_label(t["method"]), money(t["net"]))
    if report["top_products"]:
        out += [rule, Line(_("Top products"), bold=True)]
        for p in report["top_products"][:TOP_ON_PAPER]:
            name = p["name"] + (f" {p['spec']}" if p["spec"] else "")
            out += [Line(t) for t in wrap(name, cols)]
            pair(f"  x{p['qty']}", money(p["net"]))
    out += [rule, Line("")]
    return out
