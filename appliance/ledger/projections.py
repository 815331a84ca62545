"""Applying journal records to the projections.

Each handler is a pure function of (current projection rows, record): no clock, no settings,
no master data. That is what makes "projections equal a replay of the journal" true by
construction, and :func:`replay` and :func:`snapshot` let tests and ``ledger verify
--projections`` check it. Modules added later register handlers for their own record types.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Callable, Iterable

from . import schema
from .records import Record

Handler = Callable[[sqlite3.Connection, Record], None]
HANDLERS: dict[str, Handler] = {}


def handles(type_: str):
    def register(fn: Handler) -> Handler:
        HANDLERS[type_] = fn
        return fn
    return register


def apply(conn: sqlite3.Connection, record: Record) -> None:
    handler = HANDLERS.get(record.type)
    if handler is not None:
        handler(conn, record)


def replay(records: Iterable[Record], path: str = ":memory:") -> sqlite3.Connection:
    """Build fresh projections from records alone: in memory, or in a new database file at
    ``path`` (a big journal's replay is bigger than a Pi's memory)."""
    conn = sqlite3.connect(path, isolation_level=None)
    schema.create_all(conn)
    conn.execute("BEGIN")
    for rec in records:
        apply(conn, rec)
    conn.execute("COMMIT")
    return conn


def rebuild(path) -> int:
    """Empty every projection and apply the whole journal again, in one transaction (a data
    migration, when a new version projects records it did not before). Returns the records
    applied. Operational tables (print_jobs, visitors) keep their rows and states."""
    from .store import iter_records
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        schema.create_all(conn)
        conn.execute("BEGIN IMMEDIATE")
        # Records queue print jobs as they are applied; keep the queue's states instead.
        conn.execute("CREATE TEMP TABLE saved_print_jobs AS SELECT * FROM print_jobs")
        conn.execute("DELETE FROM print_jobs")
        for table in schema.PROJECTION_TABLES:
            conn.execute(f"DELETE FROM {table}")
        n = 0
        for rec in iter_records(conn):
            apply(conn, rec)
            n += 1
        conn.execute("INSERT OR REPLACE INTO print_jobs SELECT * FROM saved_print_jobs")
        conn.execute("COMMIT")
        return n
    finally:
        conn.close()


def snapshot(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
            for t in schema.PROJECTION_TABLES}


# -- helpers -------------------------------------------------------------------------------

def _touch(conn, order_id: str, rec: Record, **fields) -> None:
    """Bump an order's version and set fields: every order record changes the version."""
    sets = ", ".join(f"{k} = ?" for k in fields)
    sql = "UPDATE orders SET version = version + 1, updated_at = ?, last_seq = ?"
    if sets:
        sql += ", " + sets
    conn.execute(sql + " WHERE id = ?", (rec.ts, rec.seq, *fields.values(), order_id))


def _recompute_subtotal(conn, order_id: str) -> None:
    conn.execute("UPDATE orders SET subtotal = (SELECT COALESCE(SUM(amount), 0) FROM order_lines"
                 " WHERE order_id = ?) WHERE id = ?", (order_id, order_id))


def _move_stock(conn, moves: list[dict], rec: Record, ref: str | None = None) -> None:
    """Every stock move of every record type comes through here: the level, and one row of
    the product's history (``stock_moves``) with its reason and what it belongs to."""
    for m in moves:
        product, variant = m["product_id"], m.get("variant_id", "")
        after = conn.execute(
            "INSERT INTO stock_levels (product_id, variant_id, qty, last_seq) VALUES (?,?,?,?) "
            "ON CONFLICT(product_id, variant_id) DO UPDATE SET qty = qty + excluded.qty, "
            "last_seq = excluded.last_seq RETURNING qty",
            (product, variant, m["delta"], rec.seq)).fetchone()[0]
        conn.execute("INSERT INTO stock_moves (seq, product_id, variant_id, delta, after, reason,"
                     " ref, ts) VALUES (?,?,?,?,?,?,?,?)",
                     (rec.seq, product, variant, m["delta"], after, m.get("reason", rec.type),
                      m.get("ref", ref), rec.ts))


def member_move(conn, rec: Record, member_id: str, kind: str, delta: int, reason: str,
                order_id: str | None = None) -> None:
    """Move a member's points or balance (fen) and keep the move for the history page.

    The engine checks the figure inside the write transaction; the column's CHECK is the last
    line, so a bug aborts the transaction instead of storing a negative figure."""
    if not delta:
        return
    column = {"points": "points", "balance": "balance"}[kind]
    conn.execute(f"UPDATE members SET {column} = {column} + ?, last_seq = ? WHERE id = ?",
                 (delta, rec.seq, member_id))
    after = conn.execute(f"SELECT {column} FROM members WHERE id = ?", (member_id,)).fetchone()
    conn.execute("INSERT INTO member_moves (seq, member_id, kind, delta, after, reason, order_id,"
                 " ts) VALUES (?,?,?,?,?,?,?,?)", (rec.seq, member_id, kind, delta,
                                                    after[0] if after else 0, reason,
                                                    order_id, rec.ts))


def till_move(conn, rec: Record, method: str, delta: int, kind: str, ref: str | None = None,
              note: str = "") -> None:
    """Money into (+) or out of (-) the till by tender: what a shift expects at handover and
    what the X/Z reports add up (docs/shifts.md)."""
    if delta:
        conn.execute("INSERT INTO till_moves (seq, method, delta, kind, ref, staff, note, ts)"
                     " VALUES (?,?,?,?,?,?,?,?)", (rec.seq, method, delta, kind, ref,
                                                   rec.actor.get("staff", ""), note, rec.ts))


def _set_counter(conn, name: str, value: int) -> None:
    conn.execute("INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE "
                 "SET value = MAX(value, excluded.value)", (name, value))


# -- orders --------------------------------------------------------------------------------

@handles("order.opened")
def _opened(conn, rec: Record) -> None:
    d = rec.data
    conn.execute(
        "INSERT INTO orders (id, number, business_day, status, version, terminal, opened_by,"
        " opened_at, updated_at, customer_name, customer_phone, note, last_seq)"
        " VALUES (?,?,?,'open',1,?,?,?,?,?,?,?,?)",
        (d["order_id"], d["number"], d["business_day"], d["terminal"], d["opened_by"], rec.ts,
         rec.ts, d.get("customer_name", ""), d.get("customer_phone", ""), d.get("note", ""),
         rec.seq))
    _set_counter(conn, f"order_no:{d['business_day']}", d["daily_no"])


@handles("order.line_added")
def _line_added(conn, rec: Record) -> None:
    d, ln = rec.data, rec.data["line"]
    pos = conn.execute("SELECT COALESCE(MAX(pos), 0) + 1 FROM order_lines WHERE order_id = ?",
                       (d["order_id"],)).fetchone()[0]
    conn.execute(
        "INSERT INTO order_lines (order_id, line_id, pos, product_id, variant_id, sku, barcode,"
        " name, spec, unit, qty, list_price, unit_price, cost, override_by, stock_tracked, amount,"
        " category_id, tax_rate) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (d["order_id"], ln["line_id"], pos, ln["product_id"], ln.get("variant_id", ""),
         ln.get("sku", ""), ln.get("barcode", ""), ln["name"], ln.get("spec", ""),
         ln.get("unit", ""), ln["qty"], ln["list_price"], ln["unit_price"], ln.get("cost", 0),
         ln.get("override_by"), int(ln["stock_tracked"]), ln["unit_price"] * ln["qty"],
         ln.get("category_id") or "", ln.get("tax_rate", 0)))
    _recompute_subtotal(conn, d["order_id"])
    _touch(conn, d["order_id"], rec)


@handles("order.line_changed")
def _line_changed(conn, rec: Record) -> None:
    d = rec.data
    conn.execute("UPDATE order_lines SET qty = ?, unit_price = ?, override_by = ?,"
                 " amount = ? * ? WHERE order_id = ? AND line_id = ?",
                 (d["qty"], d["unit_price"], d.get("override_by"), d["qty"], d["unit_price"],
                  d["order_id"], d["line_id"]))
    _recompute_subtotal(conn, d["order_id"])
    _touch(conn, d["order_id"], rec)


@handles("order.line_removed")
def _line_removed(conn, rec: Record) -> None:
    d = rec.data
    conn.execute("DELETE FROM order_lines WHERE order_id = ? AND line_id = ?",
                 (d["order_id"], d["line_id"]))
    _recompute_subtotal(conn, d["order_id"])
    _touch(conn, d["order_id"], rec)


@handles("order.customer_set")
def _customer_set(conn, rec: Record) -> None:
    d = rec.data
    _touch(conn, d["order_id"], rec, customer_name=d["customer_name"],
           customer_phone=d["customer_phone"], note=d["note"])


@handles("order.parked")
def _parked(conn, rec: Record) -> None:
    _touch(conn, rec.data["order_id"], rec, status="parked")


@handles("order.recalled")
def _recalled(conn, rec: Record) -> None:
    _touch(conn, rec.data["order_id"], rec, status="open", terminal=rec.data["terminal"])


@handles("order.cancelled")
def _cancelled(conn, rec: Record) -> None:
    _touch(conn, rec.data["order_id"], rec, status="cancelled", cancel_reason=rec.data["reason"])


def _freeze_pricing(conn, order_id: str, pricing: dict) -> None:
    conn.execute("UPDATE orders SET discount = ?, rounding = ?, total = ?, adjustments = ?"
                 " WHERE id = ?", (pricing["discount"], pricing["rounding"], pricing["total"],
                                   json.dumps(pricing["adjustments"], ensure_ascii=False),
                                   order_id))
    for line_id, ln in pricing["lines"].items():
        conn.execute("UPDATE order_lines SET discount = ?, net = ? WHERE order_id = ?"
                     " AND line_id = ?", (ln["discount"], ln["net"], order_id, line_id))


def _recompute_paid(conn, order_id: str) -> None:
    conn.execute("UPDATE orders SET paid = (SELECT COALESCE(SUM(amount), 0) FROM payments"
                 " WHERE order_id = ? AND voided = 0), change_given = (SELECT"
                 " COALESCE(SUM(change), 0) FROM payments WHERE order_id = ? AND voided = 0)"
                 " WHERE id = ?", (order_id, order_id, order_id))


@handles("order.payment_added")
def _payment_added(conn, rec: Record) -> None:
    d, p = rec.data, rec.data["payment"]
    if d.get("pricing"):
        _freeze_pricing(conn, d["order_id"], d["pricing"])
        # Coupons are used from the moment the price is frozen, so two tills cannot both
        # take the last use of one while each order is part-paid.
        promotion_projections.record_coupon_uses(conn, rec)
    conn.execute(
        "INSERT INTO payments (id, order_id, method, amount, tendered, change, reference,"
        " idempotency_key, taken_by, taken_at, seq, member_id, points, stored_change)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (p["id"], d["order_id"], p["method"], p["amount"], p["tendered"], p["change"],
         p.get("reference", ""), p.get("idempotency_key"), rec.actor.get("staff", ""), rec.ts,
         rec.seq, p.get("member_id"), p.get("points", 0), p.get("stored_change", 0)))
    # What stayed in the till: the sale's part of what was handed over, and apart from it
    # the change the customer left on a member card (存零: in the drawer, owed to the card).
    stored = p.get("stored_change", 0)
    till_move(conn, rec, p["method"], p["tendered"] - p["change"] - stored, "sale",
              d["order_id"])
    till_move(conn, rec, p["method"], stored, "stored_change", d["order_id"])
    member = p.get("member_id")
    if member:
        if p["method"] == "member_balance":
            member_move(conn, rec, member, "balance", -p["amount"], "payment", d["order_id"])
        elif p["method"] == "points":
            member_move(conn, rec, member, "points", -p.get("points", 0), "redeemed",
                        d["order_id"])
        # 存零: the change the customer left on the card.
        member_move(conn, rec, member, "balance", p.get("stored_change", 0), "change",
                    d["order_id"])
    _recompute_paid(conn, d["order_id"])
    _touch(conn, d["order_id"], rec)


@handles("order.payment_voided")
def _payment_voided(conn, rec: Record) -> None:
    d = rec.data
    row = conn.execute("SELECT method, amount, member_id, points, stored_change, voided,"
                       " tendered, change FROM payments WHERE id = ?",
                       (d["payment_id"],)).fetchone()
    if row and not row[5]:
        till_move(conn, rec, row[0], -(row[6] - row[7] - row[4]), "void", d["order_id"])
        till_move(conn, rec, row[0], -row[4], "stored_change", d["order_id"])
    if row and row[2] and not row[5]:
        # A voided member payment gives back what it drew from the card.
        method, amount, member, points, stored = row[:5]
        if method == "member_balance":
            member_move(conn, rec, member, "balance", amount, "void", d["order_id"])
        elif method == "points":
            member_move(conn, rec, member, "points", points, "void", d["order_id"])
        member_move(conn, rec, member, "balance", -stored, "void", d["order_id"])
    conn.execute("UPDATE payments SET voided = 1, void_reason = ? WHERE id = ?",
                 (d["reason"], d["payment_id"]))
    _recompute_paid(conn, d["order_id"])
    if d.get("unfreeze"):
        # No payment left: prices are live again until the next first payment.
        conn.execute("UPDATE orders SET discount = 0, rounding = 0, total = NULL,"
                     " adjustments = '[]' WHERE id = ?", (d["order_id"],))
        conn.execute("UPDATE order_lines SET discount = 0, net = NULL WHERE order_id = ?",
                     (d["order_id"],))
        # The coupons it held are free again (reserved when the price was frozen).
        conn.execute("DELETE FROM coupon_uses WHERE order_id = ?", (d["order_id"],))
    _touch(conn, d["order_id"], rec)


@handles("order.paid")
def _paid(conn, rec: Record) -> None:
    d = rec.data
    _touch(conn, d["order_id"], rec, status="paid", receipt_no=d["receipt_no"],
           completed_at=rec.ts, completed_by=rec.actor.get("staff", ""),
           member_level=d.get("member_level"))
    _set_counter(conn, "receipt_no", d["receipt_no"])
    _move_stock(conn, d.get("stock", []), rec, d["order_id"])
    points = d.get("points")
    if points:
        for line_id, n in points["lines"].items():
            conn.execute("UPDATE order_lines SET points = ? WHERE order_id = ? AND line_id = ?",
                         (n, d["order_id"], line_id))
        conn.execute("UPDATE orders SET points_earned = ? WHERE id = ?",
                     (points["earned"], d["order_id"]))
        member_move(conn, rec, points["member_id"], "points", points["earned"], "earned",
                    d["order_id"])
    _queue_print_jobs(conn, d, rec)


def _queue_print_jobs(conn, d: dict, rec: Record) -> None:
    for job in d.get("print_jobs", []):
        conn.execute("INSERT INTO print_jobs (id, kind, order_id, payload, created_at, seq)"
                     " VALUES (?,?,?,?,?,?)",
                     (job["id"], job["kind"], d.get("order_id"),
                      json.dumps(job.get("payload", {}), ensure_ascii=False), rec.ts, rec.seq))


@handles("receipt.reprinted")
def _reprinted(conn, rec: Record) -> None:
    _queue_print_jobs(conn, rec.data, rec)


@handles("drawer.opened")
def _drawer_opened(conn, rec: Record) -> None:
    _queue_print_jobs(conn, rec.data, rec)


@handles("labels.printed")
def _labels_printed(conn, rec: Record) -> None:
    _queue_print_jobs(conn, rec.data, rec)


@handles("order.refunded")
def _refunded(conn, rec: Record) -> None:
    d = rec.data
    conn.execute("INSERT INTO refunds (id, order_id, amount, reason, refunded_by, approved_by,"
                 " refunded_at, seq) VALUES (?,?,?,?,?,?,?,?)",
                 (d["refund_id"], d["order_id"], d["amount"], d["reason"],
                  rec.actor.get("staff", ""), d.get("approved_by"), rec.ts, rec.seq))
    for ln in d["lines"]:
        conn.execute("INSERT INTO refund_lines (refund_id, line_id, qty, amount, restock)"
                     " VALUES (?,?,?,?,?)", (d["refund_id"], ln["line_id"], ln["qty"],
                                             ln["amount"], int(ln["restock"])))
        conn.execute("UPDATE order_lines SET refunded_qty = refunded_qty + ?, refunded_amount ="
                     " refunded_amount + ? WHERE order_id = ? AND line_id = ?",
                     (ln["qty"], ln["amount"], d["order_id"], ln["line_id"]))
    member = conn.execute("SELECT member_id FROM orders WHERE id = ?",
                          (d["order_id"],)).fetchone()[0]
    for i, t in enumerate(d["tenders"]):
        conn.execute("INSERT INTO refund_tenders (refund_id, pos, method, amount, reference,"
                     " points) VALUES (?,?,?,?,?,?)",
                     (d["refund_id"], i, t["method"], t["amount"], t.get("reference", ""),
                      t.get("points", 0)))
        till_move(conn, rec, t["method"], -t["amount"], "refund", d["order_id"])
        # Balance and points paid go back to the card they came from.
        if t["method"] == "member_balance":
            member_move(conn, rec, t.get("member_id") or member, "balance", t["amount"],
                        "refund", d["order_id"])
        elif t["method"] == "points":
            member_move(conn, rec, t.get("member_id") or member, "points", t.get("points", 0),
                        "refund", d["order_id"])
    reversed_ = d.get("points_reversed")
    if reversed_:
        for line_id, n in reversed_["lines"].items():
            conn.execute("UPDATE order_lines SET points_reversed = points_reversed + ? WHERE"
                         " order_id = ? AND line_id = ?", (n, d["order_id"], line_id))
        # total is already clamped to what the member had (the shortfall is on the record).
        member_move(conn, rec, reversed_["member_id"], "points", -reversed_["total"],
                    "reversed", d["order_id"])
    conn.execute("UPDATE orders SET refunded = refunded + ? WHERE id = ?",
                 (d["amount"], d["order_id"]))
    _move_stock(conn, d.get("stock", []), rec, d["order_id"])
    _touch(conn, d["order_id"], rec)


# -- stock ---------------------------------------------------------------------------------

@handles("stock.adjusted")
def _stock_adjusted(conn, rec: Record) -> None:
    d = rec.data
    _move_stock(conn, [{"product_id": d["product_id"], "variant_id": d.get("variant_id", ""),
                        "delta": d["delta"], "reason": d["reason"]}], rec)


# Modules that own record types of their own register their handlers on import.
from . import member_projections, promotion_projections  # noqa: E402,F401
from . import purchasing_projections, stock_projections, stocktake_projections  # noqa: E402,F401
from . import finance_projections, shift_projections, training_projections  # noqa: E402,F401
from . import customer_projections  # noqa: E402,F401
from . import returns_projections, aftersales_projections  # noqa: E402,F401
from . import fulfilment_projections, ereceipt_projections  # noqa: E402,F401
from . import notify_projections  # noqa: E402,F401
