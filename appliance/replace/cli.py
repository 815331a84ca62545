"""``tillbox ledger import`` and ``tillbox ledger relink`` (docs/replacing-a-box.md)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..backup.cli import ProgressBar
from ..errors import UsageError


def run(cfg, args) -> int:
    if args.action == "import":
        if getattr(args, "received", False):   # issue 11: head office's journal over MQTT
            from .apply import import_received_command
            return import_received_command(cfg, args)
        if getattr(args, "service", False) or getattr(args, "claim_request", False) or \
                getattr(args, "mark_stopped", None) is not None:
            raise UsageError("--service goes with --received")
        if not args.file:
            raise UsageError("give the journal FILE.jsonl (or --received)")
        return _import(cfg, Path(args.file), args.take_ids,
                       getattr(args, "allow_hole", False))
    return relink_command(cfg, args.new_device, args.reason,
                          force=getattr(args, "force", False))


def _import(cfg, path: Path, take_ids: bool = False, allow_hole: bool = False,
            warnings: list | None = None) -> int:
    """``warnings`` (a list) gets the codes of what failed after the COMMIT (the ledger holds
    the records then: still a done import)."""
    import logging
    from .rebuild import import_journal, restore_settings
    if not path.is_file():
        raise UsageError(f"no journal file at {path}")
    bar = ProgressBar(sys.stderr)
    try:
        s = import_journal(cfg, path, progress=bar, take_ids=take_ids, allow_hole=allow_hole)
    finally:
        bar.close()
    late = list(s.get("warnings") or [])
    try:
        restored, skipped = restore_settings(cfg)
    except Exception as exc:    # the ledger is committed: the import is done all the same
        logging.getLogger(__name__).error("the shop settings could not be restored from the "
                                          "journal: %s", exc)
        restored, skipped = {}, []
        late.append("settings_not_restored")
    if warnings is not None:
        warnings.extend(late)
    print(f"imported {s['records']} records of store {s['store']} device {s['device']} into "
          f"{cfg.ledger_path}: head seq {s['head_seq']} hash {s['head_hash']}")
    if s["empty_ledger_kept_in"]:
        print(f"the new box's empty ledger was set aside in {s['empty_ledger_kept_in']}; "
              f"shop.store_id and shop.device_id were written to {cfg.overlay_path}")
    if s["print_jobs_skipped"]:
        print(f"{s['print_jobs_skipped']} old receipt/drawer jobs were marked expired: "
              "nothing is printed or opened again")
    if restored:
        print(f"{len(restored)} shop settings restored from the journal: "
              + ", ".join(sorted(restored)))
    if skipped:
        print("left at their defaults (set them again on the settings page): "
              + ", ".join(skipped))
    if "settings_not_restored" in late:
        print("warning: the shop settings could not be restored from the journal: set them "
              "on the settings page", file=sys.stderr)
    if "cursor_not_set" in late:
        print("warning: uplinkd's cursor could not be set: core sets it at its start",
              file=sys.stderr)
    if s.get("holes_after"):
        print("head office holds later records of this device beyond a hole: do NOT start the "
              "box as this device; go on under a new id first: tillbox ledger relink "
              "--new-device ID (docs/replacing-a-box.md)")
        return 0
    print("next: start the box (systemctl start tillbox.target); head office's catalog and "
          "promotions come down by themselves, staff PINs do not (docs/replacing-a-box.md)")
    return 0


def relink_command(cfg, new_device: str, reason: str, *, force: bool = False) -> int:
    from .relink import relink
    s = relink(cfg, new_device, reason, force=force)
    print(f"device {s['store']}/{s['old_device']} continues as {s['new_device']}: "
          f"device.linked is seq {s['seq']}, after the old device's seq "
          f"{s['predecessor_seq']} hash {s['predecessor_hash']}")
    print(f"shop.device_id = {s['new_device']} was written to {cfg.overlay_path}")
    if s["training_kept_in"]:
        print(f"the old training ledger (practice data) was moved to {s['training_kept_in']}")
    if os.environ.get("TILLBOX_SHOP__DEVICE_ID") not in (None, s["new_device"]):
        print("TILLBOX_SHOP__DEVICE_ID overrides it: change it there too, or core will not "
              "start", file=sys.stderr)
    return 0
