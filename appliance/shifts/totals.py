"""The figures of X and Z reports and of a handover, read from the projections for a range of
journal records (``first_seq`` to ``last_seq``, both included).

Money in and out of the till comes from ``till_moves`` (one row per tender a record moved);
sales by tax rate and category from the lines of the orders whose ``order.paid`` record is in
the range, less the refund lines of the refunds in it. Called inside the report's write
transaction, so the range and its head hash are exactly what the figures add up.
"""

from __future__ import annotations

import json
from typing import Callable

from .counting import COUNTED_METHODS

#: till_moves kinds, as the reports group them.
# A stored-value payout is a negative top-up: the top-ups figure is net of them.
_TENDER_FIELDS = {"sale": "sales", "void": "sales", "refund": "refunds", "top_up": "top_ups",
                  "payout": "top_ups",
                  "stored_change": "stored_change", "paid_in": "paid_in",
                  "paid_out": "paid_out"}
TENDER_FIGURES = ("sales", "refunds", "top_ups", "stored_change", "paid_in", "paid_out", "net")


def expected_in_till(conn, float_: int, open_seq: int, upto_seq: int | None = None
                     ) -> dict[str, int]:
    """What a shift should hand over per counted tender: the float (cash) plus every till
    move after the shift's opening record (and up to ``upto_seq``)."""
    sql = ("SELECT method, SUM(delta) FROM till_moves WHERE seq > ?"
           + (" AND seq <= ?" if upto_seq is not None else "") + " GROUP BY method")
    params = (open_seq,) if upto_seq is None else (open_seq, upto_seq)
    expected = {"cash": float_}
    for method, total in conn.execute(sql, params):
        if method in COUNTED_METHODS:
            expected[method] = expected.get(method, 0) + total
    return expected


def tax_contained(gross: int, rate: int) -> int:
    """The tax inside a tax-inclusive amount: gross × rate / (10000 + rate), rounded half
    away from zero (rate in basis points; once per rate, on the rate's total)."""
    if not rate or not gross:
        return 0
    base = 10000 + rate
    value = (abs(gross) * rate * 2 + base) // (2 * base)
    return value if gross > 0 else -value


def report_figures(conn, first_seq: int, last_seq: int,
                   category_name: Callable[[str], str]) -> dict:
    """Every figure of a report over the records first_seq..last_seq (fen, counts)."""
    rng = (first_seq, last_seq)
    tenders: dict[str, dict[str, int]] = {}
    for method, kind, total in conn.execute(
            "SELECT method, kind, SUM(delta) FROM till_moves WHERE seq BETWEEN ? AND ?"
            " GROUP BY method, kind", rng):
        row = tenders.setdefault(method, dict.fromkeys(TENDER_FIGURES, 0))
        field = _TENDER_FIELDS.get(kind)
        if field is not None:
            # Refunds and paid-outs are shown as amounts given out (positive).
            row[field] += -total if field in ("refunds", "paid_out") else total
        row["net"] += total
    paid_orders = ("SELECT json_extract(data, '$.order_id') FROM journal"
                   " WHERE type = 'order.paid' AND seq BETWEEN ? AND ?")
    count, subtotal, discount, rounding, total = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(subtotal), 0), COALESCE(SUM(discount), 0),"
        " COALESCE(SUM(rounding), 0), COALESCE(SUM(total), 0) FROM orders"
        f" WHERE id IN ({paid_orders})",
        rng).fetchone()
    rates: dict[int, int] = {}
    categories: dict[str, dict[str, int]] = {}
    for category, rate, qty, net in conn.execute(
            "SELECT category_id, tax_rate, SUM(qty), SUM(COALESCE(net, amount)) FROM order_lines"
            f" WHERE order_id IN ({paid_orders}) GROUP BY category_id, tax_rate", rng):
        rates[rate] = rates.get(rate, 0) + net
        c = categories.setdefault(category, {"qty": 0, "net": 0})
        c["qty"] += qty
        c["net"] += net
    refund_count, refunded = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM refunds WHERE seq BETWEEN ? AND ?",
        rng).fetchone()
    for category, rate, qty, amount in conn.execute(
            "SELECT l.category_id, l.tax_rate, SUM(rl.qty), SUM(rl.amount) FROM refund_lines rl"
            " JOIN refunds r ON r.id = rl.refund_id JOIN order_lines l ON l.order_id ="
            " r.order_id AND l.line_id = rl.line_id WHERE r.seq BETWEEN ? AND ?"
            " GROUP BY l.category_id, l.tax_rate", rng):
        rates[rate] = rates.get(rate, 0) - amount
        c = categories.setdefault(category, {"qty": 0, "net": 0})
        c["qty"] -= qty
        c["net"] -= amount
    void_count, voided = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(p.amount), 0) FROM journal j JOIN payments p ON p.id ="
        " json_extract(j.data, '$.payment_id') WHERE j.type = 'order.payment_voided'"
        " AND j.seq BETWEEN ? AND ?", rng).fetchone()
    topup_count, topped_up, bonus = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(amount), 0), COALESCE(SUM(bonus), 0) FROM member_topups"
        " WHERE seq BETWEEN ? AND ?", rng).fetchone()
    cash_in = dict.fromkeys(("paid_in", "paid_out"), 0)
    cash_n = dict.fromkeys(("paid_in", "paid_out"), 0)
    for kind, n, amount in conn.execute(
            "SELECT kind, COUNT(*), SUM(delta) FROM till_moves WHERE seq BETWEEN ? AND ? AND"
            " kind IN ('paid_in', 'paid_out') GROUP BY kind", rng):
        cash_in[kind], cash_n[kind] = abs(amount), n
    float_count, floats = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(float), 0) FROM shifts WHERE open_seq BETWEEN ? AND ?",
        rng).fetchone()
    shifts, over_short = [], {}
    for sid, number, float_, diff in conn.execute(
            "SELECT id, number, float, over_short FROM shifts WHERE close_seq BETWEEN ? AND ?"
            " ORDER BY number", rng):
        diff = json.loads(diff or "{}")
        shifts.append({"shift_id": sid, "number": number, "float": float_, "over_short": diff})
        for m, d in diff.items():
            over_short[m] = over_short.get(m, 0) + d
    return {
        "tenders": {m: tenders[m] for m in sorted(tenders)},
        "tax_rates": [{"rate": r, "gross": g, "tax": tax_contained(g, r)}
                      for r, g in sorted(rates.items())],
        "categories": [{"category_id": cid, "name": category_name(cid), **c}
                       for cid, c in sorted(categories.items())],
        "orders": {"count": count, "subtotal": subtotal, "discounts": discount,
                   "rounding": rounding, "total": total, "net": total - refunded},
        "refunds": {"count": refund_count, "amount": refunded},
        "voids": {"count": void_count, "amount": voided},
        "top_ups": {"count": topup_count, "amount": topped_up, "bonus": bonus},
        "cash": {"paid_in": cash_in["paid_in"], "paid_in_count": cash_n["paid_in"],
                 "paid_out": cash_in["paid_out"], "paid_out_count": cash_n["paid_out"]},
        "floats": {"count": float_count, "amount": floats},
        "shifts": shifts,
        "over_short": {m: over_short[m] for m in sorted(over_short)},
    }
