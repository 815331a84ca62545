"""``tillbox ledger import FILE``: rebuild a box's ledger from head office's copy of its journal.

Only into an EMPTY ledger of the same store and device. The whole file is verified first
(every hash, every link, seq from 1, its head against the header), then every record is
inserted verbatim (same seq, id, ts, hash) and applied to the projections in ONE SQLite
transaction: a power cut half-way leaves the empty ledger it started from, never a
half-imported one that could start selling. Receipts and drawer kicks the old records queue
while they are applied are marked expired (``too_old``): nothing is printed or opened again.
Finally uplinkd's cursor is set to the imported head, which head office holds: nothing is
sent again and the next sale (head + 1) is the next record head office expects.

With ``--take-ids`` the ledger is made under the placeholder device id
``import-in-progress`` (no configuration names it, so core refuses to start with it): the
meta rows take the file's store and device inside the import transaction, and the setup
overlay naming them is written just before the COMMIT (put back if the COMMIT fails). Cut
short at any point, the box is never left as the old device with an empty ledger (which
would sell seq 1 again, a fork): core refuses to start until the same import is run again.

A file whose header says head office holds later records beyond a hole (``holes_after``) is
refused unless ``allow_hole``: the box would sell again seqs head office already has.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from pathlib import Path
from typing import Callable

from ..backup import RESTORE_MARKER, _lock_ledger
from ..clock import SystemClock, format_ts
from ..errors import ValidationError
from ..ledger import Ledger, open_readonly, verify
from ..ledger import projections
from ..ledger.records import canonical_json
from ..ledger.store import iter_records
from ..migrations import migrate
from ..printing.queue import FINAL
from ..uplink.state import UplinkState
from . import FIRST_SEQ_KEY, IMPORTED_HEAD_KEY, journal_file

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")

Progress = Callable[[str, int, int], None]


#: The device id of the ledger a ``--take-ids`` import fills until it commits.
IMPORTING = "import-in-progress"


class ImportRefused(ValidationError):
    """The file cannot be imported here (the message says why and what to do)."""

    code = "import_refused"


def _none(what: str, done: int, total: int) -> None:
    pass


def check_file(path: Path, progress: Progress = _none) -> dict:
    """Read and verify the whole file; return its header. ImportRefused names the problem."""
    if not path.is_file():
        raise ImportRefused(f"no journal file at {path}")
    try:
        with open(path, encoding="utf-8") as fh:
            head = journal_file.read_header(fh)
    except (journal_file.JournalFileError, UnicodeDecodeError) as exc:
        raise ImportRefused(f"{path} is not a device journal file: {exc}") from None

    def records():
        with open(path, encoding="utf-8") as fh:
            journal_file.read_header(fh)
            for rec in journal_file.read_records(fh):
                progress("verify", rec.seq, head["head_seq"])
                yield rec
    try:
        result = verify(records(), expect_head=head["head_hash"], expect_seq=head["head_seq"],
                        rescan=records)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ImportRefused(f"{path}: {exc}") from None
    if not result.ok:
        raise ImportRefused(f"{path} does not verify, nothing was imported: {result.line()}")
    if result.head_seq != head["head_seq"]:
        raise ImportRefused(f"{path} holds records after the head its header names (seq "
                            f"{head['head_seq']}): it was altered")
    return head


def _ledger_state(path: Path) -> tuple[dict, int]:
    conn = open_readonly(path)
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        n = conn.execute("SELECT COUNT(*) FROM journal").fetchone()[0]
    finally:
        conn.close()
    return meta, n


def import_journal(cfg, path: Path, *, progress: Progress = _none, clock=None,
                   take_ids: bool = False, allow_hole: bool = False) -> dict:
    """Import the device journal file ``path`` into ``cfg``'s empty ledger; return a summary
    {store, device, head_seq, head_hash, records, print_jobs_skipped, empty_ledger_kept_in}.

    ``take_ids`` (a new box, whose first boot gave it an id of its own): the file's store and
    device id are written to the setup overlay, and an EMPTY ledger made under another id is
    set aside first (it holds no record, so nothing is lost). ``allow_hole``: import a file
    that stops at a hole in head office's copy (then relink before selling)."""
    path = Path(path)
    store, device = cfg.shop.store_id, cfg.shop.device_id
    if take_ids:
        try:
            with open(path, encoding="utf-8") as fh:
                named = journal_file.read_header(fh)
            store, device = named["store"], named["device"]
        except (OSError, journal_file.JournalFileError, UnicodeDecodeError):
            pass   # refused below with the reason
    if (cfg.data_dir / RESTORE_MARKER).exists():
        raise ImportRefused(f"a restore into {cfg.data_dir} was cut short: finish it first "
                            "(docs/backup.md)")
    ledger_path = cfg.ledger_path
    if ledger_path.exists():
        try:
            meta, n = _ledger_state(ledger_path)
        except sqlite3.DatabaseError as exc:
            raise ImportRefused(f"the ledger at {ledger_path} cannot be read ({exc}): move it "
                                "away first") from None
        if n:
            raise ImportRefused(f"the ledger at {ledger_path} already holds {n} records: import "
                                "only into an empty ledger (a new box, or move ledger.db away)")
        if meta.get("device_id") not in (None, device) and not take_ids:
            raise ImportRefused(f"the empty ledger at {ledger_path} was made for device "
                                f"{meta.get('device_id')!r}, the file is device {device!r}: "
                                "add --take-ids on a new box")
    # Cheap checks first: which store and device the file belongs to.
    try:
        with open(path, encoding="utf-8") as fh:
            head = journal_file.read_header(fh)
    except FileNotFoundError:
        raise ImportRefused(f"no journal file at {path}") from None
    except (journal_file.JournalFileError, UnicodeDecodeError) as exc:
        raise ImportRefused(f"{path} is not a device journal file: {exc}") from None
    if (head["store"], head["device"]) != (store, device):
        raise ImportRefused(
            f"{path} is the journal of store {head['store']!r} device {head['device']!r}, but "
            f"this box is configured as store {store!r} device {device!r}: on a new box add "
            "--take-ids (or export the right device)")
    if head.get("holes_after") and not allow_hole:
        raise ImportRefused(
            f"head office holds later records of {head['store']}/{head['device']} beyond a hole "
            f"after seq {head['head_seq']} (up to seq {head.get('held_to', '?')}), and they are "
            "not in this file: a box rebuilt from it would sell those seqs again, a fork. Add "
            "--allow-hole only to go on under a new device id right after (`tillbox ledger "
            "relink`, docs/replacing-a-box.md)")
    head = {**check_file(path, progress), "holes_after": bool(head.get("holes_after"))}
    kept = None
    if take_ids:
        kept = _set_empty_ledger_aside(cfg, device)
    # A new data directory is stamped with this version's format first: a ledger without
    # format.json would be taken for format 1 data and migrated at core's start.
    migrate(cfg)
    # Creates ledger.db with its tables and meta when there is none yet: under the box's own
    # ids until the import commits (take_ids), so a cut-short import never leaves an empty
    # ledger of the old device.
    if not ledger_path.exists():
        Ledger(ledger_path, device_id=IMPORTING if take_ids else device,
               store_id=store).close()
    lock = _lock_ledger(ledger_path)
    if lock is None:
        raise ImportRefused(f"the ledger at {ledger_path} cannot be opened")
    overlay_before = _read_bytes(cfg.overlay_path) if take_ids else None
    overlay_written = False
    try:
        lock.execute("PRAGMA recursive_triggers = ON")  # as core's own connection has it
        summary = _insert(lock, path, head, progress, clock or SystemClock(),
                          take_ids=take_ids)
        if take_ids:
            # Last before the COMMIT: cut short here, the ledger is still IMPORTING's and
            # core refuses to start with it; the import is run again.
            from ..provisioning import write_overlay
            overlay_written = True
            write_overlay(cfg.overlay_path, {"shop": {"store_id": store, "device_id": device}})
        lock.execute("COMMIT")
    except BaseException:
        if lock.in_transaction:
            lock.execute("ROLLBACK")
        if overlay_written:
            _put_back(cfg.overlay_path, overlay_before)
        raise
    finally:
        lock.close()
    # Head office holds every imported record (it wrote the file): uplinkd starts after them.
    # The ledger is committed: a failure from here on is a warning, not a failed import
    # (core sets the cursor at its start: catch_up_cursor).
    summary["warnings"] = []
    try:
        UplinkState(cfg.uplink_dir).set_acked(head["head_seq"])
    except OSError as exc:
        log.error("the ledger is imported, but uplinkd's cursor could not be set to seq %d "
                  "(%s): core sets it at its start", head["head_seq"], exc)
        summary["warnings"].append("cursor_not_set")
    audit.info("ledger rebuilt from head office's journal of %s/%s: %d records, head seq %d",
               store, device, summary["records"], head["head_seq"])
    summary["empty_ledger_kept_in"] = str(kept) if kept else None
    summary["holes_after"] = head["holes_after"]
    return summary


def _read_bytes(path: Path) -> bytes | None:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        return None


def _put_back(path: Path, before: bytes | None) -> None:
    from ..durable import write_bytes
    try:
        if before is None:
            Path(path).unlink(missing_ok=True)
        else:
            write_bytes(Path(path), before, mode=0o640)
    except OSError as exc:
        log.error("could not put %s back after a failed import: %s", path, exc)


def _set_empty_ledger_aside(cfg, device: str) -> Path | None:
    """Set an empty ledger of another device aside (checked empty by the caller, and again
    here under the lock); the overlay with the file's ids is written only with the COMMIT."""
    path = cfg.ledger_path
    meta: dict = {}
    if path.exists():
        lock = _lock_ledger(path)   # refuses while core or a daemon has it open
        try:
            meta = dict(lock.execute("SELECT key, value FROM meta").fetchall())
            if lock.execute("SELECT COUNT(*) FROM journal").fetchone()[0]:
                raise ImportRefused(f"the ledger at {path} is not empty: nothing was imported")
            lock.execute("COMMIT")
        finally:
            lock.close()
    if not path.exists() or meta.get("device_id") in (None, device, IMPORTING):
        return None
    kept = cfg.data_dir / "backups" / f"empty-ledger-{meta.get('device_id')}-" \
        f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
    kept.mkdir(parents=True, exist_ok=True, mode=0o750)
    for ext in ("", "-wal", "-shm"):
        p = path.with_name(path.name + ext)
        if p.exists():
            os.replace(p, kept / p.name)
    return kept


def _insert(conn: sqlite3.Connection, path: Path, head: dict, progress: Progress,
            clock, *, take_ids: bool = False) -> dict:
    """Inside the lock's exclusive transaction: the records, their projections, the meta."""
    if conn.execute("SELECT COUNT(*) FROM journal").fetchone()[0]:
        raise ImportRefused("the ledger is not empty any more: nothing was imported")
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    if take_ids:   # the file's ids, committed with its records or not at all
        conn.execute("UPDATE meta SET value = ? WHERE key = 'device_id'", (head["device"],))
    elif meta.get("device_id") != head["device"]:
        raise ImportRefused(f"the ledger was made for device {meta.get('device_id')!r}, the "
                            f"file is device {head['device']!r}: nothing was imported")
    n = 0
    with open(path, encoding="utf-8") as fh:
        journal_file.read_header(fh)
        for rec in journal_file.read_records(fh):
            conn.execute(
                "INSERT INTO journal (seq, id, ts, clock_synced, type, actor, data, prev_hash,"
                " hash) VALUES (?,?,?,?,?,?,?,?,?)",
                (rec.seq, rec.id, rec.ts, int(rec.clock_synced), rec.type,
                 canonical_json(rec.actor), canonical_json(rec.data), rec.prev_hash, rec.hash))
            projections.apply(conn, rec)
            n += 1
            progress("import", n, head["head_seq"])
    row = conn.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    if (row[0], row[1]) != (head["head_seq"], head["head_hash"]):  # the file changed meanwhile
        raise ImportRefused(f"{path} changed while it was imported: nothing was imported")
    now = format_ts(clock.now())
    marks = ",".join("?" * len(FINAL))
    skipped = conn.execute(
        f"UPDATE print_jobs SET state = 'expired', reason = 'too_old', updated_at = ?, "
        f"finished_at = ? WHERE state NOT IN ({marks})", (now, now, *FINAL)).rowcount
    conn.execute("INSERT INTO meta (key, value) VALUES ('store_id', ?) ON CONFLICT(key) DO "
                 "UPDATE SET value = excluded.value", (head["store"],))
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                 "value = excluded.value", (IMPORTED_HEAD_KEY, str(head["head_seq"])))
    if head["first_seq"] > 1:
        conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE "
                     "SET value = excluded.value", (FIRST_SEQ_KEY, str(head["first_seq"])))
    return {"store": head["store"], "device": head["device"], "head_seq": head["head_seq"],
            "head_hash": head["head_hash"], "records": n, "print_jobs_skipped": skipped}


#: Settings whose value is not enough without a file the journal does not hold.
NOT_FROM_JOURNAL = ("receipt.logo",)


def restore_settings(cfg) -> tuple[dict, list[str]]:
    """Put each shop setting's last value from the journal's ``settings.changed`` records into
    master data (a rebuilt box has none). Not a change, so no record: the journal already
    says these are the values. Returns (restored {key: value}, keys left at their default
    because the value no longer validates or needs a file: the logo)."""
    from ..master import MasterData
    from ..master.settings import validate_setting
    last: dict = {}
    conn = open_readonly(cfg.ledger_path)
    try:
        for rec in iter_records(conn):
            if rec.type == "settings.changed" and isinstance(rec.data.get("changes"), dict):
                for key, change in rec.data["changes"].items():
                    if isinstance(change, dict) and "to" in change:
                        last[key] = change["to"]
    finally:
        conn.close()
    restored, skipped = {}, []
    for key, value in sorted(last.items()):
        if key in NOT_FROM_JOURNAL:
            skipped.append(key)
            continue
        try:
            restored[key] = validate_setting(key, value)
        except ValidationError:
            skipped.append(key)
    if restored:
        with MasterData(cfg.master_dir) as master:
            master.settings.update(restored)
        audit.info("settings restored from the journal: %s", ", ".join(sorted(restored)))
    return restored, skipped
