"""The automatic USB copy (`tillbox backup --usb-device`, what tillbox-usb-backup@.service
runs when udev sees a stick) against real filesystems on loop devices (ext4: this kernel has
no vfat). The code under test mounts and unmounts the stick itself; each test attaches its
loop device and detaches it in a finally, and checks nothing stays mounted. Runs as root (CI
does, like test_backup_usb.py)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from appliance import config as configmod
from appliance.backup import create_backup, list_backups, verify_backup
from appliance.backup.keys import load_recipient, remove_key, set_passphrase
from appliance.backup.status import led_pattern, read_usb_status
from appliance.backup.usb import STICK_DIR
from appliance.backup.usbauto import Ignored, in_use, run

ROOT = Path(__file__).resolve().parents[2]
TEA = "6901234567892"
PASSPHRASE = "correct horse battery"

def sh(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=60).stdout


def mounted(device: str) -> bool:
    with open("/proc/mounts", encoding="utf-8") as fh:
        return any(line.split()[0] == device for line in fh)


@contextlib.contextmanager
def loop_device(tmp_path: Path, *, size_mb: int = 16, read_only: bool = False,
                fill_to_free_kb: int | None = None, craft=None):
    """A stick: an ext4 image on a loop device, NOT mounted (the code under test mounts it).
    ``craft(root)`` puts files on it first (a stick someone prepared)."""
    image = tmp_path / "stick.img"
    with open(image, "wb") as fh:
        fh.truncate(size_mb << 20)
    sh("mkfs.ext4", "-q", "-m", "0", "-L", "SHOPSTICK", str(image))
    if craft is not None:
        mnt = tmp_path / "craft"
        mnt.mkdir()
        dev = sh("losetup", "--find", "--show", str(image)).strip()
        try:
            sh("mount", dev, str(mnt))
            try:
                craft(mnt)
            finally:
                sh("umount", str(mnt))
        finally:
            sh("losetup", "-d", dev)
    if fill_to_free_kb is not None:   # photos on it already: leave only so much room
        mnt = tmp_path / "fill"
        mnt.mkdir()
        dev = sh("losetup", "--find", "--show", str(image)).strip()
        try:
            sh("mount", dev, str(mnt))
            try:
                st = os.statvfs(mnt)
                free = st.f_bavail * st.f_frsize
                with open(mnt / "photos.bin", "wb") as fh:
                    fh.write(b"\0" * max(0, free - fill_to_free_kb * 1024))
            finally:
                sh("umount", str(mnt))
        finally:
            sh("losetup", "-d", dev)
    device = sh("losetup", *(["-r"] if read_only else []), "--find", "--show",
                str(image)).strip()
    try:
        yield device
    finally:
        if mounted(device):   # the code under test failed to clean up: undo, then fail
            subprocess.run(["umount", "-l", device], timeout=60)
        subprocess.run(["losetup", "-d", device], check=True, timeout=60)


def read_stick(tmp_path: Path, device: str) -> dict[str, bytes]:
    mnt = tmp_path / "check"
    mnt.mkdir(exist_ok=True)
    sh("mount", "-o", "ro", device, str(mnt))
    try:
        return {p.name: p.read_bytes() for p in (mnt / STICK_DIR).iterdir()}
    finally:
        sh("umount", str(mnt))


@pytest.fixture
def data(shop, tmp_path):
    """A shop with two sales whose data directory belongs to `nobody` (as on the box, where it
    is the tillbox user's), in a folder that user can reach."""
    shop.sale(TEA)
    shop.sale(TEA, TEA)
    shop.close()
    base = Path(tempfile.mkdtemp(prefix="tillbox-usb-auto-"))
    os.chmod(base, 0o755)
    data_dir = base / "data"
    shutil.copytree(tmp_path, data_dir, ignore=shutil.ignore_patterns("*.img", "check",
                                                                      "fill", "mnt"))
    set_passphrase(data_dir, PASSPHRASE)   # the owner set one: sticks get copies
    sh("chown", "-R", "65534:65534", str(data_dir))
    cfg = configmod.load(None, environ={"TILLBOX_PATHS__DATA": str(data_dir)},
                         log_warnings=False)
    yield cfg
    shutil.rmtree(base, ignore_errors=True)


def test_a_stick_gets_a_fresh_verified_backup_and_is_left_unmounted(data, tmp_path):
    mount_root = tmp_path / "run"
    with loop_device(tmp_path) as device:
        status = run(data, device, mount_root=mount_root)
        assert status["state"] == "done", status
        assert not mounted(device)
        assert not (mount_root / os.path.basename(device)).exists()
        # No backup existed: one was made first, as the data directory's owner.
        [local] = list_backups(data.data_dir / "backups")
        assert local.path.stat().st_uid == 65534
        on_stick = read_stick(tmp_path, device)
    assert on_stick == {local.path.name: local.path.read_bytes()}
    assert verify_backup(local.path, passphrase=PASSPHRASE)["head_seq"] == local.head_seq > 0
    saved = json.loads((data.data_dir / "usb-backup.json").read_text())
    assert saved["state"] == "done" and saved["percent"] == 100
    assert saved["label"] == "SHOPSTICK" and saved["device"] == device
    assert saved["file"] == local.path.name and saved["size"] == local.size
    assert saved["reason"] is None and saved["finished_at"]
    assert (data.data_dir / "usb-backup.json").stat().st_uid == 65534
    assert led_pattern(read_usb_status(data.data_dir)) == "usb_done"
    last = json.loads((data.data_dir / "backups" / "last.json").read_text())
    assert last["ok"] and last["source"] == "usb" and last["file"] == local.path.name


def test_a_second_stick_with_no_new_sales_gets_the_same_backup(data, tmp_path):
    with loop_device(tmp_path) as device:
        assert run(data, device, mount_root=tmp_path / "run")["state"] == "done"
    before = list_backups(data.data_dir / "backups")
    second = tmp_path / "second"
    second.mkdir()
    with loop_device(second) as device:
        assert run(data, device, mount_root=tmp_path / "run")["state"] == "done"
    assert list_backups(data.data_dir / "backups") == before


def test_a_write_protected_stick_fails_clearly_and_leaves_nothing_mounted(data, tmp_path):
    with loop_device(tmp_path, read_only=True) as device:
        status = run(data, device, mount_root=tmp_path / "run")
        assert not mounted(device)
    assert status["state"] == "failed"
    assert "write-protected" in status["reason"] and status["code"] == "write_protected"
    assert read_usb_status(data.data_dir)["state"] == "failed"
    assert led_pattern(read_usb_status(data.data_dir)) == "usb_failed"


def test_a_full_stick_fails_with_how_much_room_is_missing(data, tmp_path):
    with loop_device(tmp_path, fill_to_free_kb=64) as device:
        status = run(data, device, mount_root=tmp_path / "run")
        assert not mounted(device)
    assert status["state"] == "failed" and "MB free" in status["reason"]
    assert status["code"] == "full"
    # The box is fine: its own backup is intact.
    [local] = list_backups(data.data_dir / "backups")
    assert verify_backup(local.path, passphrase=PASSPHRASE)["head_seq"] > 0


def test_a_stick_without_a_filesystem_fails_as_unreadable(data, tmp_path):
    image = tmp_path / "blank.img"
    with open(image, "wb") as fh:
        fh.truncate(4 << 20)
    device = sh("losetup", "--find", "--show", str(image)).strip()
    try:
        status = run(data, device, mount_root=tmp_path / "run")
    finally:
        sh("losetup", "-d", device)
    assert status["state"] == "failed" and "FAT32 or exFAT" in status["reason"]
    assert status["code"] == "no_filesystem"


def test_a_mounted_disk_is_ignored_without_a_status(data, tmp_path):
    mnt = tmp_path / "mine"
    mnt.mkdir()
    with loop_device(tmp_path) as device:
        sh("mount", device, str(mnt))
        try:
            assert in_use(device)
            with pytest.raises(Ignored):
                run(data, device, mount_root=tmp_path / "run")
        finally:
            sh("umount", str(mnt))
    assert read_usb_status(data.data_dir) is None


def test_the_command_the_unit_runs_says_safe_to_pull(data, tmp_path):
    conf = tmp_path / "tillbox.toml"
    conf.write_text(f'[paths]\ndata = "{data.data_dir}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILLBOX_")}
    with loop_device(tmp_path) as device:
        r = subprocess.run([sys.executable, "-m", "appliance.cli", "--config", str(conf),
                            "backup", "--usb-device", device], cwd=ROOT, capture_output=True,
                           text=True, env=env, timeout=120)
        assert not mounted(device)
    assert r.returncode == 0, r.stderr
    assert "safe to pull" in r.stdout


def test_without_a_backup_passphrase_no_stick_gets_the_shops_data(data, tmp_path):
    remove_key(data.data_dir)
    with loop_device(tmp_path) as device:
        status = run(data, device, mount_root=tmp_path / "run")
        assert not mounted(device)
        mnt = tmp_path / "look"
        mnt.mkdir()
        sh("mount", "-o", "ro", device, str(mnt))
        try:
            on_stick = sorted(p.name for p in mnt.iterdir())
        finally:
            sh("umount", str(mnt))
    assert on_stick == ["lost+found"]
    assert status["state"] == "failed" and status["code"] == "no_key"
    assert "set a backup passphrase first" in status["reason"]
    assert read_usb_status(data.data_dir)["code"] == "no_key"
    assert list_backups(data.data_dir / "backups") == []   # no plain backup was made either


def _local_backup(cfg) -> Path:
    """A backup in <data>/backups (encrypted to the key), owned like the data directory."""
    path = create_backup(cfg, recipient=load_recipient(cfg.data_dir))
    sh("chown", "-R", "65534:65534", str(cfg.data_dir / "backups"))
    return path


def test_a_stick_with_a_symlinked_part_file_cannot_overwrite_the_ledger(data, tmp_path):
    backup = _local_backup(data)
    ledger = data.data_dir / "ledger.db"
    key = data.data_dir / "backup-key.json"
    before = {ledger: ledger.read_bytes(), key: key.read_bytes()}

    def craft(root: Path) -> None:
        (root / STICK_DIR).mkdir()
        # the temporary name and the final name both point into the box's data directory
        os.symlink(ledger, root / STICK_DIR / f".{backup.name}.part")
        os.symlink(key, root / STICK_DIR / backup.name)
    with loop_device(tmp_path, craft=craft) as device:
        status = run(data, device, mount_root=tmp_path / "run")
        assert not mounted(device)
        mnt = tmp_path / "look"
        mnt.mkdir()
        sh("mount", "-o", "ro", device, str(mnt))
        try:
            entries = {p.name: p.is_symlink() for p in (mnt / STICK_DIR).iterdir()}
            copy = (mnt / STICK_DIR / backup.name).read_bytes()
        finally:
            sh("umount", str(mnt))
    assert {p: p.read_bytes() for p in before} == before     # nothing written through a link
    assert status["state"] == "done", status
    assert entries == {backup.name: False}                   # the link itself was replaced
    assert copy == backup.read_bytes()


def test_a_stick_whose_backup_folder_is_a_symlink_is_refused(data, tmp_path):
    _local_backup(data)
    target = data.data_dir / "backups"
    listed = sorted(p.name for p in target.iterdir())

    def craft(root: Path) -> None:
        os.symlink(target, root / STICK_DIR)
    with loop_device(tmp_path, craft=craft) as device:
        status = run(data, device, mount_root=tmp_path / "run")
        assert not mounted(device)
    assert status["state"] == "failed" and status["code"] == "bad_stick", status
    assert sorted(p.name for p in target.iterdir()) == listed


def test_the_stick_is_mounted_without_following_symlinks(data, tmp_path):
    seen = {}
    import appliance.backup.usbauto as usbauto
    real_copy = usbauto.copy_to_stick

    def copy(backup, stick, progress=None):
        with open("/proc/mounts", encoding="utf-8") as fh:
            seen.update(opts=[line.split()[3] for line in fh if line.split()[1] == str(stick)])
        return real_copy(backup, stick, progress=progress)
    usbauto.copy_to_stick = copy
    try:
        with loop_device(tmp_path) as device:
            assert run(data, device, mount_root=tmp_path / "run")["state"] == "done"
    finally:
        usbauto.copy_to_stick = real_copy
    [opts] = seen["opts"]
    assert {"nosymfollow", "nosuid", "nodev", "noexec"} <= set(opts.split(","))


def test_a_second_run_waits_for_the_first_and_writes_no_status_meanwhile(data, tmp_path):
    import fcntl
    with loop_device(tmp_path) as device:
        fd = os.open(data.data_dir / "usb-backup.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)          # another partition's run is writing
            result = {}
            t = threading.Thread(target=lambda: result.update(
                status=run(data, device, mount_root=tmp_path / "run")))
            t.start()
            t.join(1.5)
            assert t.is_alive()                     # it waits ...
            assert read_usb_status(data.data_dir) is None   # ... without touching the status
        finally:
            os.close(fd)                            # the first run ends
        t.join(120)
        assert not mounted(device)
    assert result["status"]["state"] == "done"


def test_two_partitions_of_one_stick_get_one_copy(data, tmp_path, monkeypatch):
    """udev starts one unit per partition: they take turns, and the one that waited sees its
    stick got the backup meanwhile and leaves it alone. (No partition nodes for loop devices
    in this container: two loop devices stand in for the two partitions of one disk.)"""
    import fcntl

    import appliance.backup.usbauto as usbauto
    monkeypatch.setattr(usbauto, "_disk_of", lambda device: "sdz")
    second = tmp_path / "second"
    second.mkdir()
    outcomes: dict = {}

    def one(part: str) -> None:
        try:
            outcomes[part] = run(data, part, mount_root=tmp_path / "run")["state"]
        except Ignored:
            outcomes[part] = "ignored"
    with loop_device(tmp_path) as p1, loop_device(second) as p2:
        fd = os.open(data.data_dir / "usb-backup.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)          # both start while the lock is held
            threads = [threading.Thread(target=one, args=(p,)) for p in (p1, p2)]
            for t in threads:
                t.start()
            threading.Event().wait(0.5)
        finally:
            os.close(fd)
        for t in threads:
            t.join(120)
        assert not mounted(p1) and not mounted(p2)
        holding = [p for p, where in ((p1, tmp_path), (p2, second))
                   if read_stick_or_none(where, p)]
    assert sorted(outcomes.values()) == ["done", "ignored"], outcomes
    assert len(holding) == 1
    assert read_usb_status(data.data_dir)["state"] == "done"


def read_stick_or_none(tmp_path: Path, device: str) -> dict | None:
    mnt = tmp_path / "check"
    mnt.mkdir(exist_ok=True)
    sh("mount", "-o", "ro", device, str(mnt))
    try:
        d = mnt / STICK_DIR
        return {p.name: p.stat().st_size for p in d.iterdir()} if d.is_dir() else None
    finally:
        sh("umount", str(mnt))
