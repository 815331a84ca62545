"""Small status files the backup tools leave in the data directory, read by the settings page
(webui/api/backups.py), the counter's banner and printerd's status LED.

``usb-backup.json``: the automatic USB copy (:mod:`.usbauto`)::

    {"state": "writing" | "done" | "failed", "device": "/dev/sda1", "label": "STICK",
     "file": "tillbox-backup-….tar", "size": 123, "percent": 40, "reason": "…" (English),
     "code": "no_key" | "write_protected" | "full" | "no_filesystem" | "bad_stick" |
             "pulled" | "failing" | "unreadable" | "interrupted" | "other" (failed only:
             what the pages translate),
     "started_at": "…Z", "finished_at": "…Z", "at": <unix time of this update>}

``backups/last.json``: the last backup written into ``<data>/backups`` (nightly timer, by hand
or from the settings page)::

    {"ok": true, "at": "…Z", "source": "timer" | "command" | "page" | "usb",
     "file": "…", "size": 123, "head_seq": 42, "encryption": "key" | "passphrase" | null,
     "reason": "…" (when not ok)}
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

from ..durable import write_bytes

log = logging.getLogger(__name__)

USB_STATUS = "usb-backup.json"
LAST_BACKUP = "last.json"
USB_STATES = ("writing", "done", "failed")
#: How long the LED shows the outcome before going back to its normal pattern (seconds).
LED_DONE_SECONDS = 15
LED_FAILED_SECONDS = 60
#: A "writing" status older than this without an update was left by a killed run.
WRITING_STALE_SECONDS = 15 * 60


def utc(ts: float | None = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def _write_owned_like(path: Path, doc: dict, owner_dir: Path) -> None:
    """Write ``doc`` whole; when run as root, give the file to ``owner_dir``'s owner (core,
    as the tillbox user, reads it)."""
    def chown(tmp: Path) -> None:
        if os.geteuid() == 0:
            st = owner_dir.stat()
            os.chown(tmp, st.st_uid, st.st_gid)
    write_bytes(path, json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8"),
                mode=0o640, before_replace=chown)


def _read(path: Path) -> dict | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        log.warning("%s is unreadable; ignoring it", path)
        return None
    return doc if isinstance(doc, dict) else None


def usb_status_path(data_dir: Path) -> Path:
    return Path(data_dir) / USB_STATUS


def write_usb_status(data_dir: Path, doc: dict) -> None:
    doc = {**doc, "at": time.time()}
    _write_owned_like(usb_status_path(data_dir), doc, Path(data_dir))


def read_usb_status(data_dir: Path, now: float | None = None) -> dict | None:
    """The USB copy's status, or None when no stick was ever handled. A "writing" status that
    has not moved for WRITING_STALE_SECONDS (the run was killed) reads as failed."""
    doc = _read(usb_status_path(data_dir))
    if doc is None or doc.get("state") not in USB_STATES:
        return None
    now = time.time() if now is None else now
    at = doc.get("at") if isinstance(doc.get("at"), (int, float)) else 0
    if doc["state"] == "writing" and now - at > WRITING_STALE_SECONDS:
        doc = {**doc, "state": "failed", "code": "interrupted",
               "reason": "the copy stopped without finishing (the box restarted or the copy "
               "was killed): insert the stick again"}
    return doc


def led_pattern(doc: dict | None, now: float | None = None) -> str | None:
    """The status LED pattern the USB copy asks for now, or None (show the normal one)."""
    if not doc:
        return None
    now = time.time() if now is None else now
    at = doc.get("at") if isinstance(doc.get("at"), (int, float)) else 0
    if doc.get("state") == "writing":
        return "usb_writing"
    if doc.get("state") == "done" and 0 <= now - at < LED_DONE_SECONDS:
        return "usb_done"
    if doc.get("state") == "failed" and 0 <= now - at < LED_FAILED_SECONDS:
        return "usb_failed"
    return None


class UsbLedWatch:
    """For the daemon that owns the status LED: one stat() per call, the file re-read only
    when it changed."""

    def __init__(self, data_dir: Path):
        self.path = usb_status_path(data_dir)
        self.data_dir = Path(data_dir)
        self._key = None
        self._doc = None

    def pattern(self, now: float | None = None) -> str | None:
        try:
            st = self.path.stat()
            key = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            key = None
        if key != self._key:
            self._key = key
            self._doc = read_usb_status(self.data_dir, now) if key else None
        if self._doc and self._doc.get("state") == "writing":
            self._doc = read_usb_status(self.data_dir, now)   # notice a stale one
        return led_pattern(self._doc, now)


def last_backup_path(data_dir: Path) -> Path:
    return Path(data_dir) / "backups" / LAST_BACKUP


def source_now() -> str:
    """"timer" under systemd (the nightly unit), else "command"."""
    return "timer" if os.environ.get("INVOCATION_ID") else "command"


def record_last_backup(data_dir: Path, *, ok: bool, source: str, path: Path | None = None,
                       reason: str | None = None, encryption: str | None = None) -> None:
    from . import NAME_RE
    doc: dict = {"ok": ok, "at": utc(), "source": source, "encryption": encryption}
    if path is not None:
        m = NAME_RE.match(path.name)
        doc.update(file=path.name, size=path.stat().st_size,
                   head_seq=int(m.group(2)) if m else None)
    if reason:
        doc["reason"] = reason
    target = last_backup_path(data_dir)
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
        _write_owned_like(target, doc, Path(data_dir))
    except OSError as exc:
        log.warning("could not record the backup's outcome in %s: %s", target, exc)


def read_last_backup(data_dir: Path) -> dict | None:
    return _read(last_backup_path(data_dir))
