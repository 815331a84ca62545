""""Back up now" from the settings page: the backup runs in a background thread of core, never
in the web request; the page polls ``GET /api/v1/backups`` for :meth:`BackupRunner.state`."""

from __future__ import annotations

import logging
import threading
import time

from ..errors import Conflict
from ..i18n import _
from . import create_backup
from .keys import load_recipient
from .status import record_last_backup, utc

log = logging.getLogger(__name__)


class BackupRunner:
    def __init__(self, cfg):
        self.cfg = cfg
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._state: dict = {"running": False}

    def state(self) -> dict:
        with self._lock:
            return dict(self._state)

    def start(self, staff_id: str) -> dict:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                raise Conflict(_("a backup is being written already: wait for it to finish"))
            self._state = {"running": True, "started_at": utc(), "by": staff_id,
                           "phase": "ledger", "percent": 0}
            self._thread = threading.Thread(target=self._run, name="backup now", daemon=True)
            self._thread.start()
            return dict(self._state)

    def join(self, timeout: float | None = None) -> None:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _progress(self, what: str, done: int, total: int) -> None:
        with self._lock:
            self._state["phase"] = what
            self._state["percent"] = min(100, done * 100 // total) if total else 0

    def _run(self) -> None:
        started = time.monotonic()
        try:
            recipient = load_recipient(self.cfg.data_dir)
            path = create_backup(self.cfg, recipient=recipient, progress=self._progress)
        except Exception as exc:  # noqa: BLE001 - reported on the page
            log.exception("backup from the settings page failed")
            record_last_backup(self.cfg.data_dir, ok=False, source="page", reason=str(exc))
            with self._lock:
                self._state = {**self._state, "running": False, "ok": False,
                               "error": str(exc), "finished_at": utc()}
            return
        record_last_backup(self.cfg.data_dir, ok=True, source="page", path=path,
                           encryption="key" if recipient else None)
        with self._lock:
            self._state = {**self._state, "running": False, "ok": True, "file": path.name,
                           "percent": 100, "finished_at": utc(),
                           "seconds": round(time.monotonic() - started, 1)}
