"""The box's backup key: encrypted automatic backups without keeping the passphrase on the box.

``tillbox backup --set-passphrase`` (or the settings page) makes an X25519 key pair. The
public key and the private key *wrapped* under a key from the owner's passphrase (scrypt,
AES-256-GCM) are stored in ``<data>/backup-key.json``; the plain private key is never
written anywhere. Every automatic backup is then encrypted to the public key, and carries the
wrapped private key in its header (:mod:`.container`): restoring, on this box or a new one,
needs only the passphrase.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import time
from pathlib import Path

from ..durable import write_bytes
from ..errors import ValidationError
from ..i18n import _
from .container import WRAPPED_LEN, _crypto, unwrap_private_key, wrap_private_key

audit = logging.getLogger("audit")

KEY_FILE = "backup-key.json"
MIN_PASSPHRASE = 8


def key_path(data_dir: Path) -> Path:
    return Path(data_dir) / KEY_FILE


def fingerprint(public: bytes) -> str:
    """A short, speakable id of a public key: the first 16 hex digits of its SHA-256."""
    digest = hashlib.sha256(public).hexdigest()[:16]
    return " ".join(digest[i:i + 4] for i in range(0, 16, 4))


def check_passphrase(passphrase) -> str:
    if not isinstance(passphrase, str) or not passphrase.strip():
        raise ValidationError(_("give a backup passphrase"), field="passphrase")
    if len(passphrase) < MIN_PASSPHRASE:
        raise ValidationError(_("the passphrase must be at least {n} characters",
                                n=MIN_PASSPHRASE), field="passphrase")
    if len(passphrase) > 1024:
        raise ValidationError(_("the passphrase is too long (at most {n} characters)", n=1024),
                              field="passphrase")
    return passphrase


def set_passphrase(data_dir: Path, passphrase: str) -> dict:
    """Make a new key pair for ``passphrase`` and store it; return :func:`key_info`.

    A new pair every time: backups made before keep needing the passphrase they were made
    with."""
    _store(data_dir, _new_key_doc(passphrase))
    return key_info(data_dir)


def change_key(ledger, actor, data_dir: Path, passphrase: str | None) -> dict:
    """Set (``passphrase``) or remove (None) the backup key from the settings page, as one
    ``config.changed`` record {changes: {"backup.key": {from, to}}} holding only public-key
    fingerprints. The key file is written inside the ledger transaction and put back if the
    record does not commit. Returns the change ({} when removing a key that is not set)."""
    doc = _new_key_doc(passphrase) if passphrase is not None else None   # scrypt: outside
    path = key_path(data_dir)
    old_bytes = path.read_bytes() if path.exists() else None
    old = key_info(data_dir)
    old_fp = old["fingerprint"] if old else None
    if doc is None and old_bytes is None:
        return {}
    new_fp = fingerprint(base64.b64decode(doc["public"])) if doc else None
    change = {"backup.key": {"from": old_fp, "to": new_fp}}
    try:
        with ledger.transaction() as tx:
            if doc is not None:
                _store(data_dir, doc)
            else:
                remove_key(data_dir)
            tx.append("config.changed", actor.journal(ledger.device_id), {"changes": change})
    except BaseException:
        if old_bytes is not None:
            write_bytes(path, old_bytes, mode=0o640)
        else:
            path.unlink(missing_ok=True)
        raise
    audit.info("backup key %s by=%s", "set " + new_fp if new_fp else "removed", actor.staff_id)
    return change


def _new_key_doc(passphrase: str) -> dict:
    check_passphrase(passphrase)
    private = _crypto().X25519PrivateKey.generate()
    raw = private.private_bytes_raw()
    public = private.public_key().public_bytes_raw()
    wrapped = wrap_private_key(raw, public, passphrase)
    return {"kind": "tillbox-backup-key", "algorithm": "x25519-hkdf-sha256-aes256gcm",
            "public": base64.b64encode(public).decode(),
            "wrapped_private": base64.b64encode(wrapped).decode(),
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def _store(data_dir: Path, doc: dict) -> None:
    path = key_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(path, json.dumps(doc, indent=1).encode(), mode=0o640)


def remove_key(data_dir: Path) -> bool:
    """Stop encrypting automatic backups; True when there was a key."""
    path = key_path(data_dir)
    if not path.exists():
        return False
    path.unlink()
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return True


def load_recipient(data_dir: Path) -> tuple[bytes, bytes] | None:
    """(public key, wrapped private key) to encrypt to, or None when no key is set."""
    path = key_path(data_dir)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        public = base64.b64decode(doc["public"], validate=True)
        wrapped = base64.b64decode(doc["wrapped_private"], validate=True)
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        raise ValidationError(f"the backup key in {path} is damaged: set the backup "
                              "passphrase again (`tillbox backup --set-passphrase`)") from None
    if len(public) != 32 or len(wrapped) != WRAPPED_LEN:
        raise ValidationError(f"the backup key in {path} is damaged: set the backup "
                              "passphrase again (`tillbox backup --set-passphrase`)")
    return public, wrapped


def key_info(data_dir: Path) -> dict | None:
    """What the settings page shows: {fingerprint, created_at}, or None."""
    try:
        recipient = load_recipient(data_dir)
    except ValidationError:
        return {"fingerprint": None, "created_at": None, "damaged": True}
    if recipient is None:
        return None
    doc = json.loads(key_path(data_dir).read_text(encoding="utf-8"))
    return {"fingerprint": fingerprint(recipient[0]), "created_at": doc.get("created_at"),
            "damaged": False}


def check_key_passphrase(data_dir: Path, passphrase: str) -> bool:
    """Whether ``passphrase`` opens the stored key (the owner testing their memory)."""
    recipient = load_recipient(data_dir)
    if recipient is None:
        raise ValidationError(_("no backup passphrase is set"))
    try:
        unwrap_private_key(recipient[1], recipient[0], passphrase)
    except ValidationError:
        return False
    return True
