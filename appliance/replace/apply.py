"""``tillbox ledger import --received``: import the journal head office sent over the link
(appliance/replace/received.py), and ``--service``: the settings page's "Rebuild now" as
tillbox-rebuild.service runs it (docs/replacing-a-box.md "Rebuild over the network").

The service runs as root only to stop and start tillbox.target (the import needs the ledger
unused: rebuild.py refuses one core has open). Every file under the data directory is read
and written by a child running as the data directory's owner, so nothing there becomes
root's:

1. ``tillbox ledger import --received --claim-request`` (owner): takes the request file away
   (the path unit does not fire again) and marks the status "applying"; exit 3 when there is
   nothing to apply;
2. ``systemctl stop tillbox.target``;
3. ``tillbox ledger import --received`` (owner): the import; it writes done, or failed with
   its one-line reason, to the status file;
4. ``systemctl start tillbox.target``, whatever happened: the page shows the outcome.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys

from ..errors import TillboxError, UsageError
from . import received

log = logging.getLogger(__name__)

SYSTEMCTL = "/usr/bin/systemctl"
TARGET = "tillbox.target"
NOTHING_TO_DO = 3


def import_received_command(cfg, args) -> int:
    if args.file:
        raise UsageError("--received imports what head office sent: it takes no FILE")
    if args.take_ids:
        raise UsageError("--received takes no --take-ids: the box must already be the "
                         "device whose journal head office sent")
    if args.service:
        return run_service(cfg, config=getattr(args, "config", None))
    if args.claim_request:
        claimed = received.claim_request(cfg)
        if claimed is None:
            print("nothing to rebuild: no request, or head office's history is not ready "
                  f"(see {received.rebuild_dir(cfg) / received.STATUS})")
            return NOTHING_TO_DO
        print(f"rebuild requested: {claimed.get('records')} records of "
              f"{claimed.get('store')}/{claimed.get('device')} up to seq "
              f"{claimed.get('head_seq')}")
        return 0
    return import_received(cfg)


def import_received(cfg) -> int:
    """The received file through the same import as ``tillbox ledger import FILE``; the
    outcome goes to the status file."""
    from .cli import _import
    path, status = received.ready_file(cfg)
    try:
        # take_ids: a new box under its first boot's id becomes the old device (setup.toml)
        code = _import(cfg, path, bool(status.get("take_ids")))
    except TillboxError as exc:
        received.record_outcome(cfg, False, exc.message)
        raise
    except (OSError, ValueError) as exc:
        received.record_outcome(cfg, False, str(exc))
        raise
    received.record_outcome(cfg, True, f"imported {status.get('records')} records: head seq "
                            f"{status.get('head_seq')}", status)
    return code


def _as_owner(cfg) -> dict:
    """subprocess arguments that run a child as the data directory's owner (when root)."""
    st = cfg.data_dir.stat()
    if os.geteuid() != 0 or st.st_uid == 0:
        return {}
    return {"user": st.st_uid, "group": st.st_gid, "extra_groups": []}


def run_service(cfg, *, config: str | None = None, systemctl: str = SYSTEMCTL) -> int:
    """tillbox-rebuild.service (root): claim, stop the till, import as the owner, start."""
    me = [sys.executable, "-m", "appliance.cli"] + (["--config", config] if config else [])
    owner = _as_owner(cfg)
    claim = subprocess.run(me + ["ledger", "import", "--received", "--claim-request"],
                           **owner)
    if claim.returncode == NOTHING_TO_DO:
        return 0
    if claim.returncode != 0:
        log.error("the rebuild request could not be taken (exit %d)", claim.returncode)
        return 1
    stopped = subprocess.run([systemctl, "stop", TARGET])
    if stopped.returncode != 0:
        log.error("systemctl stop %s failed (exit %d): importing anyway refuses a ledger in "
                  "use", TARGET, stopped.returncode)
    try:
        done = subprocess.run(me + ["ledger", "import", "--received"], **owner)
    finally:
        started = subprocess.run([systemctl, "start", TARGET])
        if started.returncode != 0:
            log.error("systemctl start %s failed (exit %d)", TARGET, started.returncode)
    return done.returncode
