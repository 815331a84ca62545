"""Review fixes to the USB copy and the backup key: the stick mounted without following
symlinks and only with filesystems a stick carries, no automatic copy without a backup key
(with a code the pages translate), the CLI's key changes journalled like the page's, and one
key change at a time on the API."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from appliance import config as configmod
from appliance.backup import cli as backup_cli
from appliance.backup.keys import key_info
from appliance.backup.usb import StickError
from appliance.backup.usbauto import NO_KEY_REASON, mount, mount_options, reason_code
from appliance.ledger import open_readonly
from appliance.ledger.store import iter_records

ROOT = Path(__file__).resolve().parents[3]
PHRASE = "店里的备份密码-2026"


def test_the_stick_is_mounted_without_symlinks_suid_devices_or_programs():
    for fstype in ("vfat", "ext4"):
        opts = mount_options(fstype, 1000, 1000).split(",")
        assert {"nosymfollow", "nosuid", "nodev", "noexec"} <= set(opts)


@pytest.mark.parametrize("fstype", ["btrfs", "xfs", "ext2", "ext3", "squashfs", ""])
def test_only_filesystems_a_stick_carries_are_mounted(tmp_path, fstype):
    with pytest.raises(StickError, match="FAT32 or exFAT"):
        mount("/dev/sdz1", fstype, tmp_path / "m", 0, 0)
    assert not (tmp_path / "m").exists()      # refused before anything was done


def test_no_key_has_its_own_code_and_the_pages_translate_it(web):
    assert reason_code(NO_KEY_REASON) == "no_key"
    assert reason_code("x/tillbox-backups on the stick is not a plain directory (a link or "
                       "a file): nothing was written") == "bad_stick"
    from webui.office.settings_backup import script_strings
    with web.app.test_request_context("/?lang=en"):
        strings = script_strings()
    assert "set a backup passphrase first" in strings["st_backup_reason_no_key"]
    assert "link" in strings["st_backup_reason_bad_stick"]
    with web.app.test_request_context("/?lang=zh"):
        strings = script_strings()
    assert "请先设置备份密码" in strings["st_backup_reason_no_key"]
    assert "链接" in strings["st_backup_reason_bad_stick"]


def _config_changes(path: Path) -> list:
    conn = open_readonly(path)
    try:
        return [r for r in iter_records(conn) if r.type == "config.changed"]
    finally:
        conn.close()


class _Args:
    list = False
    usb = None
    usb_device = None
    encrypt = False
    to = None

    def __init__(self, set_it: bool):
        self.set_passphrase, self.remove_passphrase = set_it, not set_it


def test_the_commands_key_changes_are_journalled_like_the_pages(shop, tmp_path, monkeypatch,
                                                                 capsys):
    shop.ledger.close()          # the box is stopped, as for a technician at the shell
    cfg = configmod.load(None, environ={"TILLBOX_PATHS__DATA": str(tmp_path)},
                         log_warnings=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(PHRASE + "\n"))
    assert backup_cli.run_backup(cfg, _Args(True)) == 0
    fp = key_info(tmp_path)["fingerprint"]
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert backup_cli.run_backup(cfg, _Args(False)) == 0
    assert key_info(tmp_path) is None
    set_rec, removed = _config_changes(cfg.ledger_path)
    assert set_rec.data == {"changes": {"backup.key": {"from": None, "to": fp}}}
    assert removed.data == {"changes": {"backup.key": {"from": fp, "to": None}}}
    assert set_rec.actor["staff"] == backup_cli.CLI_STAFF
    assert set_rec.actor["device"] == cfg.shop.device_id
    assert PHRASE not in json.dumps([set_rec.to_dict(), removed.to_dict()], ensure_ascii=False)
    assert PHRASE not in capsys.readouterr().out


def test_the_command_sets_a_key_before_the_first_start_without_a_ledger(tmp_path):
    conf = tmp_path / "box.toml"
    conf.write_text(f'[paths]\ndata = "{tmp_path / "box"}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILLBOX_")}
    r = subprocess.run([sys.executable, "-m", "appliance.cli", "--config", str(conf), "backup",
                        "--set-passphrase"], cwd=ROOT, capture_output=True, text=True,
                       input=PHRASE + "\n", env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert key_info(tmp_path / "box")["fingerprint"]
    assert not (tmp_path / "box" / "ledger.db").exists()


def test_a_second_key_change_while_one_runs_answers_409(web):
    from webui.api.backups import KEY_CHANGE
    owner = web.as_role("owner")
    assert KEY_CHANGE.acquire(blocking=False)   # a first request is inside scrypt
    try:
        r = owner.client.put("/api/v1/backups/key", json={"passphrase": PHRASE, "confirm": PHRASE},
                             headers=owner._headers(True))
        assert r.status_code == 409 and "being changed" in r.get_json()["error"]
        assert owner.delete("/api/v1/backups/key").status_code == 409
    finally:
        KEY_CHANGE.release()
    assert key_info(web.box.config.data_dir) is None
    r = owner.client.put("/api/v1/backups/key", json={"passphrase": PHRASE, "confirm": PHRASE},
                             headers=owner._headers(True))
    assert r.status_code == 200 and r.get_json()["key"]["fingerprint"]
