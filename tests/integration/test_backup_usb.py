"""Copying a backup to a USB stick, against a real filesystem on a loop device (ext4: this
kernel has no vfat; the code path is the same). Every mount and loop device is removed in a
finally."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from appliance import config as configmod
from appliance.backup import create_backup, verify_backup
from appliance.backup.usb import STICK_DIR, StickError, copy_to_stick, find_sticks

ROOT = Path(__file__).resolve().parents[2]
TEA = "6901234567892"


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=60).stdout


@contextlib.contextmanager
def loop_stick(tmp_path: Path, mountpoint: Path, size_mb: int = 16):
    image = tmp_path / f"stick-{mountpoint.name}.img"
    with open(image, "wb") as fh:
        fh.truncate(size_mb << 20)
    run("mkfs.ext4", "-q", "-m", "0", "-L", "TILLBOX", str(image))
    device = run("losetup", "--find", "--show", str(image)).strip()
    mounted = False
    try:
        mountpoint.mkdir(parents=True)
        run("mount", device, str(mountpoint))
        mounted = True
        yield device
    finally:
        if mounted:
            subprocess.run(["umount", str(mountpoint)], check=True, timeout=60)
        subprocess.run(["losetup", "-d", device], check=True, timeout=60)


@pytest.fixture
def box(shop, tmp_path):
    shop.sale(TEA)
    shop.sale(TEA, TEA)
    cfg = configmod.load(None, environ={"TILLBOX_PATHS__DATA": str(tmp_path)},
                         log_warnings=False)
    return cfg, create_backup(cfg)


def test_a_mounted_stick_is_found_and_the_backup_copied_verified_and_synced(box, tmp_path):
    cfg, backup = box
    media = tmp_path / "media"
    with loop_stick(tmp_path, media / "owner" / "STICK") as device:
        sticks = find_sticks(roots=(media,))
        assert [(s.device, s.mountpoint, s.fstype) for s in sticks] == \
            [(device, media / "owner" / "STICK", "ext4")]
        copy = copy_to_stick(backup, sticks[0].mountpoint)
        assert copy == media / "owner" / "STICK" / STICK_DIR / backup.name
        assert copy.read_bytes() == backup.read_bytes()
        assert verify_backup(copy)["head_seq"] > 0
        assert not [p for p in copy.parent.iterdir() if p != copy]  # no .part left
    assert not find_sticks(roots=(media,))  # pulled


def test_tillbox_backup_usb_copies_the_newest_backup_and_says_safe_to_pull(box, tmp_path):
    cfg, backup = box
    conf = tmp_path / "tillbox.toml"
    conf.write_text(f'[paths]\ndata = "{tmp_path}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILLBOX_")}
    stick = tmp_path / "mnt" / "stick"
    with loop_stick(tmp_path, stick):
        r = subprocess.run([sys.executable, "-m", "appliance.cli", "--config", str(conf),
                            "backup", "--usb", str(stick)], cwd=ROOT, capture_output=True,
                           text=True, env=env, timeout=60)
        assert r.returncode == 0, r.stderr
        assert "safe to pull" in r.stdout
        assert (stick / STICK_DIR / backup.name).read_bytes() == backup.read_bytes()
    r = subprocess.run([sys.executable, "-m", "appliance.cli", "--config", str(conf), "backup",
                        "--usb", str(stick)], cwd=ROOT, capture_output=True, text=True,
                       env=env, timeout=60)
    assert r.returncode == 2 and "not a mounted stick" in r.stderr
    assert r.stderr.strip().count("\n") == 0


def test_a_full_stick_is_refused_and_left_without_a_partial_file(box, tmp_path):
    cfg, backup = box
    stick = tmp_path / "media" / "tiny"
    with loop_stick(tmp_path, stick, size_mb=8):
        filler = stick / "holiday-photos.bin"
        with open(filler, "wb") as fh:
            free = os.statvfs(stick).f_bavail * os.statvfs(stick).f_frsize
            fh.write(b"\0" * (free - backup.stat().st_size // 2))
        with pytest.raises(StickError, match="MB free"):
            copy_to_stick(backup, stick)
        assert not (stick / STICK_DIR).exists() or not list((stick / STICK_DIR).iterdir())


def test_a_damaged_backup_is_not_copied(box, tmp_path):
    cfg, backup = box
    data = bytearray(backup.read_bytes())
    data[100] ^= 1
    backup.write_bytes(bytes(data))
    stick = tmp_path / "media" / "s"
    with loop_stick(tmp_path, stick):
        with pytest.raises(StickError, match="not copied"):
            copy_to_stick(backup, stick)
