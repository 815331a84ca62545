"""Projections of the training records (issue 9; docs/training.md). These records are only
ever written to the training ledger (data_dir/training.db)."""

from __future__ import annotations

import dataclasses
import json

from .projections import HANDLERS, handles
from .promotion_projections import _upsert as upsert_promotion
from .records import Record


@handles("training.promotions_copied")
def _promotions_copied(conn, rec: Record) -> None:
    """The till's promotion rules, whole, and its member levels (added or replaced; a level
    a training member uses is never taken away)."""
    conn.execute("DELETE FROM promotions")
    for r in rec.data["rules"]:
        upsert_promotion(conn, r["rule"], r["source"], r["active"], rec)
    for level in rec.data["levels"]:
        HANDLERS["member_level.saved"](conn, dataclasses.replace(rec, data={"level": level}))


@handles("training.quiz_started")
def _quiz_started(conn, rec: Record) -> None:
    d = rec.data
    conn.execute("INSERT INTO quizzes (id, staff, questions, started_at, total, seq)"
                 " VALUES (?,?,?,?,?,?)",
                 (d["quiz_id"], d["staff"], json.dumps(d["questions"], ensure_ascii=False,
                                                       sort_keys=True),
                  rec.ts, len(d["questions"]), rec.seq))


@handles("training.quiz_finished")
def _quiz_finished(conn, rec: Record) -> None:
    d = rec.data
    conn.execute("UPDATE quizzes SET answers = ?, score = ?, finished_at = ? WHERE id = ?",
                 (json.dumps(d["answers"]), d["score"], rec.ts, d["quiz_id"]))
