"""Encrypted automatic backups without the passphrase on the box (appliance.backup.keys):
an X25519 key whose private half is only stored wrapped under the owner's passphrase."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from appliance import config as configmod
from appliance.backup import BackupInvalid, create_backup, restore, verify_backup
from appliance.backup.container import X25519_MAGIC, encryption_of
from appliance.backup.keys import (check_key_passphrase, key_info, key_path, load_recipient,
                                   remove_key, set_passphrase)
from appliance.errors import ValidationError

ROOT = Path(__file__).resolve().parents[3]
TEA = "6901234567892"
PHRASE = "店主的备份密码 2026"


def cfg_for(data: Path):
    return configmod.load(None, environ={"TILLBOX_PATHS__DATA": str(data)},
                          log_warnings=False)


def tillbox(*args, config, stdin=""):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILLBOX_")}
    return subprocess.run([sys.executable, "-m", "appliance.cli", "--config", str(config),
                           *args], cwd=ROOT, capture_output=True, text=True, input=stdin,
                          env=env, timeout=60)


def make_config(tmp_path: Path, name: str) -> Path:
    p = tmp_path / f"{name}.toml"
    p.write_text(f'[paths]\ndata = "{tmp_path / name}"\n[clock]\nassume_synced = true\n',
                 encoding="utf-8")
    return p


def test_the_key_file_holds_no_usable_private_key(tmp_path):
    info = set_passphrase(tmp_path, PHRASE)
    doc = json.loads(key_path(tmp_path).read_text())
    assert set(doc) == {"kind", "algorithm", "public", "wrapped_private", "created_at"}
    assert len(info["fingerprint"]) == 19 and not info["damaged"]
    assert check_key_passphrase(tmp_path, PHRASE)
    assert not check_key_passphrase(tmp_path, PHRASE + "x")
    assert oct(key_path(tmp_path).stat().st_mode & 0o777) == "0o640"


def test_a_short_passphrase_is_refused(tmp_path):
    with pytest.raises(ValidationError, match="at least 8"):
        set_passphrase(tmp_path, "1234567")
    assert load_recipient(tmp_path) is None and key_info(tmp_path) is None


def test_a_key_encrypted_backup_restores_on_a_new_box_with_the_passphrase_alone(shop, tmp_path):
    shop.sale(TEA)
    shop.sale(TEA, TEA)
    cfg = cfg_for(tmp_path)
    set_passphrase(tmp_path, PHRASE)
    path = create_backup(cfg, dest=tmp_path / "out", recipient=load_recipient(tmp_path))
    assert path.name.endswith(".tar.enc") and encryption_of(path) == "key"
    assert path.read_bytes().startswith(X25519_MAGIC)
    with pytest.raises(BackupInvalid, match="wrong passphrase"):
        verify_backup(path, passphrase="not the passphrase")
    with pytest.raises(ValidationError, match="encrypted"):
        verify_backup(path)
    fresh = cfg_for(tmp_path / "newbox")
    manifest = restore(fresh, path, passphrase=PHRASE)
    assert manifest["encryption"] == "key" and manifest["head_seq"] > 0
    # The restored box keeps encrypting to the same key.
    assert load_recipient(tmp_path / "newbox") == load_recipient(tmp_path)


def test_a_changed_header_or_chunk_is_refused(shop, tmp_path):
    shop.sale(TEA)
    set_passphrase(tmp_path, PHRASE)
    path = create_backup(cfg_for(tmp_path), dest=tmp_path / "out",
                         recipient=load_recipient(tmp_path))
    data = bytearray(path.read_bytes())
    # Flip a byte of the ephemeral public key and fix the trailer's checksum, so only the
    # encryption can notice.
    import hashlib
    from appliance.backup.container import TRAILER_LEN, TRAILER_TAG, WRAPPED_LEN
    at = len(X25519_MAGIC) + 32 + WRAPPED_LEN + 3
    data[at] ^= 1
    body = bytes(data[:-TRAILER_LEN])
    path.write_bytes(body + TRAILER_TAG + hashlib.sha256(body).hexdigest().encode() + b"\n")
    with pytest.raises(BackupInvalid, match="altered|damaged"):
        verify_backup(path, passphrase=PHRASE)


def test_removing_the_key_makes_backups_plain_again(shop, tmp_path):
    shop.sale(TEA)
    set_passphrase(tmp_path, PHRASE)
    assert remove_key(tmp_path) and not remove_key(tmp_path)
    assert load_recipient(tmp_path) is None


def test_set_passphrase_then_the_nightly_command_encrypts_and_restore_asks(tmp_path):
    box = make_config(tmp_path, "box")
    assert tillbox("demo", "load", config=box).returncode == 0
    r = tillbox("backup", "--set-passphrase", config=box, stdin=PHRASE + "\n")
    assert r.returncode == 0, r.stderr
    assert "backup key" in r.stdout and "Write it down" in r.stdout
    assert PHRASE not in r.stdout + r.stderr
    r = tillbox("backup", config=box)   # the timer's command: no passphrase anywhere
    assert r.returncode == 0, r.stderr
    assert "encrypted to the backup key" in r.stdout
    [path] = (tmp_path / "box" / "backups").glob("tillbox-backup-*.tar.enc")
    last = json.loads((tmp_path / "box" / "backups" / "last.json").read_text())
    assert last["ok"] and last["encryption"] == "key" and last["file"] == path.name
    fresh = make_config(tmp_path, "fresh")
    wrong = tillbox("restore", str(path), config=fresh, stdin="wrong passphrase\n")
    assert wrong.returncode == 2 and "wrong passphrase" in wrong.stderr
    assert not (tmp_path / "fresh" / "ledger.db").exists()
    r = tillbox("restore", str(path), config=fresh, stdin=PHRASE + "\n")
    assert r.returncode == 0, r.stderr
    v = tillbox("ledger", "verify", config=fresh)
    assert v.returncode == 0 and "ledger OK" in v.stdout, v.stdout + v.stderr


def test_the_old_passphrase_format_is_still_written_and_read(tmp_path):
    box = make_config(tmp_path, "box")
    assert tillbox("demo", "load", config=box).returncode == 0
    r = tillbox("backup", "--encrypt", "--to", str(tmp_path / "out"), config=box,
                stdin=PHRASE + "\n")
    assert r.returncode == 0 and "encrypted with the passphrase" in r.stdout, r.stderr
    [path] = (tmp_path / "out").glob("*.tar.enc")
    assert encryption_of(path) == "passphrase"
    check = tillbox("restore", "--check", str(path), config=box, stdin=PHRASE + "\n")
    assert check.returncode == 0 and "backup OK" in check.stdout


def test_passphrase_options_do_not_mix_with_others(tmp_path):
    box = make_config(tmp_path, "box")
    r = tillbox("backup", "--set-passphrase", "--list", config=box)
    assert r.returncode == 2 and "do not go together" in r.stderr
    r = tillbox("backup", "--remove-passphrase", config=box)
    assert r.returncode == 0 and "no backup passphrase was set" in r.stdout
