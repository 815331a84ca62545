"""Projections of purchasing records (issue 8): purchase orders and deliveries received.

Pure like every handler: the moving-average cost is worked out by the engine inside the
write transaction and carried on the ``stock.received`` record, so a replay stores the same
figure without knowing the catalog's cost.
"""

from __future__ import annotations

from .projections import _move_stock, handles
from .records import Record


def _insert_lines(conn, po_id: str, lines: list[dict]) -> None:
    for pos, ln in enumerate(lines, start=1):
        conn.execute("INSERT INTO po_lines (po_id, line_id, pos, product_id, variant_id, name,"
                     " qty, unit_cost) VALUES (?,?,?,?,?,?,?,?)",
                     (po_id, ln["line_id"], pos, ln["product_id"], ln.get("variant_id", ""),
                      ln["name"], ln["qty"], ln["unit_cost"]))


def _touch(conn, po_id: str, rec: Record, **fields) -> None:
    sets = "".join(f", {k} = ?" for k in fields)
    conn.execute(f"UPDATE purchase_orders SET updated_at = ?, last_seq = ?{sets} WHERE id = ?",
                 (rec.ts, rec.seq, *fields.values(), po_id))


@handles("po.created")
def _po_created(conn, rec: Record) -> None:
    d = rec.data
    conn.execute("INSERT INTO purchase_orders (id, number, supplier_id, status, note,"
                 " expected_on, created_at, created_by, updated_at, last_seq)"
                 " VALUES (?,?,?,'open',?,?,?,?,?,?)",
                 (d["po_id"], d["number"], d["supplier_id"], d.get("note", ""),
                  d.get("expected_on", ""), rec.ts, rec.actor.get("staff", ""), rec.ts,
                  rec.seq))
    _insert_lines(conn, d["po_id"], d["lines"])


@handles("po.changed")
def _po_changed(conn, rec: Record) -> None:
    d = rec.data
    conn.execute("DELETE FROM po_lines WHERE po_id = ?", (d["po_id"],))
    _insert_lines(conn, d["po_id"], d["lines"])
    fields = {k: d[k] for k in ("note", "expected_on") if k in d}
    _touch(conn, d["po_id"], rec, **fields)


@handles("po.cancelled")
def _po_cancelled(conn, rec: Record) -> None:
    _touch(conn, rec.data["po_id"], rec, status="cancelled")


@handles("po.closed")
def _po_closed(conn, rec: Record) -> None:
    _touch(conn, rec.data["po_id"], rec, status="closed")


@handles("stock.received")
def _received(conn, rec: Record) -> None:
    d = rec.data
    conn.execute("INSERT INTO receipts_in (id, po_id, supplier_id, note, received_at,"
                 " received_by, seq) VALUES (?,?,?,?,?,?,?)",
                 (d["receipt_id"], d.get("po_id"), d.get("supplier_id"), d.get("note", ""),
                  rec.ts, rec.actor.get("staff", ""), rec.seq))
    for pos, ln in enumerate(d["lines"], start=1):
        conn.execute("INSERT INTO receipt_in_lines (receipt_id, pos, product_id, variant_id,"
                     " qty, unit_cost, po_line_id) VALUES (?,?,?,?,?,?,?)",
                     (d["receipt_id"], pos, ln["product_id"], ln.get("variant_id", ""),
                      ln["qty"], ln["unit_cost"], ln.get("po_line_id")))
        if d.get("po_id") and ln.get("po_line_id"):
            conn.execute("UPDATE po_lines SET received_qty = received_qty + ? WHERE po_id = ?"
                         " AND line_id = ?", (ln["qty"], d["po_id"], ln["po_line_id"]))
    _move_stock(conn, d.get("stock", []), rec, d["receipt_id"])
    for c in d.get("costs", []):
        conn.execute("UPDATE stock_levels SET avg_cost = ? WHERE product_id = ? AND"
                     " variant_id = ?", (c["avg_cost"], c["product_id"], c.get("variant_id", "")))
    if d.get("po_id"):
        short = conn.execute("SELECT COUNT(*) FROM po_lines WHERE po_id = ? AND"
                             " received_qty < qty", (d["po_id"],)).fetchone()[0]
        status = conn.execute("SELECT status FROM purchase_orders WHERE id = ?",
                              (d["po_id"],)).fetchone()[0]
        if status in ("open", "partly_received", "received"):
            status = "partly_received" if short else "received"
        _touch(conn, d["po_id"], rec, status=status)
