"""/api/v1 for finance (issue 9; docs/finance.md): income and expense entries, profit by day
and month, and both as CSV. Amounts are decimal strings; all of it is the owner's
(permission ``finance``)."""

from __future__ import annotations

from flask import Response, g, jsonify, request

from appliance.finance import CATEGORIES, SUMMED, entry_json, profit_json
from appliance.money import format_amount

from ..access import access
from . import body, box, bp, field_amount, field_str


def csv_response(data: bytes, filename: str) -> Response:
    return Response(data, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


def _period() -> tuple[str, str]:
    """?from=&to= (days), else this month so far."""
    today = box().finance.today()
    return (request.args.get("from") or today[:8] + "01", request.args.get("to") or today)


def _profit():
    """?year=2026: by month; else ?month=2026-11 (default this month): by day."""
    finance = box().finance
    year = request.args.get("year")
    if year:
        return "by_month", year, finance.profit_by_month(g.actor, year)
    month = request.args.get("month") or finance.today()[:7]
    return "by_day", month, finance.profit_of_month(g.actor, month)


def _totals(rows: list[dict]) -> dict:
    return profit_json({k: sum(r[k] for r in rows) for k in SUMMED})


@bp.get("/finance/entries")
@access("finance")
def finance_entries():
    first, last = _period()
    entries = box().finance.entries(g.actor, first, last)
    live = [e for e in entries if not e["voided"]]
    return jsonify({"from": first, "to": last, "categories": CATEGORIES,
                    "entries": [entry_json(e) for e in entries],
                    "expenses": format_amount(sum(e["amount"] for e in live
                                                  if e["kind"] == "expense")),
                    "income": format_amount(sum(e["amount"] for e in live
                                                if e["kind"] == "income"))})


@bp.post("/finance/entries")
@access("finance")
def add_finance_entry():
    data = body()
    entry = box().finance.add_entry(
        g.actor, field_str(data, "category", required=True),
        field_amount(data, "amount"), field_str(data, "day"),
        note=field_str(data, "note", default=""),
        supplier_id=field_str(data, "supplier_id") or None)
    return jsonify(entry_json(entry)), 201


@bp.post("/finance/entries/<entry_id>/void")
@access("finance")
def void_finance_entry(entry_id: str):
    entry = box().finance.void_entry(g.actor, entry_id,
                                     field_str(body(), "reason", required=True))
    return jsonify(entry_json(entry))


@bp.get("/finance/entries.csv")
@access("finance")
def finance_entries_csv():
    first, last = _period()
    return csv_response(box().finance.entries_csv(g.actor, first, last),
                        f"finance-{first}-{last}.csv")


@bp.get("/finance/profit")
@access("finance")
def finance_profit():
    by, period, rows = _profit()
    return jsonify({"by": by, "period": period, "rows": [profit_json(r) for r in rows],
                    "totals": _totals(rows)})


@bp.get("/finance/profit.csv")
@access("finance")
def finance_profit_csv():
    by, period, rows = _profit()
    return csv_response(box().finance.profit_csv(rows), f"profit-{period}.csv")
