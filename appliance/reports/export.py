"""One CSV per report section, for Excel: UTF-8 with a BOM (Excel in China reads a file
without one as GBK), headers in the reader's language, amounts as decimal strings, days and
hours on the shop's clock (as the report has them)."""

from __future__ import annotations


from .. import money
from ..csv_export import csv_bytes
from ..errors import NotFound
from ..i18n import _
from . import AMOUNT_KEYS


def method_label(method: str) -> str:
    from drivers.printer.layout import METHOD_LABELS
    return _(METHOD_LABELS[method]) if method in METHOD_LABELS else method


def columns() -> dict[str, list[tuple[str, str]]]:
    """Section -> (key, header) in the current language (built per call for that reason)."""
    money_cols = [("sales", _("Sales")), ("refunds", _("Refunds")), ("net", _("Net sales")),
                  ("cogs", _("Cost of goods")), ("gross_profit", _("Gross profit")),
                  ("margin_pct", _("Margin %"))]
    period_cols = [("key", _("Period")), ("first_day", _("From")), ("last_day", _("To")),
                   ("orders", _("Orders")), *money_cols]
    product_cols = [("name", _("Product")), ("spec", _("Spec")), ("sold_qty", _("Sold")),
                    ("refunded_qty", _("Returned")), ("qty", _("Net qty")), *money_cols]
    return {
        "summary": [("from", _("From")), ("to", _("To")), ("orders", _("Orders")),
                    *money_cols[:3], ("refund_count", _("Refund count")),
                    ("average_basket", _("Average basket")), *money_cols[3:],
                    ("visitors", _("Visitors")), ("conversion_pct", _("Conversion %"))],
        "hours": [("label", _("Hour")), ("orders", _("Orders")), ("sales", _("Sales")),
                  ("refunds", _("Refunds")), ("net", _("Net sales")),
                  ("visitors", _("Visitors")), ("conversion_pct", _("Conversion %"))],
        "days": [("day", _("Day")), ("orders", _("Orders")), *money_cols],
        "weeks": period_cols,
        "months": period_cols,
        "categories": [("name", _("Category")), ("qty", _("Net qty")), *money_cols],
        "products": product_cols,
        "top_products": product_cols,
        "slow_products": [("name", _("Product")), ("spec", _("Spec")), ("sku", _("SKU")),
                          ("stock", _("In stock")), ("sold", _("Sold")),
                          ("value", _("Stock value"))],
        "staff": [("name", _("Staff")), ("opened_orders", _("Orders opened")),
                  ("opened_sales", _("Sales opened")), ("settled_orders", _("Orders settled")),
                  ("settled_sales", _("Sales settled"))],
        "tenders": [("method_label", _("Tender")), ("payments", _("Payments")),
                    ("sales", _("Sales")), ("refund_count", _("Refund count")),
                    ("refunds", _("Refunds")), ("net", _("Net sales"))],
        "member_levels": [("name", _("Member level")), ("orders", _("Orders")),
                          ("sales", _("Sales")), ("refunds", _("Refunds")),
                          ("net", _("Net sales")), ("average_basket", _("Average basket")),
                          ("current_level_orders", _("Orders at today's level"))],
        "refund_reasons": [("reason", _("Reason")), ("count", _("Refund count")),
                           ("amount", _("Amount"))],
    }


SECTIONS = tuple(columns())


def rows_of(report: dict, section: str) -> list[dict]:
    if section == "summary":
        return [{"from": report["from"], "to": report["to"], **report["summary"]}]
    rows = report[section]
    if section == "tenders":
        rows = [{**r, "method_label": method_label(r["method"])} for r in rows]
    return rows


def section_csv(report: dict, section: str) -> bytes:
    """The section as CSV bytes (UTF-8 with BOM)."""
    cols = columns().get(section)
    if cols is None:
        raise NotFound(_("no report section {name}: use one of {names}", name=section,
                         names=", ".join(SECTIONS)), field="section")
    return csv_bytes([label for _key, label in cols],
                     ([_cell(key, row.get(key)) for key, _label in cols]
                      for row in rows_of(report, section)))


def _cell(key: str, value) -> str:
    if value is None:
        return ""
    if key in AMOUNT_KEYS and isinstance(value, int):
        return money.format_amount(value)
    return str(value)
