"""``tillbox backup`` and ``tillbox restore`` as the owner runs them (subprocesses)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


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


@pytest.fixture
def box(tmp_path):
    """A demo shop (ledger with records, master data) in <tmp>/box."""
    cfg = make_config(tmp_path, "box")
    r = tillbox("demo", "load", config=cfg)
    assert r.returncode == 0, r.stderr
    return cfg


def one_line_exit_2(r, *words):
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stderr.startswith("tillbox: ") and r.stderr.strip().count("\n") == 0, r.stderr
    for w in words:
        assert w in r.stderr, r.stderr


def test_backup_then_restore_onto_a_fresh_data_dir_and_ledger_verify_passes(box, tmp_path):
    r = tillbox("backup", config=box)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""  # no terminal: no progress bar
    assert "backup written:" in r.stdout
    listed = tillbox("backup", "--list", config=box)
    assert listed.returncode == 0 and "\tplain" in listed.stdout
    path = next((tmp_path / "box" / "backups").glob("tillbox-backup-*.tar"))
    fresh = make_config(tmp_path, "fresh")
    r = tillbox("restore", str(path), config=fresh)
    assert r.returncode == 0, r.stderr
    assert "restored into" in r.stdout
    v = tillbox("ledger", "verify", "--projections", config=fresh)
    assert v.returncode == 0, v.stdout + v.stderr
    assert "ledger OK" in v.stdout
    staff = tillbox("staff", "list", config=fresh)
    assert staff.returncode == 0 and "owner" in staff.stdout


def test_encrypted_backup_reads_the_passphrase_from_stdin(box, tmp_path):
    out = tmp_path / "stick"
    r = tillbox("backup", "--to", str(out), "--encrypt", config=box, stdin="店主的密码 2026\n")
    assert r.returncode == 0, r.stderr
    path, = out.glob("*.tar.enc")
    wrong = tillbox("restore", str(path), config=make_config(tmp_path, "a"), stdin="nope\n")
    one_line_exit_2(wrong, "wrong passphrase")
    check = tillbox("restore", "--check", str(path), config=box, stdin="店主的密码 2026\n")
    assert check.returncode == 0 and check.stdout.startswith("backup OK"), check.stderr
    ok = tillbox("restore", str(path), config=make_config(tmp_path, "b"),
                 stdin="店主的密码 2026\n")
    assert ok.returncode == 0, ok.stderr


def test_tampered_backup_is_refused_with_its_reason(box, tmp_path):
    assert tillbox("backup", "--to", str(tmp_path / "out"), config=box).returncode == 0
    path, = (tmp_path / "out").glob("*.tar")
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x40
    path.write_bytes(bytes(data))
    r = tillbox("restore", str(path), config=make_config(tmp_path, "fresh"))
    one_line_exit_2(r, "changed or damaged")
    assert not (tmp_path / "fresh" / "ledger.db").exists()
    check = tillbox("restore", "--check", str(path), config=box)
    assert check.returncode == 1 and check.stdout.startswith("backup BROKEN:")


def test_older_backup_over_newer_ledger_is_refused_without_force(box, tmp_path):
    assert tillbox("backup", "--to", str(tmp_path / "out"), config=box).returncode == 0
    path, = (tmp_path / "out").glob("*.tar")
    from appliance.ledger import Ledger
    with Ledger(tmp_path / "box" / "ledger.db", device_id="till-1") as ledger:
        with ledger.transaction() as tx:
            tx.append("note.added", {"staff": "s-x", "device": "counter"}, {"text": "after"})
    r = tillbox("restore", str(path), config=box)
    one_line_exit_2(r, "newer", "--force")
    r = tillbox("restore", "--force", str(path), config=box)
    assert r.returncode == 0, r.stderr
    assert "kept in" in r.stdout
    assert tillbox("ledger", "verify", config=box).returncode == 0


@pytest.mark.parametrize("args, words", [
    (("restore", "/nonexistent/backup.tar"), ("no backup file",)),
    (("backup", "--list", "--encrypt"), ("--list",)),
    (("backup", "--encrypt"), ("passphrase",)),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, words):
    one_line_exit_2(tillbox(*args, config=make_config(tmp_path, "box")), *words)


def test_backup_without_a_ledger_is_one_line_and_exit_2(tmp_path):
    one_line_exit_2(tillbox("backup", config=make_config(tmp_path, "empty")), "no ledger")
