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
4. whatever happened (a child failing, crashing or killed, SIGTERM to the service):
   ``tillbox ledger import --received --mark-stopped N`` (owner) marks a status still
   requested/applying "failed (stopped, exit N)", and ``systemctl start tillbox.target``: the
   page shows the outcome. The unit's ExecStopPost starts the till too (SIGKILL).
"""

from __future__ import annotations

import logging
import os
import signal
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
    stopped = getattr(args, "mark_stopped", None)
    if stopped is not None:
        marked = received.mark_stopped(cfg, stopped)
        if marked is None:
            return NOTHING_TO_DO
        print(f"the rebuild stopped before it recorded its outcome: {marked['detail']}")
        return 0
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


#: The import's refusals the page names (received.REASONS), by what their message says.
_REASON_BY_TEXT = (("already holds", "ledger_not_empty"), ("not empty", "ledger_not_empty"),
                   ("does not verify", "not_verified"), ("no journal file", "file_missing"))


def _reason(message: str) -> str:
    return next((code for text, code in _REASON_BY_TEXT if text in message), "import_refused")


def import_received(cfg) -> int:
    """The received file through the same import as ``tillbox ledger import FILE``; the
    outcome goes to the status file, whatever stops the import (a crash, Ctrl-C, SIGTERM
    turned into SystemExit by the service): never left "applying"."""
    from .cli import _import
    path, status = received.ready_file(cfg)
    warnings: list[str] = []
    try:
        # take_ids: a new box under its first boot's id becomes the old device (setup.toml)
        code = _import(cfg, path, bool(status.get("take_ids")), warnings=warnings)
    except TillboxError as exc:
        received.record_outcome(cfg, False, exc.message, reason=_reason(exc.message))
        raise
    except BaseException as exc:
        log.exception("the import of head office's journal stopped")
        received.record_outcome(cfg, False, f"the import stopped: {type(exc).__name__}: "
                                f"{exc}", reason="crashed")
        raise
    received.record_outcome(cfg, True, f"imported {status.get('records')} records: head seq "
                            f"{status.get('head_seq')}" + (f" (warnings: {', '.join(warnings)})"
                                                           if warnings else ""),
                            status, warnings=warnings)
    return code


def _as_owner(cfg) -> dict:
    """subprocess arguments that run a child as the data directory's owner (when root)."""
    st = cfg.data_dir.stat()
    if os.geteuid() != 0 or st.st_uid == 0:
        return {}
    return {"user": st.st_uid, "group": st.st_gid, "extra_groups": []}


class ServiceStopped(Exception):
    """SIGTERM reached tillbox-rebuild.service (``systemctl stop``, TimeoutStartSec): raised
    in the main thread so the till is started again and the outcome recorded."""


def _on_sigterm(signum, _frame):
    raise ServiceStopped(f"signal {signum}")


def run_service(cfg, *, config: str | None = None, systemctl: str = SYSTEMCTL) -> int:
    """tillbox-rebuild.service (root): claim, stop the till, import as the owner; then,
    whatever happened (a child failing or crashing, SIGTERM): a status still requested or
    applying is marked failed (as the owner) and the till is started again. The unit's
    ExecStopPost starts the till too, for a SIGKILL."""
    me = [sys.executable, "-m", "appliance.cli"] + (["--config", config] if config else [])
    owner = _as_owner(cfg)
    before = signal.signal(signal.SIGTERM, _on_sigterm)
    code = 1
    nothing = False
    try:
        claim = subprocess.run(me + ["ledger", "import", "--received", "--claim-request"],
                               **owner)
        if claim.returncode == NOTHING_TO_DO:   # the till was not stopped: left as it is
            nothing = True
            code = 0
            return code
        if claim.returncode != 0:
            log.error("the rebuild request could not be taken (exit %d)", claim.returncode)
            code = 1
            return code
        stopped = subprocess.run([systemctl, "stop", TARGET])
        if stopped.returncode != 0:
            log.error("systemctl stop %s failed (exit %d): importing anyway refuses a ledger "
                      "in use", TARGET, stopped.returncode)
        code = subprocess.run(me + ["ledger", "import", "--received"], **owner).returncode
        return code
    except ServiceStopped as exc:
        log.error("tillbox-rebuild.service was stopped (%s): the till is started again", exc)
        code = 128 + signal.SIGTERM
        return code
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)   # the clean-up runs to its end
        try:
            if not nothing:
                _after_service(me, owner, code, systemctl)
        finally:
            signal.signal(signal.SIGTERM, before)


def _after_service(me: list[str], owner: dict, code: int, systemctl: str) -> None:
    """A status still requested/applying becomes failed (as the owner); the till starts."""
    marked = subprocess.run(me + ["ledger", "import", "--received", "--mark-stopped",
                                  str(code)], **owner)
    if marked.returncode not in (0, NOTHING_TO_DO):
        log.error("the rebuild's outcome could not be recorded (exit %d)", marked.returncode)
    started = subprocess.run([systemctl, "start", TARGET])
    if started.returncode != 0:
        log.error("systemctl start %s failed (exit %d)", TARGET, started.returncode)
