"""Backups and restore (appliance.backup): consistent while selling, every kind of damage
refused with its reason, never over a newer ledger without --force."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from appliance import config as configmod
from appliance.backup import (BackupInvalid, RestoreRefused, create_backup, list_backups,
                              restore, rotate, verify_backup)
from appliance.backup.container import TRAILER_LEN
from appliance.ledger import Ledger, open_readonly, verify
from appliance.ledger.store import iter_records

TEA = "6901234567892"


def cfg_for(data: Path, **env):
    environ = {"TILLBOX_PATHS__DATA": str(data)}
    environ.update({f"TILLBOX_{k.upper()}": str(v) for k, v in env.items()})
    return configmod.load(None, environ=environ, log_warnings=False)


def journal(path: Path) -> list[tuple[int, str]]:
    conn = open_readonly(path)
    try:
        return [(r.seq, r.hash) for r in iter_records(conn, stored=True)]
    finally:
        conn.close()


def ledger_ok(path: Path):
    conn = open_readonly(path)
    try:
        return verify(iter_records(conn, stored=True))
    finally:
        conn.close()


@pytest.fixture
def backed_up(shop, tmp_path):
    """A shop with two sales, receipt key and uplink cursor, and one plain backup of it."""
    shop.sale(TEA)
    shop.sale(TEA, TEA)
    (tmp_path / "receipt.key").write_bytes(b"k" * 32)
    (tmp_path / "uplink").mkdir()
    (tmp_path / "uplink" / "cursor.json").write_text('{"seq": 3}')
    cfg = cfg_for(tmp_path)
    path = create_backup(cfg, dest=tmp_path / "out")
    return cfg, path


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def rewrite_trailer(path: Path) -> None:
    """Recompute the checksum trailer, as someone altering the file on purpose would."""
    import hashlib
    body = path.read_bytes()[:-TRAILER_LEN]
    path.write_bytes(body + b"\nTILLBOX-SHA256 " + hashlib.sha256(body).hexdigest().encode()
                     + b"\n")


# -- taking a backup ---------------------------------------------------------------------------

def test_backup_while_selling_restores_every_sale_acknowledged_before_it(shop, tmp_path,
                                                                         monkeypatch):
    import appliance.backup
    monkeypatch.setattr(appliance.backup, "LEDGER_STEP_PAGES", 1)  # many steps, sales between
    steps = []
    shop.sale(TEA)
    stop = threading.Event()
    errors = []

    def keep_selling():
        while not stop.is_set():
            try:
                shop.sale(TEA)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                return

    seller = threading.Thread(target=keep_selling)
    seller.start()
    try:
        while shop.ledger.head()[0] < 40:
            stop.wait(0.01)
        acknowledged = shop.ledger.records()  # every sale that returned before the backup
        path = create_backup(cfg_for(tmp_path), dest=tmp_path / "out",
                             progress=lambda what, done, total: steps.append(
                                 (what, shop.ledger.head()[0])))
        while shop.ledger.head()[0] < len(acknowledged) + 20:  # selling went on meanwhile
            stop.wait(0.01)
    finally:
        stop.set()
        seller.join(30)
    assert not errors
    ledger_steps = [seq for what, seq in steps if what == "ledger"]
    assert len(ledger_steps) > 10 and ledger_steps[-1] > ledger_steps[0]  # sold while copying
    fresh = tmp_path / "fresh"
    manifest = restore(cfg_for(fresh), path)
    result = ledger_ok(fresh / "ledger.db")
    assert result.ok, result.line()
    assert (result.head_seq, result.head_hash) == (manifest["head_seq"], manifest["head_hash"])
    restored = journal(fresh / "ledger.db")
    assert restored[:len(acknowledged)] == [(r.seq, r.hash) for r in acknowledged]


def test_backup_holds_master_data_and_box_files_but_no_temporary_files(backed_up, tmp_path):
    cfg, path = backed_up
    (tmp_path / "master" / ".catalog.json.123.tmp").write_text("half")
    fresh = tmp_path / "fresh"
    restore(cfg_for(fresh), path)
    assert (fresh / "master" / "catalog.json").read_bytes() == \
        (tmp_path / "master" / "catalog.json").read_bytes()
    assert (fresh / "receipt.key").read_bytes() == b"k" * 32
    assert (fresh / "uplink" / "cursor.json").read_text() == '{"seq": 3}'
    assert not list((fresh / "master").glob(".*"))
    assert (fresh / "receipt.key").stat().st_mode & 0o077 == 0


def test_backup_file_is_named_for_its_time_and_head_seq(backed_up):
    cfg, path = backed_up
    info, = list_backups(path.parent)
    assert info.head_seq == verify_backup(path)["head_seq"] > 0
    assert path.name.startswith("tillbox-backup-") and path.name.endswith(
        f"-seq{info.head_seq}.tar")
    assert not [p for p in path.parent.iterdir() if p != path]  # no temporary left over


def test_default_destination_is_rotated_to_the_configured_count(shop, tmp_path):
    shop.sale(TEA)
    cfg = cfg_for(tmp_path, backup__keep=2)
    made = [create_backup(cfg, now=1_800_000_000 + day * 86400) for day in range(4)]
    assert [b.path for b in list_backups(tmp_path / "backups")] == made[-2:]
    assert rotate(tmp_path / "backups", 1) == [made[-2]]


def test_a_broken_ledger_is_not_backed_up(shop, tmp_path):
    shop.sale(TEA)
    shop.ledger.close()
    conn = sqlite3.connect(tmp_path / "ledger.db")
    conn.execute("DROP TRIGGER IF EXISTS journal_no_update")
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND "
                                "tbl_name = 'journal'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("UPDATE journal SET data = '{}' WHERE seq = 1")
    conn.commit()
    conn.close()
    with pytest.raises(Exception, match="broken"):
        create_backup(cfg_for(tmp_path), dest=tmp_path / "out")
    shop.ledger = Ledger(tmp_path / "ledger.db")  # for the fixture's close


# -- refusing damaged backups ------------------------------------------------------------------

@pytest.mark.parametrize("where", ["start", "middle", "ledger", "end"])
def test_one_flipped_byte_anywhere_is_refused(backed_up, tmp_path, where):
    cfg, path = backed_up
    size = path.stat().st_size
    data = path.read_bytes()
    offset = {"start": 10, "middle": size // 2, "ledger": data.index(b"SQLite format 3") + 100,
              "end": size - 5}[where]
    flip(path, offset)
    with pytest.raises(BackupInvalid, match="changed or damaged|truncated"):
        restore(cfg_for(tmp_path / "fresh"), path)
    assert not (tmp_path / "fresh" / "ledger.db").exists()


def test_a_changed_member_with_a_recomputed_checksum_fails_its_manifest_hash(backed_up,
                                                                           tmp_path):
    cfg, path = backed_up
    data = path.read_bytes()
    flip(path, data.index(b"SQLite format 3") + 2000)
    rewrite_trailer(path)
    with pytest.raises(BackupInvalid, match="ledger.db in the backup does not match its SHA-256"):
        verify_backup(path)


def test_a_truncated_backup_is_refused(backed_up, tmp_path):
    cfg, path = backed_up
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(BackupInvalid, match="truncated"):
        restore(cfg_for(tmp_path / "fresh"), path)
    path.write_bytes(data[:len(data) // 2])
    rewrite_trailer(path)  # cut and re-sealed: the archive itself is short
    with pytest.raises(BackupInvalid, match="truncated|damaged|missing"):
        verify_backup(path)


def test_a_file_that_is_no_backup_is_refused(tmp_path):
    junk = tmp_path / "x.tar"
    junk.write_bytes(b"hello" * 100)
    with pytest.raises(BackupInvalid, match="not a tillbox backup"):
        verify_backup(junk)


# -- encryption --------------------------------------------------------------------------------

@pytest.fixture
def encrypted(shop, tmp_path):
    shop.sale(TEA)
    path = create_backup(cfg_for(tmp_path), dest=tmp_path / "out",
                         passphrase="correct horse 电池")
    return path


def test_encrypted_backup_restores_with_its_passphrase(encrypted, tmp_path):
    assert encrypted.name.endswith(".tar.enc")
    assert b"SQLite format 3" not in encrypted.read_bytes()
    assert b"catalog" not in encrypted.read_bytes()
    fresh = tmp_path / "fresh"
    restore(cfg_for(fresh), encrypted, passphrase="correct horse 电池")
    assert ledger_ok(fresh / "ledger.db").ok


def test_wrong_or_missing_passphrase_is_refused(encrypted, tmp_path):
    with pytest.raises(BackupInvalid, match="wrong passphrase"):
        restore(cfg_for(tmp_path / "fresh"), encrypted, passphrase="correct horse")
    with pytest.raises(Exception, match="encrypted: give its passphrase"):
        verify_backup(encrypted)


def test_altered_ciphertext_fails_authentication_even_with_a_new_checksum(encrypted):
    size = encrypted.stat().st_size
    flip(encrypted, size // 2)
    rewrite_trailer(encrypted)
    with pytest.raises(BackupInvalid, match="altered"):
        verify_backup(encrypted, passphrase="correct horse 电池")


# -- restoring over existing data ----------------------------------------------------------------

def test_restoring_an_older_backup_over_a_newer_ledger_needs_force(backed_up, shop, tmp_path):
    cfg, path = backed_up
    shop.sale(TEA)
    newer = journal(tmp_path / "ledger.db")
    shop.ledger.close()
    with pytest.raises(RestoreRefused, match=r"newer \(seq \d+\).*--force"):
        restore(cfg, path)
    assert journal(tmp_path / "ledger.db") == newer
    manifest = restore(cfg, path, force=True)
    assert journal(tmp_path / "ledger.db")[-1][0] == manifest["head_seq"] < newer[-1][0]
    kept = Path(manifest["replaced_kept_in"])
    assert journal(kept / "ledger.db") == newer  # what was replaced is kept
    shop.ledger = Ledger(tmp_path / "ledger.db")


def test_restoring_another_devices_backup_needs_force(backed_up, tmp_path):
    cfg, path = backed_up
    other = tmp_path / "other"
    Ledger(other / "ledger.db", device_id="till-9").close()
    with pytest.raises(RestoreRefused, match="device 'till-9'.*--force"):
        restore(cfg_for(other), path)


def test_restore_is_refused_while_the_ledger_is_open(backed_up, tmp_path):
    cfg, path = backed_up  # the shop fixture still holds ledger.db open, as core does
    with pytest.raises(RestoreRefused, match="in use.*systemctl stop tillbox.target"):
        restore(cfg, path, force=True)


def test_restoring_the_same_backup_again_is_allowed(backed_up, shop, tmp_path):
    cfg, path = backed_up
    shop.ledger.close()
    restore(cfg, path)
    restore(cfg, path)
    assert ledger_ok(tmp_path / "ledger.db").ok
    shop.ledger = Ledger(tmp_path / "ledger.db")


def test_restored_files_belong_to_the_data_directorys_owner(backed_up, tmp_path):
    """As root (sudo tillbox restore): core, running as tillbox, must be able to write them."""
    cfg, path = backed_up
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    import os
    if os.geteuid() == 0:
        os.chown(fresh, 4321, 4321)
        want = 4321
    else:
        want = os.geteuid()
    restore(cfg_for(fresh), path)
    for p in [fresh / "ledger.db", fresh / "master", *(fresh / "master").iterdir()]:
        assert p.stat().st_uid == want, p


def test_a_killed_backups_leftovers_are_cleared_by_the_next(shop, tmp_path):
    import os
    import time
    shop.sale(TEA)
    stale = tmp_path / "out" / ".tillbox-backup-dead"
    stale.mkdir(parents=True)
    (stale / "ledger.db").write_bytes(b"half")
    os.utime(stale, (time.time() - 7 * 3600,) * 2)
    create_backup(cfg_for(tmp_path), dest=tmp_path / "out")
    assert not stale.exists()


def test_progress_bar_draws_on_a_terminal_only():
    import io
    from appliance.backup.cli import ProgressBar

    class Tty(io.StringIO):
        def isatty(self):
            return True
    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        bar = ProgressBar(stream, width=10)
        bar("ledger", 0, 4)
        bar("ledger", 2, 4)
        bar("ledger", 2, 4)
        bar("ledger", 4, 4)
        bar.close()
    assert tty.getvalue() == ("\rledger   [..........]   0%\rledger   [#####.....]  50%"
                              "\rledger   [##########] 100%\n")
    assert pipe.getvalue() == ""
