"""``tillbox ledger relink --new-device ID``: go on under a new device id, linked to the old.

The design (docs/ledger.md, "A new device id"): the box keeps its ledger.db whole, the old
device's records included (history for returns, reports, stock, members, order numbering),
and continues the SAME file and the same chain under the new id. Its first own record is
``device.linked`` with seq N+1, ``prev_hash`` the hash of the old device's record N, and
``data = {predecessor: {store, device, seq: N, hash}, reason}``. The meta table then names
the new device and ``first_seq`` = N+1; uplinkd never sends a record below ``first_seq``
(those are the old device's, which head office has under the old id) and its cursor starts
at N. Head office accepts the link only when it holds the predecessor record with that hash,
then counts the new device as contiguous from N (docs/mqtt.md): no seq gaps, no fork, and no
record is ever stored twice. ``tillbox ledger verify`` keeps passing (one unbroken chain) and
a replay still equals the projections (``device.linked`` changes no projection).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from ..backup import RESTORE_MARKER, _lock_ledger
from ..clock import SystemClock
from ..config import SCHEMA
from ..errors import ValidationError
from ..ledger import Ledger, verify_file
from ..provisioning import write_overlay
from ..uplink.state import UplinkState
from . import FIRST_SEQ_KEY, LINK_TYPE

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")

MAX_REASON = 200


class RelinkRefused(ValidationError):
    code = "relink_refused"


def relink(cfg, new_device: str, reason: str = "", *, clock=None, force: bool = False) -> dict:
    """Append ``device.linked`` and hand the ledger to ``new_device``; return the record's
    summary. The box must be stopped (the ledger is taken exclusively).

    uplinkd's cursor is set to the head: the old device's records are never sent again. So
    when the cursor is below the head on a box that talks to head office (records head
    office may not hold), the relink is refused unless ``force``: carry them first."""
    complaint = SCHEMA["shop"]["device_id"].check(new_device)
    if complaint:
        raise RelinkRefused(f"--new-device {new_device!r} {complaint}", field="new_device")
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise RelinkRefused(f"--reason is longer than {MAX_REASON} characters",
                            field="reason")
    path = cfg.ledger_path
    if (cfg.data_dir / RESTORE_MARKER).exists():
        raise RelinkRefused(f"a restore into {cfg.data_dir} was cut short: finish it first")
    if not path.exists():
        raise RelinkRefused(f"no ledger at {path}: restore a backup or import head office's "
                            "journal first (docs/replacing-a-box.md)")
    meta, result = verify_file(path)
    old_device, store = meta.get("device_id", ""), meta.get("store_id", "")
    if not result.ok:
        raise RelinkRefused(f"the ledger does not verify, so it is not linked: {result.line()}")
    if not result.head_seq:
        raise RelinkRefused("the ledger is empty: there is nothing to link to (just set "
                            "shop.device_id)")
    if old_device == new_device:
        raise RelinkRefused(f"the ledger already belongs to device {new_device!r}")
    if old_device != cfg.shop.device_id:
        raise RelinkRefused(f"the ledger belongs to device {old_device!r}, the configuration "
                            f"names {cfg.shop.device_id!r}: relink starts from the ledger's "
                            "own device")
    uplink = UplinkState(cfg.uplink_dir)
    linked = bool(cfg.mqtt.host) or uplink.session > 0 or uplink.acked_seq > 0
    if linked and uplink.acked_seq < result.head_seq and not force:
        low = max(uplink.acked_seq + 1, first_seq_of(meta))
        if low <= result.head_seq:
            raise RelinkRefused(
                f"head office has acknowledged {store}/{old_device} only up to seq "
                f"{uplink.acked_seq}: seq {low} to {result.head_seq} may not be there, and "
                "after the relink they are never sent. Carry them first (`tillbox ledger "
                f"export --from-seq {low} -o FILE`, then at head office `tillbox headoffice "
                f"import-device --store {store} --device {old_device} FILE`), then relink "
                "again with --force (docs/replacing-a-box.md)")
    # The record is written by the old device's Ledger (so its chain checks apply), then the
    # meta moves to the new id in the same exclusive transaction.
    lock = _lock_ledger(path)   # refuses while core or a daemon has the ledger open
    lock.close()
    ledger = Ledger(path, device_id=old_device, store_id=store, clock=clock or SystemClock())
    try:
        with ledger.transaction() as tx:
            head = tx.one("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1")
            if tuple(head) != (result.head_seq, result.head_hash):
                raise RelinkRefused("the ledger changed while it was checked: is core "
                                    "running? stop it and try again")
            rec = tx.append(LINK_TYPE, {"device": new_device, "staff": "owner"}, {
                "predecessor": {"store": store, "device": old_device,
                                "seq": result.head_seq, "hash": result.head_hash},
                "reason": reason})
            tx.conn.execute("UPDATE meta SET value = ? WHERE key = 'device_id'", (new_device,))
            tx.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO "
                            "UPDATE SET value = excluded.value", (FIRST_SEQ_KEY, str(rec.seq)))
    finally:
        ledger.close()
    # uplinkd: head office has (or must get) the old device's records under the old id;
    # under the new id it starts with the link record.
    uplink.set_acked(result.head_seq)
    write_overlay(Path(cfg.overlay_path), {"shop": {"device_id": new_device}})
    kept = _set_training_aside(cfg.data_dir, old_device)
    audit.info("device %s/%s continues as %s from seq %d (device.linked)", store, old_device,
               new_device, rec.seq)
    return {"store": store, "old_device": old_device, "new_device": new_device,
            "seq": rec.seq, "predecessor_seq": result.head_seq,
            "predecessor_hash": result.head_hash,
            "training_kept_in": str(kept) if kept else None}


def _set_training_aside(data_dir: Path, old_device: str) -> Path | None:
    """The training ledger belongs to ``<old device>-training``: training mode under the new
    id starts a fresh one. The old practice data is kept, not deleted."""
    from ..training.stack import TRAINING_LEDGER
    files = [data_dir / (TRAINING_LEDGER + ext) for ext in ("", "-wal", "-shm")]
    if not files[0].exists():
        return None
    kept = data_dir / "backups" / f"training-{old_device}-{time.strftime('%Y%m%dT%H%M%SZ')}"
    kept.mkdir(parents=True, exist_ok=True, mode=0o750)
    for f in files:
        if f.exists():
            os.replace(f, kept / f.name)
    return kept


def first_seq_of(meta: dict) -> int:
    try:
        return max(1, int(meta.get(FIRST_SEQ_KEY) or 1))
    except ValueError:
        return 1


def first_seq(conn) -> int:
    """The first seq this ledger's device wrote itself (1 unless it was relinked)."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (FIRST_SEQ_KEY,)).fetchone()
    try:
        return max(1, int(row[0])) if row else 1
    except ValueError:
        return 1
