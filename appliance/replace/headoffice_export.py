"""``tillbox headoffice export-device``: one device's journal from head office's database,
for ``tillbox ledger import`` on a replacement box (docs/replacing-a-box.md).

Writes the records contiguous from seq 1 up to what head office holds without a hole,
verifying the chain as it goes; a broken chain is refused and nothing is left behind. A
device that was linked from a predecessor (``device.linked``) is exported with the
predecessor's records up to the link first, exactly as that box's ledger.db holds them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterator

from ..clock import SystemClock, format_ts
from ..ledger import verify
from ..ledger.records import Record
from . import journal_file


class ExportRefused(Exception):
    """Nothing was written (the message says why)."""


def _chain(db, store: str, device: str, to_seq: int, depth: int = 0) -> Iterator[Record]:
    if depth > 20:
        raise ExportRefused(f"{store}/{device}: more than 20 device links in a row")
    link = db.link_of(store, device)
    if link is not None:
        yield from _chain(db, link["store"], link["device"], link["seq"], depth + 1)
        yield from db.iter_records(store, device, link["first_seq"], to_seq)
    else:
        yield from db.iter_records(store, device, 1, to_seq)


def export_device(db, store: str, device: str, out: str | os.PathLike | None,
                  clock=None) -> dict:
    """Write the file (``out``; None: standard output is the caller's, see ``write_to``) and
    return its header."""
    head_seq = db.contiguous(store, device)
    if not head_seq:
        raise ExportRefused(f"head office holds no journal of store {store!r} device "
                            f"{device!r} from seq 1 (check --store and --device)")
    link = db.link_of(store, device)
    first_seq = link["first_seq"] if link is not None else 1
    result = verify(_chain(db, store, device, head_seq))
    if not result.ok:
        raise ExportRefused(f"head office's copy of {store}/{device} does not verify, nothing "
                            f"was written: {result.line()}")
    if result.head_seq != head_seq:
        raise ExportRefused(f"{store}/{device}: the records of its predecessor are not all at "
                            "head office")
    head = journal_file.header(store, device, first_seq, result.head_seq, result.head_hash,
                               format_ts((clock or SystemClock()).now()),
                               held_to=db.max_seq(store, device))
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".export-", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            n = journal_file.write(fh, head, _chain(db, store, device, head_seq))
            fh.flush()
            os.fsync(fh.fileno())
        if n != head_seq:   # records were added meanwhile is impossible below head_seq
            raise ExportRefused(f"{store}/{device}: read {n} records, expected {head_seq}")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    head["records"] = n
    return head


class ImportDeviceRefused(ValueError):
    """Nothing was stored (the message says why)."""


def _device_records(records, store: str, device: str) -> list:
    """The records of ``device`` in a box's journal export, checked before anything is stored.

    A relinked box's export holds up to three parts: its predecessors' records (before the
    ``device.linked`` whose actor is ``device``, its first own record: skipped, they belong
    under their own ids), ``device``'s own, and its successor's (from a ``device.linked``
    naming ``device`` as predecessor: the end). Any other record whose ``actor.device`` is
    not ``device`` refuses the whole file: it would be stored as ``device``'s."""
    from ..headoffice.ingest import LINK_TYPE

    def refuse(rec, why: str = "") -> None:
        actor = rec.actor.get("device") if isinstance(rec.actor, dict) else None
        raise ImportDeviceRefused(
            f"seq {rec.seq} ({rec.type}) was written by device {actor!r}, not {device!r}"
            f"{why}: nothing was stored (import each device's records with its own --device; "
            "a relinked box's own records start at its device.linked)")
    out: list = []
    foreign: list = []     # before this device's own first record: its predecessors', if a
    for rec in records:    # device.linked of this device follows
        actor = rec.actor.get("device") if isinstance(rec.actor, dict) else None
        if rec.type == LINK_TYPE:
            pred = rec.data.get("predecessor")
            if isinstance(pred, dict) and (pred.get("store"), pred.get("device")) == \
                    (store, device):
                break      # the successor's records follow: not this device's
            if actor == device:
                if out:
                    raise ImportDeviceRefused(
                        f"seq {rec.seq}: {device}'s device.linked comes after records of its "
                        "own: nothing was stored")
                foreign = []
                out.append(rec)
                continue
        if actor != device:
            if out:
                refuse(rec)
            foreign.append(rec)
            continue
        if foreign:
            refuse(foreign[0], " (and no device.linked of this device follows it)")
        out.append(rec)
    if foreign:
        refuse(foreign[0])
    return out


def import_device(db, store: str, device: str, lines, *, at: str) -> dict:
    """Feed a box's journal export (``tillbox ledger export``, or an export-device file) to
    head office as the ingest would receive it, record by record: for the records of a dead
    box that never arrived, when its replacement's ``device.linked`` is refused because head
    office lacks them. Every record passes the ingest's own checks (duplicates are counted,
    not stored twice).

    All or nothing: every record must have been written by ``device`` (its ``actor.device``;
    see :func:`_device_records` for a relinked box's export), checked before anything is
    stored, and one rejected record rolls the whole import back
    (:class:`ImportDeviceRefused`). Returns counts by outcome."""
    import json

    from ..headoffice.ingest import accept_journal
    from ..ledger.export import read_jsonl
    from ..uplink import contract
    records = _device_records(read_jsonl(lines), store, device)
    counts = {"stored": 0, "duplicate": 0, "rejected": 0}
    with db.transaction():
        db.lock_devices([(store, device)])
        for rec in records:
            raw = json.dumps(contract.journal_payload(rec, store, device),
                             ensure_ascii=False).encode("utf-8")
            out = accept_journal(db, store, device, raw, at=at, ingested_by="import-device")
            if out.status == "rejected":
                raise ImportDeviceRefused(f"seq {out.seq}: {out.reason} ({out.detail}): "
                                          "nothing was stored")
            counts[out.status] += 1
        contiguous = db.contiguous(store, device)
        if contiguous:
            db.save_progress(store, device, contiguous, at)
    counts["contiguous"] = contiguous
    counts["first_problem"] = ""
    return counts
