"""Projections of stocktake records (issue 8): counts, their counted items and every entry.

Like every handler, pure functions of the current rows and the record. The engine
(:mod:`appliance.stock.counts`) records the system level with each entry and the corrections
with the approval, so nothing here needs the clock, settings or the catalog.
"""

from __future__ import annotations

import json

from .projections import _move_stock, handles
from .records import Record


@handles("count.started")
def _started(conn, rec: Record) -> None:
    d = rec.data
    conn.execute(
        "INSERT INTO counts (id, number, scope, blind, status, note, started_at, started_by,"
        " last_seq) VALUES (?,?,?,?,'open',?,?,?,?)",
        (d["count_id"], d["number"], json.dumps(d["scope"], ensure_ascii=False, sort_keys=True),
         int(d["blind"]), d.get("note", ""), rec.ts, rec.actor.get("staff", ""), rec.seq))


@handles("count.entry")
def _entry(conn, rec: Record) -> None:
    d = rec.data
    variant = d.get("variant_id", "")
    conn.execute(
        "INSERT INTO count_entries (id, count_id, product_id, variant_id, qty, level, staff,"
        " terminal, ts, seq) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (d["entry_id"], d["count_id"], d["product_id"], variant, d["qty"], d["level"],
         rec.actor.get("staff", ""), rec.actor.get("terminal", ""), rec.ts, rec.seq))
    # The total is the sum over every phone; expected follows the latest entry (the level the
    # shelf should have held when it was last counted: see docs/stocktake.md).
    conn.execute(
        "INSERT INTO count_items (count_id, product_id, variant_id, counted, expected, entries,"
        " last_seq) VALUES (?,?,?,?,?,1,?) ON CONFLICT(count_id, product_id, variant_id)"
        " DO UPDATE SET counted = counted + excluded.counted, expected = excluded.expected,"
        " entries = entries + 1, last_seq = excluded.last_seq",
        (d["count_id"], d["product_id"], variant, d["qty"], d["level"], rec.seq))
    conn.execute("UPDATE counts SET last_seq = ? WHERE id = ?", (rec.seq, d["count_id"]))


def _finish(conn, rec: Record, status: str) -> None:
    conn.execute("UPDATE counts SET status = ?, finished_at = ?, finished_by = ?, last_seq = ?"
                 " WHERE id = ?", (status, rec.ts, rec.actor.get("staff", ""), rec.seq,
                                   rec.data["count_id"]))


@handles("count.approved")
def _approved(conn, rec: Record) -> None:
    d = rec.data
    # Items the manager chose to set to 0 without counting them join the count's items, so
    # the count's rows say what the approval did.
    for ln in d["lines"]:
        conn.execute(
            "INSERT INTO count_items (count_id, product_id, variant_id, counted, expected,"
            " entries, last_seq) VALUES (?,?,?,?,?,0,?)"
            " ON CONFLICT(count_id, product_id, variant_id) DO NOTHING",
            (d["count_id"], ln["product_id"], ln.get("variant_id", ""), ln["counted"],
             ln["expected"], rec.seq))
    _move_stock(conn, d.get("stock", []), rec, d["count_id"])
    _finish(conn, rec, "approved")


@handles("count.cancelled")
def _cancelled(conn, rec: Record) -> None:
    _finish(conn, rec, "cancelled")
