"""Head office's database: every box's journal stored once, in SQLite or PostgreSQL.

SQLite (WAL, synchronous=FULL) for one head-office machine; PostgreSQL (psycopg 3) for several
ingest replicas on several machines. The SQL is portable (``ON CONFLICT`` works on SQLite
>= 3.24 and PostgreSQL); only connecting, placeholders, the append-only trigger and the
per-device lock differ.

``actor`` and ``data`` are kept as the canonical JSON text the device hashed (not JSONB,
which reorders keys), so any stored record can be verified again. Records are keyed by
``(store, device, seq)``: device ids are only unique within a store (every box's ledger
defaults to ``till-1``).
"""

from __future__ import annotations

import contextlib
import logging
import re
import sqlite3
import threading
from pathlib import Path
from typing import Iterator

from ..errors import TillboxError
from ..ledger.records import Record, StoredRecord, canonical_json

log = logging.getLogger(__name__)

SQLITE_PREFIX = "sqlite://"
POSTGRES_PREFIXES = ("postgresql://", "postgres://")

_TABLES = [
    """CREATE TABLE IF NOT EXISTS journal (
        store TEXT NOT NULL, device TEXT NOT NULL, seq BIGINT NOT NULL, id TEXT NOT NULL,
        ts TEXT NOT NULL, clock_synced BOOLEAN NOT NULL, type TEXT NOT NULL,
        actor TEXT NOT NULL, data TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
        received_at TEXT NOT NULL, ingested_by TEXT NOT NULL DEFAULT '',
        UNIQUE (store, device, seq))""",
    "CREATE INDEX IF NOT EXISTS journal_type ON journal (type)",
    # A lower bound of each device's contiguous seq, so finding it does not walk from 1.
    """CREATE TABLE IF NOT EXISTS progress (
        store TEXT NOT NULL, device TEXT NOT NULL, seq BIGINT NOT NULL,
        updated_at TEXT NOT NULL, PRIMARY KEY (store, device))""",
    # One row per distinct bad record and reason; a device that resends it bumps ``times``.
    """CREATE TABLE IF NOT EXISTS rejects (
        store TEXT NOT NULL, device TEXT NOT NULL, seq BIGINT NOT NULL, hash TEXT NOT NULL,
        reason TEXT NOT NULL, detail TEXT NOT NULL, payload TEXT NOT NULL,
        first_at TEXT NOT NULL, last_at TEXT NOT NULL, times BIGINT NOT NULL DEFAULT 1,
        UNIQUE (store, device, seq, hash, reason))""",
    """CREATE TABLE IF NOT EXISTS device_latest (
        store TEXT NOT NULL, device TEXT NOT NULL, kind TEXT NOT NULL, payload TEXT NOT NULL,
        received_at TEXT NOT NULL, PRIMARY KEY (store, device, kind))""",
    # Which records name an order or an after-sales ticket (``data.order_id``,
    # ``data.ticket_id``, an erasure's order ids): the e-receipt page reads one order's
    # records through it instead of scanning the device's journal (docs/ereceipt.md).
    """CREATE TABLE IF NOT EXISTS record_keys (
        store TEXT NOT NULL, device TEXT NOT NULL, key TEXT NOT NULL, seq BIGINT NOT NULL,
        UNIQUE (store, device, key, seq))""",
    # Messages boxes relay through head office (SMS without a modem, WeChat), for head
    # office's own sender: it sends those with sent_at NULL and sets it (docs/notifications.md).
    """CREATE TABLE IF NOT EXISTS notify_messages (
        store TEXT NOT NULL, device TEXT NOT NULL, id TEXT NOT NULL, channel TEXT NOT NULL,
        to_addr TEXT NOT NULL, language TEXT NOT NULL, event TEXT NOT NULL,
        subject TEXT NOT NULL, text TEXT NOT NULL, payload TEXT NOT NULL,
        received_at TEXT NOT NULL, sent_at TEXT, UNIQUE (store, device, id))""",
    # issue 11: a device that continues another's journal under a new id (device.linked,
    # docs/replacing-a-box.md): its chain starts at first_seq, after pred_device's pred_seq.
    """CREATE TABLE IF NOT EXISTS device_links (
        store TEXT NOT NULL, device TEXT NOT NULL, first_seq BIGINT NOT NULL,
        pred_store TEXT NOT NULL, pred_device TEXT NOT NULL, pred_seq BIGINT NOT NULL,
        pred_hash TEXT NOT NULL, linked_at TEXT NOT NULL, PRIMARY KEY (store, device),
        UNIQUE (pred_store, pred_device))""",
    """CREATE TABLE IF NOT EXISTS cmd_acks (
        store TEXT NOT NULL, device TEXT NOT NULL, cmd_id TEXT NOT NULL, status TEXT NOT NULL,
        detail TEXT NOT NULL, payload TEXT NOT NULL, received_at TEXT NOT NULL,
        UNIQUE (store, device, cmd_id, status))""",
]

_SQLITE_APPEND_ONLY = [
    """CREATE TRIGGER IF NOT EXISTS journal_no_update BEFORE UPDATE ON journal
       BEGIN SELECT RAISE(ABORT, 'journal rows are never changed'); END""",
    """CREATE TRIGGER IF NOT EXISTS journal_no_delete BEFORE DELETE ON journal
       BEGIN SELECT RAISE(ABORT, 'journal rows are never deleted'); END""",
]

_POSTGRES_APPEND_ONLY = [
    """CREATE OR REPLACE FUNCTION journal_append_only() RETURNS trigger LANGUAGE plpgsql AS
       $$ BEGIN RAISE EXCEPTION 'journal rows are never changed or deleted'; END $$""",
    """CREATE OR REPLACE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON journal
       FOR EACH ROW EXECUTE FUNCTION journal_append_only()""",
]

_RECORD_COLUMNS = "seq, id, ts, clock_synced, type, actor, data, prev_hash, hash"


class StoreError(TillboxError):
    """Head office's database cannot be opened or used."""

    status = 503
    code = "headoffice_db"


def parse_dsn(dsn: str) -> tuple[str, str]:
    """("sqlite", path) or ("postgresql", dsn). ``sqlite:///var/lib/x.db`` is the absolute
    path /var/lib/x.db (as in file URLs); ValueError names what is wrong."""
    if dsn.startswith(POSTGRES_PREFIXES):
        return "postgresql", dsn
    shown = re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", dsn)  # no password in a message
    if dsn.startswith(SQLITE_PREFIX):
        path = dsn[len(SQLITE_PREFIX):]
        if not path or path.endswith("/"):
            raise ValueError(f"database {shown!r} names no file: use "
                             "sqlite:///path/to/file.db")
        return "sqlite", path
    raise ValueError(f"database {shown!r} is neither sqlite:///path/to/file.db nor "
                     "postgresql://user@host/dbname")


def open_store(dsn: str, *, create: bool = True) -> "HeadOfficeStore":
    """Open the database a DSN names, creating its tables if needed (``create=False``: only
    an existing one, e.g. for a report)."""
    kind, target = parse_dsn(dsn)
    if not create and kind == "sqlite" and not Path(target).is_file():
        raise StoreError(f"SQLite database {target} does not exist: check --db (the ingest "
                         "creates it on its first start)")
    store = HeadOfficeStore(kind, target)
    if create:
        store.create_tables()
    return store


class HeadOfficeStore:
    """One connection to head office's database, shared behind a lock.

    Write through :meth:`transaction`; everything else is a single statement.
    """

    def __init__(self, kind: str, target: str):
        self.kind = kind
        self._target = target
        self._lock = threading.RLock()
        self._conn = None
        self._closed = False
        if kind == "postgresql":
            try:
                import psycopg
            except ImportError:
                raise StoreError("PostgreSQL needs psycopg 3: pip install 'psycopg[binary]'"
                                 ) from None
            self.db_errors: tuple[type[BaseException], ...] = (psycopg.Error,)
        else:
            self.db_errors = (sqlite3.Error,)
        self.name = self._describe()
        self._connect()

    def _describe(self) -> str:
        if self.kind == "sqlite":
            return f"SQLite database {self._target}"
        from urllib.parse import urlsplit
        parts = urlsplit(self._target)
        # Never a password in a log line.
        return f"PostgreSQL database {parts.hostname or 'localhost'}{parts.path}"

    # -- connection ----------------------------------------------------------------------

    def _connect(self) -> None:
        if self.kind == "sqlite":
            path = Path(self._target)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(str(path), isolation_level=None,
                                       check_same_thread=False)
                conn.execute("PRAGMA busy_timeout = 10000")
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                # FULL: a commit is on disk when it returns, so an ack never runs ahead of it.
                conn.execute("PRAGMA synchronous = FULL")
            except (OSError, sqlite3.Error) as exc:
                raise StoreError(f"cannot open {self.name}: {exc}: check the path and its "
                                 "permissions") from None
            if mode.lower() != "wal":
                conn.close()
                raise StoreError(f"{self.name}: could not switch to WAL mode (got {mode})")
            self._conn = conn
            return
        import psycopg
        try:
            self._conn = psycopg.connect(self._target, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to {self.name}: "
                             f"{str(exc).strip().splitlines()[0]}") from None

    def reconnect(self) -> None:
        """Drop the connection and open a new one (after the database went away)."""
        with self._lock:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._connect()

    def create_tables(self) -> None:
        extra = _SQLITE_APPEND_ONLY if self.kind == "sqlite" else _POSTGRES_APPEND_ONLY
        with self.transaction():
            if self.kind == "postgresql":
                # Replicas starting together would otherwise race on CREATE.
                self._x("SELECT pg_advisory_xact_lock(7714)")
            for sql in _TABLES + extra:
                self._x(sql)

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _x(self, sql: str, params=()):
        if self.kind == "postgresql":
            sql = sql.replace("?", "%s")  # our SQL has no literal question marks
        return self._conn.execute(sql, params)

    @contextlib.contextmanager
    def transaction(self) -> Iterator["HeadOfficeStore"]:
        """One write transaction: everything in it commits together or not at all."""
        with self._lock:
            if self._closed:
                raise StoreError(f"{self.name} is closed")
            if self.kind == "postgresql":
                with self._conn.transaction():
                    yield self
                return
            # IMMEDIATE: replicas on one SQLite file take turns instead of failing to upgrade.
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            try:
                self._conn.execute("COMMIT")
            except sqlite3.Error:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    def lock_devices(self, keys) -> None:
        """Within a transaction: serialise replicas working on the same devices, so the chain
        checks against a neighbour record see each other's work. SQLite's write lock already
        does; PostgreSQL takes advisory locks, in sorted order so two replicas cannot
        deadlock."""
        if self.kind != "postgresql":
            return
        for store, device in sorted(set(keys)):
            self._x("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))",
                    (f"{store}/{device}",))

    # -- journal ---------------------------------------------------------------------------

    def record_hashes(self, store: str, device: str, seq: int) -> tuple[str, str] | None:
        """(prev_hash, hash) of a stored record, or None."""
        row = self._x("SELECT prev_hash, hash FROM journal WHERE store = ? AND device = ? "
                      "AND seq = ?", (store, device, seq)).fetchone()
        return (row[0], row[1]) if row else None

    def insert_record(self, store: str, device: str, rec: Record, received_at: str,
                      ingested_by: str) -> bool:
        """True when stored; False when that seq was stored already."""
        cur = self._x(
            "INSERT INTO journal (store, device, seq, id, ts, clock_synced, type, actor, data,"
            " prev_hash, hash, received_at, ingested_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT (store, device, seq) DO NOTHING",
            (store, device, rec.seq, rec.id, rec.ts, bool(rec.clock_synced), rec.type,
             canonical_json(rec.actor), canonical_json(rec.data), rec.prev_hash, rec.hash,
             received_at, ingested_by))
        if cur.rowcount != 1:
            return False
        for key in record_keys(rec):
            self._x("INSERT INTO record_keys (store, device, key, seq) VALUES (?,?,?,?) "
                    "ON CONFLICT (store, device, key, seq) DO NOTHING",
                    (store, device, key, rec.seq))
        return True

    def keyed_records(self, store: str, device: str, key: str,
                      types: tuple[str, ...] | None = None) -> list[Record]:
        """The device's records that name ``key`` (an order or ticket id), in seq order."""
        # seq IN (the key's few seqs): each one a lookup in the journal's unique index. (A
        # join, or a type filter in SQL, lets SQLite's planner walk the whole device instead.)
        sql = (f"SELECT {_RECORD_COLUMNS} FROM journal WHERE store = ? AND device = ? AND seq"
               " IN (SELECT seq FROM record_keys WHERE store = ? AND device = ? AND key = ?)"
               " ORDER BY seq")
        with self._lock:
            rows = self._x(sql, (store, device, store, device, key)).fetchall()
        records = [StoredRecord(tuple(r)).to_record() for r in rows]
        return [r for r in records if not types or r.type in types]

    def contiguous(self, store: str, device: str) -> int:
        """The highest seq such that 1..seq are all stored (0 when seq 1 is missing)."""
        with self._lock:
            row = self._x("SELECT seq FROM progress WHERE store = ? AND device = ?",
                          (store, device)).fetchone()
            n = row[0] if row else 0
            while True:
                rows = self._x("SELECT seq FROM journal WHERE store = ? AND device = ? AND "
                               "seq > ? ORDER BY seq LIMIT 1000", (store, device, n)).fetchall()
                for (seq,) in rows:
                    if seq != n + 1:
                        return n
                    n = seq
                if len(rows) < 1000:
                    return n

    def save_progress(self, store: str, device: str, seq: int, at: str) -> None:
        """Raise the stored lower bound (never lowers it: another replica may be ahead)."""
        self._x("INSERT INTO progress (store, device, seq, updated_at) VALUES (?,?,?,?) "
                "ON CONFLICT (store, device) DO UPDATE SET seq = excluded.seq, "
                "updated_at = excluded.updated_at WHERE progress.seq < excluded.seq",
                (store, device, seq, at))

    def max_seq(self, store: str, device: str) -> int:
        with self._lock:
            row = self._x("SELECT MAX(seq) FROM journal WHERE store = ? AND device = ?",
                          (store, device)).fetchone()
        return row[0] or 0

    def records(self, store: str, device: str) -> list[Record]:
        with self._lock:
            rows = self._x(f"SELECT {_RECORD_COLUMNS} FROM journal WHERE store = ? AND "
                           "device = ? ORDER BY seq", (store, device)).fetchall()
        return [StoredRecord(tuple(r)).to_record() for r in rows]

    def devices(self) -> list[tuple[str, str]]:
        with self._lock:
            rows = self._x("SELECT DISTINCT store, device FROM journal ORDER BY store, device"
                           ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def count_records(self, store: str | None = None, device: str | None = None) -> int:
        where, params = _where(store=store, device=device)
        with self._lock:
            return self._x(f"SELECT COUNT(*) FROM journal{where}", params).fetchone()[0]

    def ingested_by(self, store: str, device: str) -> dict[int, str]:
        """seq -> the ingest (client id) that stored it."""
        with self._lock:
            rows = self._x("SELECT seq, ingested_by FROM journal WHERE store = ? AND "
                           "device = ?", (store, device)).fetchall()
        return {r[0]: r[1] for r in rows}

    def iter_typed(self, types: tuple[str, ...], store: str | None = None
                   ) -> Iterator[tuple[str, str, str]]:
        """(store, type, data JSON) of the records of some types, in stored order."""
        marks = ",".join("?" * len(types))
        where, params = _where(store=store)
        where = (where + " AND " if where else " WHERE ") + f"type IN ({marks})"
        with self._lock:
            cur = self._x(f"SELECT store, type, data FROM journal{where} "
                          "ORDER BY store, device, seq", params + list(types))
            rows = cur.fetchall()
        for r in rows:
            yield r[0], r[1], r[2]

    # -- device links (issue 11: replacing a box) -------------------------------------------

    def add_link(self, store: str, device: str, first_seq: int, pred: dict, at: str) -> None:
        self._x("INSERT INTO device_links (store, device, first_seq, pred_store, pred_device,"
                " pred_seq, pred_hash, linked_at) VALUES (?,?,?,?,?,?,?,?)",
                (store, device, first_seq, pred["store"], pred["device"], pred["seq"],
                 pred["hash"], at))

    def link_of(self, store: str, device: str) -> dict | None:
        """The predecessor a device was linked from, or None."""
        with self._lock:
            row = self._x("SELECT first_seq, pred_store, pred_device, pred_seq, pred_hash FROM "
                          "device_links WHERE store = ? AND device = ?", (store, device)
                          ).fetchone()
        return None if row is None else dict(zip(
            ("first_seq", "store", "device", "seq", "hash"), row))

    def successor_of(self, store: str, device: str) -> dict | None:
        """The device that continues this one's journal, or None."""
        with self._lock:
            row = self._x("SELECT store, device, first_seq, pred_seq FROM device_links WHERE "
                          "pred_store = ? AND pred_device = ?", (store, device)).fetchone()
        return None if row is None else dict(zip(("store", "device", "first_seq", "pred_seq"),
                                                 row))

    def iter_records(self, store: str, device: str, from_seq: int = 1, to_seq: int | None = None,
                     batch: int = 5000) -> Iterator[Record]:
        """A device's stored records from ``from_seq`` (to ``to_seq``) in seq order, in batches."""
        seq = from_seq - 1
        while True:
            with self._lock:
                rows = self._x(f"SELECT {_RECORD_COLUMNS} FROM journal WHERE store = ? AND "
                               "device = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
                               (store, device, seq, to_seq if to_seq is not None else 2**62,
                                batch)).fetchall()
            for r in rows:
                yield StoredRecord(tuple(r)).to_record()
            if len(rows) < batch:
                return
            seq = rows[-1][0]

    # -- everything else a device sends ----------------------------------------------------

    def add_reject(self, store: str, device: str, seq: int, hash_: str, reason: str,
                   detail: str, payload: str, at: str) -> None:
        self._x("INSERT INTO rejects (store, device, seq, hash, reason, detail, payload, "
                "first_at, last_at, times) VALUES (?,?,?,?,?,?,?,?,?,1) "
                "ON CONFLICT (store, device, seq, hash, reason) DO UPDATE SET "
                "times = rejects.times + 1, last_at = excluded.last_at",
                (store, device, seq, hash_, reason, detail, payload, at, at))

    def rejects(self) -> list[dict]:
        with self._lock:
            rows = self._x("SELECT store, device, seq, hash, reason, detail, times FROM "
                           "rejects ORDER BY first_at, store, device, seq").fetchall()
        keys = ("store", "device", "seq", "hash", "reason", "detail", "times")
        return [dict(zip(keys, r)) for r in rows]

    def set_latest(self, store: str, device: str, kind: str, payload: str, at: str) -> None:
        self._x("INSERT INTO device_latest (store, device, kind, payload, received_at) "
                "VALUES (?,?,?,?,?) ON CONFLICT (store, device, kind) DO UPDATE SET "
                "payload = excluded.payload, received_at = excluded.received_at",
                (store, device, kind, payload, at))

    def latest(self, store: str, device: str, kind: str) -> str | None:
        with self._lock:
            row = self._x("SELECT payload FROM device_latest WHERE store = ? AND device = ? "
                          "AND kind = ?", (store, device, kind)).fetchone()
        return row[0] if row else None

    def add_cmd_ack(self, store: str, device: str, cmd_id: str, status: str, detail: str,
                    payload: str, at: str) -> bool:
        """True when new (each replica hears every cmd_ack; one row is kept)."""
        cur = self._x("INSERT INTO cmd_acks (store, device, cmd_id, status, detail, payload, "
                      "received_at) VALUES (?,?,?,?,?,?,?) "
                      "ON CONFLICT (store, device, cmd_id, status) DO NOTHING",
                      (store, device, cmd_id, status, detail, payload, at))
        return cur.rowcount == 1

    def add_notify_message(self, store: str, device: str, body: dict, payload: str,
                           at: str) -> bool:
        """True when new (a box may send one message twice; it is kept once)."""
        cur = self._x("INSERT INTO notify_messages (store, device, id, channel, to_addr, "
                      "language, event, subject, text, payload, received_at) "
                      "VALUES (?,?,?,?,?,?,?,?,?,?,?) "
                      "ON CONFLICT (store, device, id) DO NOTHING",
                      (store, device, body["id"], body["channel"], body["to"],
                       str(body.get("language", "")), str(body.get("event", "")),
                       str(body.get("subject", "")), body["text"], payload, at))
        return cur.rowcount == 1

    def notify_messages(self, store: str, device: str) -> list[dict]:
        """The relayed messages of one device, in arrival order."""
        with self._lock:
            rows = self._x("SELECT id, channel, to_addr, event, text, sent_at FROM "
                           "notify_messages WHERE store = ? AND device = ? ORDER BY "
                           "received_at, id", (store, device)).fetchall()
        keys = ("id", "channel", "to", "event", "text", "sent_at")
        return [dict(zip(keys, r)) for r in rows]

    def cmd_acks(self, store: str, device: str) -> list[tuple[str, str, str]]:
        """(cmd_id, status, detail) in arrival order."""
        with self._lock:
            rows = self._x("SELECT cmd_id, status, detail FROM cmd_acks WHERE store = ? AND "
                           "device = ? ORDER BY received_at", (store, device)).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]


def record_keys(rec: Record) -> set[str]:
    """The order and ticket ids a record names (what :meth:`keyed_records` finds it by)."""
    data = rec.data if isinstance(rec.data, dict) else {}
    keys = {data.get("order_id"), data.get("ticket_id")}
    if rec.type == "customer.erased":
        for name in ("order_ids", "delivery_order_ids", "ticket_ids"):
            ids = data.get(name)
            keys.update(ids if isinstance(ids, list) else [])
    return {k for k in keys if isinstance(k, str) and k}


def _where(**filters) -> tuple[str, list]:
    parts, params = [], []
    for column, value in filters.items():
        if value is not None:
            parts.append(f"{column} = ?")
            params.append(value)
    return (" WHERE " + " AND ".join(parts) if parts else ""), params
