"""Projections of the finance records (issue 9; docs/finance.md): one row per entry in
``finance_entries``; a void marks the row, which stays (the list shows it struck through)."""

from __future__ import annotations

from .projections import handles
from .records import Record


@handles("finance.entry_added")
def _entry_added(conn, rec: Record) -> None:
    d = rec.data
    conn.execute("INSERT INTO finance_entries (id, kind, category, amount, day, note,"
                 " supplier_id, created_at, created_by, seq) VALUES (?,?,?,?,?,?,?,?,?,?)",
                 (d["entry_id"], d["kind"], d["category"], d["amount"], d["day"],
                  d.get("note", ""), d.get("supplier_id"), rec.ts, rec.actor.get("staff", ""),
                  rec.seq))


@handles("finance.entry_voided")
def _entry_voided(conn, rec: Record) -> None:
    conn.execute("UPDATE finance_entries SET voided = 1, void_reason = ?, voided_by = ?,"
                 " void_seq = ? WHERE id = ?", (rec.data["reason"], rec.actor.get("staff", ""),
                                                 rec.seq, rec.data["entry_id"]))
