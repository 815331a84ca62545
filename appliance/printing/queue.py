"""The durable print and drawer queue in ledger.db, worked by printerd.

Jobs are inserted by the ledger's projections in the same transaction as the sale, so a sale
that was acknowledged always has its receipt queued. States then move here, without journal
records (they are about paper, not money):

    queued ──claim──▶ printing ──▶ printed
                        │  ▲  └──▶ failed (reason)
                        ▼  │
                      waiting (reason: the printer is not ready; printerd holds the job)

Receipts are at-least-once: a claim carries a lease, and a receipt whose lease ran out
(printerd died mid-job) is offered again with the same id; printerd remembers printed ids so
the retry does not print twice. A drawer kick is offered once and never again. Receipts older
than an hour and drawer kicks older than 15 s expire: printing them now would surprise someone.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from datetime import timedelta

from appliance.clock import format_ts
from appliance.errors import Conflict, NotFound, ValidationError
from appliance.i18n import _

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_AGE = {"receipt": timedelta(hours=1), "report": timedelta(hours=1),
           "label": timedelta(hours=1), "drawer": timedelta(seconds=15)}
PENDING = ("queued", "printing", "waiting")
FINAL = ("printed", "failed", "expired")
#: What printerd may report about a job it holds.
REPORTABLE = ("printing", "waiting", "printed", "failed")

COLUMNS = ("id, kind, order_id, payload, state, created_at, seq, attempts, reason, updated_at,"
           " lease_until, finished_at")


def _job(row) -> dict:
    (job_id, kind, order_id, payload, state, created_at, seq, attempts, reason, updated_at,
     lease_until, finished_at) = row
    return {"id": job_id, "kind": kind, "order_id": order_id, "payload": json.loads(payload),
            "state": state, "created_at": created_at, "seq": seq, "attempts": attempts,
            "reason": reason, "updated_at": updated_at or created_at,
            "finished_at": finished_at}


class PrintQueue:
    def __init__(self, ledger):
        self.ledger = ledger
        #: Called with the jobs whose state the queue itself moved (expired, interrupted), so
        #: screens hear of it as they hear of printerd's reports.
        self.on_change = None
        self._wake = threading.Condition()
        self._generation = 0
        ledger.add_commit_listener(self._on_commit)

    # -- printerd's side ---------------------------------------------------------------

    def claim(self, wait: float = 0.0, kind: str | None = None) -> dict | None:
        """The next job to print (now marked ``printing`` with a lease), waiting up to
        ``wait`` seconds for one to be queued; None if there is none. Drawer kicks come
        first (a cashier is waiting to give change); ``kind`` limits the kinds taken."""
        deadline = time.monotonic() + wait
        while True:
            with self._wake:
                generation = self._generation
            job = self._claim_now(kind)
            if job is not None or time.monotonic() >= deadline:
                return job
            with self._wake:
                if self._generation == generation:
                    self._wake.wait(min(deadline - time.monotonic(), 5.0))

    def _claim_now(self, kind: str | None) -> dict | None:
        changed: list[str] = []
        with self.ledger.transaction() as tx:
            now = tx.now()
            ts = format_ts(now)
            # A drawer kick whose claim lapsed may have fired: never offer it again.
            for (job_id,) in tx.conn.execute(
                    "SELECT id FROM print_jobs WHERE kind = 'drawer' AND state IN"
                    " ('printing', 'waiting') AND lease_until < ?", (ts,)).fetchall():
                self._finish(tx.conn, job_id, "failed", "interrupted", ts)
                changed.append(job_id)
            changed += self._expire(tx.conn, now)
            row = tx.one(
                f"SELECT {COLUMNS} FROM print_jobs WHERE (state = 'queued' OR (state IN"
                " ('printing', 'waiting') AND lease_until < ?)) AND kind = COALESCE(?, kind)"
                " ORDER BY kind = 'drawer' DESC, seq, id LIMIT 1", (ts, kind))
            job = None
            if row is not None:
                job = _job(row)
                tx.conn.execute(
                    "UPDATE print_jobs SET state = 'printing', attempts = attempts + 1,"
                    " reason = '', updated_at = ?, lease_until = ? WHERE id = ?",
                    (ts, format_ts(now + LEASE), job["id"]))
                if job["state"] != "queued":
                    log.warning("print job %s (%s) offered again: its claim lapsed", job["id"],
                                job["kind"])
                job.update(state="printing", attempts=job["attempts"] + 1, reason="",
                           updated_at=ts)
        self._changed(changed)
        return job

    def report(self, job_id: str, state: str, reason: str = "") -> dict:
        """printerd says what happened to a job it claimed; returns the job as it now is.

        Reporting ``printed`` twice (a retry after a lost answer) is harmless; a job that
        expired or failed meanwhile stays so, except that ``printed`` is always believed.
        """
        if state not in REPORTABLE:
            raise ValidationError(_("state must be one of {choices}",
                                    choices=", ".join(REPORTABLE)))
        if state in ("waiting", "failed") and not reason:
            raise ValidationError(_("a waiting or failed job needs a reason"))
        changed: list[str] = []
        with self.ledger.transaction() as tx:
            now = tx.now()
            ts = format_ts(now)
            row = tx.one(f"SELECT {COLUMNS} FROM print_jobs WHERE id = ?", (job_id,))
            if row is None:
                raise NotFound(_("no print job {id}", id=job_id))
            job = _job(row)
            if job["state"] == state == "printed":
                return job
            if state == "printed":
                self._finish(tx.conn, job_id, "printed", "", ts)
            elif job["state"] not in ("printing", "waiting"):
                raise Conflict(_("print job {id} is {state}", id=job_id, state=job["state"]))
            elif state == "failed":
                self._finish(tx.conn, job_id, "failed", reason, ts)
            else:  # printing / waiting: printerd still holds it; renew the lease
                tx.conn.execute("UPDATE print_jobs SET state = ?, reason = ?, updated_at = ?,"
                                " lease_until = ? WHERE id = ?",
                                (state, reason, ts, format_ts(now + LEASE), job_id))
                changed = [i for i in self._expire(tx.conn, now) if i != job_id]
            job = _job(tx.one(f"SELECT {COLUMNS} FROM print_jobs WHERE id = ?", (job_id,)))
        self._changed(changed if state in ("printing", "waiting") else [])
        return job

    # -- what screens show -------------------------------------------------------------

    def get(self, job_id: str) -> dict:
        with self.ledger.reading() as conn:
            row = conn.execute(f"SELECT {COLUMNS} FROM print_jobs WHERE id = ?",
                               (job_id,)).fetchone()
        if row is None:
            raise NotFound(_("no print job {id}", id=job_id))
        return _job(row)

    def recent(self, limit: int = 20, order_id: str | None = None) -> list[dict]:
        sql = f"SELECT {COLUMNS} FROM print_jobs"
        params: tuple = ()
        if order_id:
            sql += " WHERE order_id = ?"
            params = (order_id,)
        with self.ledger.reading() as conn:
            rows = conn.execute(sql + " ORDER BY seq DESC, id LIMIT ?",
                                params + (limit,)).fetchall()
        return [_job(r) for r in rows]

    def pending(self) -> list[dict]:
        with self.ledger.reading() as conn:
            rows = conn.execute(f"SELECT {COLUMNS} FROM print_jobs WHERE state IN"
                                " ('queued', 'printing', 'waiting') ORDER BY seq, id").fetchall()
        return [_job(r) for r in rows]

    def add_report(self, payload: dict, prefix: str = "report") -> str:
        """Queue paper that is not a money event (a report summary, the setup slip): no
        journal record, so it goes straight into the queue. ``payload["document"]`` names
        the layout (appliance/printing/documents.py REPORT_DOCUMENTS). Returns the job id."""
        job_id = f"{prefix}-{uuid.uuid4().hex[:12]}"
        with self.ledger.transaction() as tx:
            seq = tx.one("SELECT MAX(seq) FROM journal")[0] or 0
            tx.conn.execute("INSERT INTO print_jobs (id, kind, payload, created_at, seq)"
                            " VALUES (?, 'report', ?, ?, ?)",
                            (job_id, json.dumps(payload, ensure_ascii=False),
                             format_ts(tx.now()), seq))
        with self._wake:
            self._generation += 1
            self._wake.notify_all()
        return job_id

    def expire_old(self) -> list[str]:
        """Expire what is too old to print now (core runs this every few seconds)."""
        with self.ledger.transaction() as tx:
            changed = self._expire(tx.conn, tx.now())
        self._changed(changed)
        return changed

    # -- internals ---------------------------------------------------------------------

    def _expire(self, conn, now) -> list[str]:
        """Expire old jobs; their ids."""
        ids: list[str] = []
        ts = format_ts(now)
        for kind, age in MAX_AGE.items():
            found = [r[0] for r in conn.execute(
                "SELECT id FROM print_jobs WHERE kind = ? AND created_at < ? AND (state IN"
                " ('queued', 'waiting') OR (state = 'printing' AND lease_until < ?))",
                (kind, format_ts(now - age), ts))]
            for job_id in found:
                conn.execute("UPDATE print_jobs SET state = 'expired', reason = 'too_old',"
                             " updated_at = ?, finished_at = ? WHERE id = ?", (ts, ts, job_id))
            if found:
                log.warning("%d %s job(s) expired unprinted (older than %s)", len(found),
                            kind, age)
            ids += found
        return ids

    def _changed(self, job_ids: list[str]) -> None:
        if job_ids and self.on_change is not None:
            self.on_change([self.get(i) for i in job_ids])

    @staticmethod
    def _finish(conn, job_id: str, state: str, reason: str, ts: str) -> None:
        conn.execute("UPDATE print_jobs SET state = ?, reason = ?, updated_at = ?,"
                     " finished_at = ?, lease_until = NULL WHERE id = ?",
                     (state, reason, ts, ts, job_id))

    def _on_commit(self, records) -> None:
        if any(r.data.get("print_jobs") for r in records):
            with self._wake:
                self._generation += 1
                self._wake.notify_all()

