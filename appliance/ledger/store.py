"""The ledger: one SQLite file in WAL mode, synchronous=FULL, with a single writer.

Every state change is :meth:`Transaction.append` of a journal record; the same call applies the
record to the projections, inside one ``BEGIN IMMEDIATE`` transaction, so a commit that
returned is on disk with its projections and a crash before it leaves neither.

Within core, writers share one connection behind a lock (waitress threads); other processes
(uplinkd, ``tillbox ledger verify``) open their own read-only connections with
:func:`open_readonly`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
import uuid
from datetime import datetime
from pathlib import Path
from typing import Iterator

from ..clock import SystemClock, format_ts, parse_ts
from ..errors import TillboxError
from . import projections, schema
from .records import (GENESIS_HASH, Record, StoredRecord, canonical_json, compute_hash,
                      reject_floats)
from ..i18n import _

log = logging.getLogger(__name__)


class LedgerError(TillboxError):
    """The ledger cannot be used (wrong device, closed, unreadable): nothing can be sold."""

    status = 503
    code = "ledger_unavailable"


def _connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        if not path.exists():
            raise LedgerError(_("ledger {path} does not exist", path=path))
        # as_uri() escapes '#', '?' and '%' that a plain "file:" string would misread.
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True,
                               isolation_level=None, check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 10000")
    if not readonly:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise LedgerError(_("ledger {path}: could not switch to WAL mode (got {mode})",
                                path=path, mode=mode))
        # FULL: a commit is on disk when it returns, also across a power cut.
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        # REPLACE conflict resolution fires delete triggers only with this on.
        conn.execute("PRAGMA recursive_triggers = ON")
    return conn


def open_readonly(path: str | os.PathLike) -> sqlite3.Connection:
    return _connect(Path(path), readonly=True)


def iter_records(conn: sqlite3.Connection, from_seq: int = 1, batch: int = 5000,
                 *, stored: bool = False) -> Iterator[Record]:
    """Records in stored (seq) order, read in batches so 1M records need no big memory.

    ``stored=True`` yields :class:`StoredRecord` (unparsed JSON, fast to verify).
    """
    make = StoredRecord if stored else Record.from_row
    cur = conn.execute(
        "SELECT seq, id, ts, clock_synced, type, actor, data, prev_hash, hash FROM journal "
        "WHERE seq >= ? ORDER BY seq", (from_seq,))
    while True:
        rows = cur.fetchmany(batch)
        if not rows:
            return
        for row in rows:
            yield make(row)


class Transaction:
    """Appends records and reads projections inside one write transaction."""

    def __init__(self, ledger: "Ledger", conn: sqlite3.Connection):
        self.ledger = ledger
        self.conn = conn
        self.records: list[Record] = []

    def append(self, type: str, actor: dict, data: dict) -> Record:
        reject_floats(data)
        reject_floats(actor, "actor")
        # Read the head each time (a primary-key lookup): nested transactions append too.
        row = self.conn.execute(
            "SELECT seq, ts, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
        last_seq, last_ts, prev_hash = row if row else (0, "", GENESIS_HASH)
        now = self.ledger.clock.now()
        ts = format_ts(now)
        if ts < last_ts:
            # The clock is behind the last record (e.g. a Pi booted before NTP): keep time
            # from going backwards; clock_synced tells readers how far to trust it.
            ts = last_ts
        seq = last_seq + 1
        rec_id = str(uuid.uuid4())
        synced = self.ledger.clock.synced()
        actor_json, data_json = canonical_json(actor), canonical_json(data)
        # Apply the record exactly as it will be read back (keys sorted, tuples as lists):
        # the projections must not depend on how the caller happened to build its dicts.
        actor, data = json.loads(actor_json), json.loads(data_json)
        h = compute_hash(seq, rec_id, ts, synced, type, actor, data, prev_hash)
        record = Record(seq, rec_id, ts, synced, type, actor, data, prev_hash, h)
        self.conn.execute(
            "INSERT INTO journal (seq, id, ts, clock_synced, type, actor, data, prev_hash, hash)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            (seq, rec_id, ts, int(synced), type, actor_json, data_json, prev_hash, h))
        projections.apply(self.conn, record)
        for hook in self.ledger._append_hooks:
            # In the same transaction: what a hook writes (e.g. the notification outbox)
            # commits with the record or not at all; a hook's exception aborts the append.
            hook(self, record)
        self.records.append(record)
        return record

    def now(self) -> datetime:
        """The time the next record will carry: the clock, but never before the last record."""
        return _clamped_now(self.conn, self.ledger.clock)

    def one(self, sql: str, params=()):
        return self.conn.execute(sql, params).fetchone()


class Ledger:
    """Owner of ledger.db in core (the single writer)."""

    def __init__(self, path: str | os.PathLike, device_id: str = "till-1",
                 store_id: str = "demo-store", clock=None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.clock = clock or SystemClock()
        self._lock = threading.RLock()
        self._conn = _connect(self.path)
        self._closed = False
        self._depth = 0  # nesting of transaction() on the owning thread (guarded by _lock)
        self._checkpointer: tuple[threading.Event, threading.Thread] | None = None
        self._commit_listeners: list = []
        self._append_hooks: list = []
        with self._lock:
            schema.create_all(self._conn)
            self._init_meta(device_id, store_id)

    def _init_meta(self, device_id: str, store_id: str) -> None:
        meta = dict(self._conn.execute("SELECT key, value FROM meta").fetchall())
        if not meta:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany("INSERT INTO meta VALUES (?, ?)", [
                ("schema_version", str(schema.SCHEMA_VERSION)),
                ("device_id", device_id), ("store_id", store_id),
                ("created_at", format_ts(self.clock.now()))])
            self._conn.execute("COMMIT")
            meta = {"device_id": device_id, "store_id": store_id}
        elif meta.get("device_id") != device_id:
            # The journal's seq belongs to one device; mixing two would fork head office's view.
            raise LedgerError(
                _("ledger {path} belongs to device {value}, not {device_id}: set shop.device_id back, or use another data directory",
                  path=self.path, value=repr(meta.get('device_id')), device_id=repr(device_id)))
        self.device_id = meta["device_id"]
        self.store_id = meta.get("store_id", store_id)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One durable write transaction; everything appended commits together or not at all.

        Nested use (a batch of engine commands, e.g. loading opening stock) becomes a
        SAVEPOINT inside the outer transaction: an inner failure rolls back only its part.
        """
        with self._lock:
            if self._closed:
                raise LedgerError(_("ledger is closed"))
            if self._depth:
                name = f"sp{self._depth}"
                self._conn.execute(f"SAVEPOINT {name}")
                self._depth += 1
                try:
                    yield Transaction(self, self._conn)
                except BaseException:
                    self._conn.execute(f"ROLLBACK TO {name}")
                    self._conn.execute(f"RELEASE {name}")
                    raise
                else:
                    self._conn.execute(f"RELEASE {name}")
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                tx = Transaction(self, self._conn)
                yield tx
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                try:
                    self._conn.execute("COMMIT")
                except sqlite3.Error:
                    # Disk full or I/O error: nothing was acknowledged; leave no transaction
                    # open behind (it would block every later sale), then report it.
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    raise
                self._committed(tx.records)
            finally:
                self._depth = 0

    def add_commit_listener(self, listener) -> None:
        """Call ``listener(records)`` after each commit that appended records (e.g. to wake
        printerd's long-poll). Listeners run on the writer's thread: they must only signal."""
        self._commit_listeners.append(listener)

    def add_append_hook(self, hook) -> None:
        """Call ``hook(tx, record)`` inside the write transaction after each append (and
        after the projections saw the record): whatever the hook writes through ``tx.conn``
        commits or rolls back with the record. Hooks never run on a projection rebuild or a
        replay: they are for operational rows (the notification outbox), not projections."""
        self._append_hooks.append(hook)

    def _committed(self, records) -> None:
        if not records:
            return
        for listener in self._commit_listeners:
            try:
                listener(records)
            except Exception:  # noqa: BLE001 - the sale is committed; a listener must not undo that
                log.exception("commit listener %r failed", listener)

    @contextlib.contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A consistent read of the projections (shares the writer's connection)."""
        with self._lock:
            if self._closed:
                raise LedgerError(_("ledger is closed"))
            if self._depth:  # inside a write transaction: it already is consistent
                yield self._conn
                return
            self._conn.execute("BEGIN")
            try:
                yield self._conn
            finally:
                self._conn.execute("COMMIT")

    def start_background_checkpoints(self, interval: float = 2.0) -> None:
        """Move WAL checkpoints off the sale path.

        By default SQLite checkpoints inside whichever commit crosses 1000 WAL pages, and that
        commit then waits for the database file's fsync (the slow tail of sale latency). Core
        turns that off and checkpoints from its own thread and connection instead; PASSIVE
        checkpoints never block a writer.
        """
        with self._lock:
            if self._checkpointer is not None:
                return
            self._conn.execute("PRAGMA wal_autocheckpoint = 0")
            stop = threading.Event()
            conn = _connect(self.path)

            def loop():
                try:
                    while not stop.wait(interval):
                        try:
                            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                        except sqlite3.Error as exc:  # keep trying; selling goes on meanwhile
                            log.warning("WAL checkpoint failed: %s", exc)
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                finally:
                    conn.close()

            thread = threading.Thread(target=loop, name="wal-checkpoint", daemon=True)
            self._checkpointer = (stop, thread)
            thread.start()

    def now(self) -> datetime:
        """Current time for business logic, never before the last record (see clock.py)."""
        with self.reading() as conn:
            return _clamped_now(conn, self.clock)

    def head(self) -> tuple[int, str]:
        with self.reading() as conn:
            row = conn.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else (0, GENESIS_HASH)

    def records(self, from_seq: int = 1) -> list[Record]:
        with self.reading() as conn:
            return list(iter_records(conn, from_seq))

    def close(self) -> None:
        if self._checkpointer is not None:
            stop, thread = self._checkpointer
            stop.set()
            thread.join(30)
            self._checkpointer = None
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _clamped_now(conn: sqlite3.Connection, clock) -> datetime:
    now = clock.now()
    row = conn.execute("SELECT ts FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    if row and format_ts(now) < row[0]:
        return parse_ts(row[0])
    return now
