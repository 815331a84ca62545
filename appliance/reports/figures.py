"""The SQL behind the reports: every figure is aggregated in SQLite, a handful of rows come
back, Python only moves UTC buckets onto the shop's clock and adds them up.

Conventions (docs/reports.md): a sale counts on the day its order was completed
(``orders.completed_at``), a refund on the day it was made (``refunds.refunded_at``); sales
are what customers paid (order totals, line nets after discounts); cost is the unit cost
frozen on the line at the sale (``order_lines.cost``) times the quantity.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict

from .periods import Period, local_of_bucket

# Orders completed in the period, and refunds made in it ([start, end) of UTC text).
IN_PERIOD = "o.completed_at >= :start AND o.completed_at < :end"
REFUNDED_IN_PERIOD = "r.refunded_at >= :start AND r.refunded_at < :end"


def _params(period: Period) -> dict:
    start, end = period.utc_range()
    return {"start": start, "end": end, "n": period.bucket_chars()}


class Bucket:
    """Sales and refunds of one UTC hour (or minute)."""
    __slots__ = ("orders", "sales", "cost", "refund_count", "refunds", "refund_cost")

    def __init__(self):
        self.orders = self.sales = self.cost = 0
        self.refund_count = self.refunds = self.refund_cost = 0


def buckets(conn: sqlite3.Connection, period: Period) -> dict[str, Bucket]:
    """Sales, cost and refunds by UTC hour bucket."""
    p = _params(period)
    out: dict[str, Bucket] = defaultdict(Bucket)
    for key, n, total in conn.execute(
            "SELECT substr(o.completed_at, 1, :n), COUNT(*), COALESCE(SUM(o.total), 0)"
            f" FROM orders o WHERE {IN_PERIOD} GROUP BY 1", p):
        b = out[key]
        b.orders, b.sales = n, total
    for key, cost in conn.execute(
            "SELECT substr(o.completed_at, 1, :n), SUM(l.cost * l.qty) FROM orders o"
            f" JOIN order_lines l ON l.order_id = o.id WHERE {IN_PERIOD} GROUP BY 1", p):
        out[key].cost = cost or 0
    for key, n, amount in conn.execute(
            "SELECT substr(r.refunded_at, 1, :n), COUNT(*), SUM(r.amount) FROM refunds r"
            f" WHERE {REFUNDED_IN_PERIOD} GROUP BY 1", p):
        b = out[key]
        b.refund_count, b.refunds = n, amount
    for key, cost in conn.execute(
            "SELECT substr(r.refunded_at, 1, :n), SUM(l.cost * rl.qty * rl.restock) FROM refunds r"
            " JOIN refund_lines rl ON rl.refund_id = r.id JOIN order_lines l ON"
            f" l.order_id = r.order_id AND l.line_id = rl.line_id WHERE {REFUNDED_IN_PERIOD}"
            " GROUP BY 1", p):
        out[key].refund_cost = cost or 0
    return out


def totals_between(conn: sqlite3.Connection, start: str, end: str) -> dict:
    """Orders, sales and refunds in [start, end) of UTC text (the dashboard's today so far)."""
    p = {"start": start, "end": end}
    orders, sales = conn.execute(f"SELECT COUNT(*), COALESCE(SUM(o.total), 0) FROM orders o"
                                 f" WHERE {IN_PERIOD}", p).fetchone()
    refunds = conn.execute(f"SELECT COALESCE(SUM(r.amount), 0) FROM refunds r WHERE"
                           f" {REFUNDED_IN_PERIOD}", p).fetchone()[0]
    return {"orders": orders, "sales": sales, "refunds": refunds}


def by_local(bucket_rows: dict[str, Bucket], period: Period, key) -> dict:
    """Bucket figures summed under ``key(local datetime)``."""
    out: dict = defaultdict(Bucket)
    for bucket, b in bucket_rows.items():
        t = out[key(local_of_bucket(bucket, period.tz))]
        for name in Bucket.__slots__:
            setattr(t, name, getattr(t, name) + getattr(b, name))
    return out


def lines(conn: sqlite3.Connection, period: Period) -> dict[tuple[str, str], dict]:
    """Per product and variant: sold and refunded quantities, sales, refunds and cost."""
    p = _params(period)
    out: dict[tuple[str, str], dict] = {}

    def row(pid, vid, category, name, spec):
        return out.setdefault((pid, vid), {
            "product_id": pid, "variant_id": vid, "category_id": category or "",
            "name": name, "spec": spec, "qty": 0, "sales": 0, "cost": 0,
            "refunded_qty": 0, "refunds": 0, "refund_cost": 0})

    for pid, vid, cat, name, spec, qty, sales, cost in conn.execute(
            "SELECT l.product_id, l.variant_id, MAX(l.category_id), MAX(l.name), MAX(l.spec),"
            " SUM(l.qty), SUM(COALESCE(l.net, l.amount)), SUM(l.cost * l.qty) FROM orders o"
            f" JOIN order_lines l ON l.order_id = o.id WHERE {IN_PERIOD}"
            " GROUP BY l.product_id, l.variant_id", p):
        r = row(pid, vid, cat, name, spec)
        r["qty"], r["sales"], r["cost"] = qty, sales, cost
    for pid, vid, cat, name, spec, qty, amount, cost in conn.execute(
            "SELECT l.product_id, l.variant_id, MAX(l.category_id), MAX(l.name), MAX(l.spec),"
            " SUM(rl.qty), SUM(rl.amount), SUM(l.cost * rl.qty * rl.restock) FROM refunds r"
            " JOIN refund_lines rl ON rl.refund_id = r.id JOIN order_lines l ON"
            f" l.order_id = r.order_id AND l.line_id = rl.line_id WHERE {REFUNDED_IN_PERIOD}"
            " GROUP BY l.product_id, l.variant_id", p):
        r = row(pid, vid, cat, name, spec)
        r["refunded_qty"], r["refunds"], r["refund_cost"] = qty, amount, cost
    return out


def staff(conn: sqlite3.Connection, period: Period) -> dict[str, dict]:
    """Orders completed in the period by who opened them and by who settled them."""
    p = _params(period)
    out: dict[str, dict] = {}

    def row(staff_id):
        return out.setdefault(staff_id, {"staff_id": staff_id, "opened_orders": 0,
                                         "opened_sales": 0, "settled_orders": 0,
                                         "settled_sales": 0})
    for column, prefix in (("opened_by", "opened"), ("completed_by", "settled")):
        for staff_id, n, sales in conn.execute(
                f"SELECT o.{column}, COUNT(*), SUM(o.total) FROM orders o WHERE {IN_PERIOD}"
                f" GROUP BY o.{column}", p):
            r = row(staff_id or "")
            r[f"{prefix}_orders"], r[f"{prefix}_sales"] = n, sales
    return out


def tenders(conn: sqlite3.Connection, period: Period) -> dict[str, dict]:
    """What orders completed in the period were paid with (voided payments left out), and
    what refunds made in it gave back, by tender."""
    p = _params(period)
    out: dict[str, dict] = {}

    def row(method):
        return out.setdefault(method, {"method": method, "payments": 0, "sales": 0,
                                       "refund_count": 0, "refunds": 0})
    for method, n, amount in conn.execute(
            "SELECT p.method, COUNT(*), SUM(p.amount) FROM orders o JOIN payments p ON"
            f" p.order_id = o.id AND p.voided = 0 WHERE {IN_PERIOD} GROUP BY p.method", p):
        r = row(method)
        r["payments"], r["sales"] = n, amount
    for method, n, amount in conn.execute(
            "SELECT t.method, COUNT(*), SUM(t.amount) FROM refunds r JOIN refund_tenders t ON"
            f" t.refund_id = r.id WHERE {REFUNDED_IN_PERIOD} GROUP BY t.method", p):
        r = row(method)
        r["refund_count"], r["refunds"] = n, amount
    return out


# The level at the sale; orders from before levels were recorded on them fall back to the
# member's level today ("current"); "" is a sale to no member.
LEVEL = ("CASE WHEN o.member_id IS NULL THEN '' ELSE COALESCE(o.member_level, m.level_id, '')"
         " END")
LEVEL_GUESSED = "(o.member_id IS NOT NULL AND o.member_level IS NULL)"


def member_levels(conn: sqlite3.Connection, period: Period) -> dict[str, dict]:
    p = _params(period)
    out: dict[str, dict] = {}

    def row(level_id):
        return out.setdefault(level_id, {"level_id": level_id, "orders": 0, "sales": 0,
                                         "refunds": 0, "current_level_orders": 0})
    for level_id, guessed, n, sales in conn.execute(
            f"SELECT {LEVEL}, {LEVEL_GUESSED}, COUNT(*), SUM(o.total) FROM orders o"
            f" LEFT JOIN members m ON m.id = o.member_id WHERE {IN_PERIOD} GROUP BY 1, 2", p):
        r = row(level_id)
        r["orders"] += n
        r["sales"] += sales
        if guessed:
            r["current_level_orders"] += n
    for level_id, amount in conn.execute(
            f"SELECT {LEVEL}, SUM(r.amount) FROM refunds r JOIN orders o ON o.id = r.order_id"
            f" LEFT JOIN members m ON m.id = o.member_id WHERE {REFUNDED_IN_PERIOD}"
            " GROUP BY 1", p):
        row(level_id)["refunds"] += amount
    return out


def refund_reasons(conn: sqlite3.Connection, period: Period) -> dict[str, dict]:
    return {reason: {"reason": reason, "count": n, "amount": amount} for reason, n, amount in
            conn.execute(f"SELECT r.reason, COUNT(*), SUM(r.amount) FROM refunds r WHERE"
                         f" {REFUNDED_IN_PERIOD} GROUP BY r.reason", _params(period))}


def visitors(conn: sqlite3.Connection, period: Period) -> dict[str, int]:
    """Door-counter counts by shop-local hour key (``2026-11-26T14``)."""
    first, after = period.hour_keys()
    return dict(conn.execute("SELECT hour, count FROM visitors WHERE hour >= ? AND hour < ?",
                             (first, after)))


def open_orders(conn: sqlite3.Connection) -> dict[str, int]:
    counts = dict(conn.execute("SELECT status, COUNT(*) FROM orders WHERE status IN"
                               " ('open', 'parked') GROUP BY status"))
    return {"open": counts.get("open", 0), "parked": counts.get("parked", 0)}


#: The parts a report is made of: each is a dict of additive figures, so the figures of two
#: periods that follow one another add up to those of both (see :func:`merge`).
PARTS = {"buckets": buckets, "lines": lines, "staff": staff, "tenders": tenders,
         "levels": member_levels, "reasons": refund_reasons, "visitors": visitors}


def merge(a: dict, b: dict) -> dict:
    """A new dict of ``a`` and ``b`` with their numbers added (neither is changed: either
    may be cached)."""
    out = {}
    for key in a.keys() | b.keys():
        x, y = a.get(key), b.get(key)
        if x is None or y is None:
            out[key] = _copy(x if y is None else y)
        elif isinstance(x, Bucket):
            t = Bucket()
            for name in Bucket.__slots__:
                setattr(t, name, getattr(x, name) + getattr(y, name))
            out[key] = t
        elif isinstance(x, dict):
            out[key] = {k: (v + y[k] if isinstance(v, int) and not isinstance(v, bool)
                            else v) for k, v in x.items()}
        else:
            out[key] = x + y
    return out


def _copy(value):
    if isinstance(value, Bucket):
        t = Bucket()
        for name in Bucket.__slots__:
            setattr(t, name, getattr(value, name))
        return t
    return dict(value) if isinstance(value, dict) else value
