"""Projections of the shift records (issue 9; docs/shifts.md): the ``shifts`` table, cash paid
in and out as till moves, and the X/Z reports as recorded. Pure functions of (rows, record)
like every projection."""

from __future__ import annotations

import json

from .projections import _queue_print_jobs, handles, till_move
from .records import Record


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@handles("shift.opened")
def _shift_opened(conn, rec: Record) -> None:
    d = rec.data
    conn.execute("INSERT INTO shifts (id, number, status, float, opened_at, opened_by, open_seq,"
                 " note, last_seq) VALUES (?,?,'open',?,?,?,?,?,?)",
                 (d["shift_id"], d["number"], d["float"], rec.ts, rec.actor.get("staff", ""),
                  rec.seq, d.get("note", ""), rec.seq))
    _queue_print_jobs(conn, d, rec)


@handles("shift.cash_moved")
def _cash_moved(conn, rec: Record) -> None:
    d = rec.data
    sign = 1 if d["kind"] == "paid_in" else -1
    till_move(conn, rec, "cash", sign * d["amount"], d["kind"], d["shift_id"], note=d["reason"])
    conn.execute("UPDATE shifts SET last_seq = ? WHERE id = ?", (rec.seq, d["shift_id"]))
    _queue_print_jobs(conn, d, rec)


@handles("shift.closed")
def _shift_closed(conn, rec: Record) -> None:
    d = rec.data
    counted = {**d["counted"]["tenders"], "denominations": d["counted"]["denominations"]}
    conn.execute("UPDATE shifts SET status = 'closed', closed_at = ?, closed_by = ?,"
                 " close_seq = ?, expected = ?, counted = ?, over_short = ?, override_by = ?,"
                 " close_reason = ?, last_seq = ? WHERE id = ?",
                 (rec.ts, rec.actor.get("staff", ""), rec.seq, _json(d["expected"]),
                  _json(counted), _json(d["over_short"]), d.get("override_by"),
                  d.get("reason", ""), rec.seq, d["shift_id"]))
    _queue_print_jobs(conn, d, rec)


def _report(conn, rec: Record) -> None:
    d = rec.data
    doc = {k: v for k, v in d.items() if k != "print_jobs"}
    conn.execute("INSERT INTO till_reports (id, kind, number, shift_id, business_day, first_seq,"
                 " last_seq, head_hash, doc, created_at, created_by, seq)"
                 " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                 (d["report_id"], d["kind"], d["number"], d.get("shift_id"), d["business_day"],
                  d["first_seq"], d["last_seq"], d["head_hash"], _json(doc), rec.ts,
                  rec.actor.get("staff", ""), rec.seq))
    _queue_print_jobs(conn, d, rec)


handles("report.x")(_report)
handles("report.z")(_report)
