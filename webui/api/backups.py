"""/api/v1/backups: the settings page's "Backups" section and the counter's USB banner
(issue 11; docs/backup.md, docs/api.md section "Backups").

The list of local backups, the last backup's outcome, "back up now" (a background thread of
core: :class:`appliance.backup.runner.BackupRunner`; the page polls), the USB stick's status
(written by tillbox-usb-backup@.service), and the backup passphrase (an X25519 key whose
private half is stored only wrapped under it: docs/backup.md)."""

from __future__ import annotations

import threading
import time

from flask import current_app, g, jsonify

# appliance.backup itself (and its cryptography) is imported when a backup route runs, not at
# core's start: about 6 MiB a box that never opens the page does not carry.
from appliance.backup.status import read_last_backup, read_usb_status
from appliance.errors import Conflict, ValidationError
from appliance.i18n import _

from ..access import LOGIN, access
from . import body, box, bp, publish

RUNNER = "tillbox.backup_runner"
#: The USB status the counter sees (no file names or sizes).
COUNTER_FIELDS = ("state", "label", "percent", "reason", "code", "finished_at")
#: One backup key change at a time: setting one runs scrypt (about 32 MB and up to a second
#: of CPU on a Pi) inside the request; a second request meanwhile answers 409 at once
#: instead of doubling the memory and racing on backup-key.json.
KEY_CHANGE = threading.Lock()


def _key_change(passphrase):
    if not KEY_CHANGE.acquire(blocking=False):
        raise Conflict(_("the backup passphrase is being changed already: wait a moment and "
                         "try again"))
    try:
        from appliance.backup.keys import change_key
        return change_key(box().ledger, g.actor, _cfg().data_dir, passphrase)
    finally:
        KEY_CHANGE.release()


def _cfg():
    return current_app.config["BOX"].config   # the real box: backups are never training's


def runner():
    """The one :class:`appliance.backup.runner.BackupRunner` of this core."""
    found = current_app.extensions.get(RUNNER)
    if found is None:
        from appliance.backup.runner import BackupRunner
        found = current_app.extensions.setdefault(RUNNER, BackupRunner(_cfg()))
    return found


def _created(stamp: str) -> str:
    """20261127T033012Z -> 2026-11-27T03:30:12Z"""
    return (f"{stamp[0:4]}-{stamp[4:6]}-{stamp[6:8]}T{stamp[9:11]}:{stamp[11:13]}:"
            f"{stamp[13:15]}Z")


def _backups() -> list[dict]:
    from appliance.backup import backup_dir, list_backups
    from appliance.backup.container import encryption_of
    out = []
    for b in reversed(list_backups(backup_dir(_cfg()))):
        try:
            encryption = encryption_of(b.path)
        except OSError:   # rotated away meanwhile
            continue
        out.append({"file": b.path.name, "created_at": _created(b.created), "size": b.size,
                    "head_seq": b.head_seq, "encrypted": b.encrypted,
                    "encryption": encryption})
    return out


def _usb() -> dict | None:
    return read_usb_status(_cfg().data_dir)


def _all() -> dict:
    from appliance.backup.keys import key_info
    cfg = _cfg()
    return {"backups": _backups(), "keep": cfg.backup.keep,
            "last": read_last_backup(cfg.data_dir), "running": runner().state(),
            "key": key_info(cfg.data_dir), "usb": _usb()}


@bp.get("/backups")
@access("settings.edit")
def get_backups():
    return jsonify(_all())


@bp.post("/backups")
@access("settings.edit")
def backup_now():
    running = runner().start(g.actor.staff_id)
    return jsonify({**_all(), "running": running}), 202


@bp.get("/backups/usb")
@access(LOGIN)
def usb_status():
    """For the counter's banner: the stick's state and how long ago it last changed (the
    box's clock, so a screen with a wrong clock still fades the banner out in time)."""
    doc = _usb()
    if not doc:
        return jsonify({"usb": None})
    at = doc.get("at") if isinstance(doc.get("at"), (int, float)) else 0
    return jsonify({"usb": {**{k: doc.get(k) for k in COUNTER_FIELDS},
                            "age_seconds": max(0, int(time.time() - at))}})


@bp.put("/backups/key")
@access("settings.edit")
def set_backup_key():
    data = body()
    passphrase = data.get("passphrase")
    from appliance.backup.keys import check_passphrase
    check_passphrase(passphrase)
    if data.get("confirm") != passphrase:
        raise ValidationError(_("the two passphrases differ"), field="confirm")
    change = _key_change(passphrase)
    publish("settings", {"keys": sorted(change)})
    return jsonify({**_all(), "changed": change})


@bp.delete("/backups/key")
@access("settings.edit")
def remove_backup_key():
    change = _key_change(None)
    if change:
        publish("settings", {"keys": sorted(change)})
    return jsonify({**_all(), "changed": change})
