"""The automatic USB copy: a stick goes in, the newest backup goes onto it, the stick comes out.

udev (systemd/udev/61-tillbox-usb-backup.rules) starts ``tillbox-usb-backup@<kernel
name>.service`` for every USB block device that carries a filesystem; the unit runs
``tillbox backup --usb-device /dev/<kernel name>`` as root, which is :func:`run`:

1. takes ``<data>/usb-backup.lock`` for the whole run: the partitions of one stick are
   handled one after the other, and a partition whose stick got the backup (through another
   partition) while it waited is left alone;
2. refuses devices that are mounted already (a box booting from a USB disk: its own disk is
   never touched, and no status is written for it);
3. writes ``usb-backup.json`` = writing (the LED blinks fast, the pages say "do not pull");
   without a backup key (a backup passphrase) it stops right there as failed ("set a backup
   passphrase first", code ``no_key``): any stick put in would otherwise carry the ledger,
   receipt.key, device.token and the MQTT client key in plain;
4. makes a fresh backup first when the ledger has records the newest local backup lacks, or
   that backup is not encrypted (as the data directory's owner, in a child process, so no
   file in it becomes root's); it is encrypted to the box's backup key;
5. mounts the stick on a private mount point (nosuid, nodev, noexec, nosymfollow; only FAT,
   exFAT, NTFS and ext4; FAT/exFAT/NTFS owned by the data directory's owner, umask 077),
   copies, reads back and compares, syncs (:func:`.usb.copy_to_stick`, which never follows a
   symlink on the stick), unmounts;
6. writes done (safe to pull) or failed with the reason. The box itself is never harmed by a
   stick that is pulled, full, read-only or unreadable: only the status says failed.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import subprocess
import time
from pathlib import Path

from ..errors import ValidationError
from ..ledger import open_readonly
from . import backup_dir, create_backup, list_backups
from .keys import load_recipient
from .status import read_usb_status, record_last_backup, utc, write_usb_status
from .usb import StickError, copy_to_stick

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")

MOUNT_ROOT = Path("/run/tillbox-usb")
DEVICE_RE = re.compile(r"^/dev/[A-Za-z0-9._-]+$")
#: Filesystems a stick is mounted with and the extra options each gets. What sticks carry
#: (FAT, exFAT, NTFS) and ext4; no btrfs, xfs, ext2/3: large kernel parsers a crafted stick
#: could aim at, for nothing a shop uses.
OWNED_FS = {"vfat", "exfat", "ntfs", "ntfs3"}
MOUNTABLE_FS = OWNED_FS | {"ext4"}
LOCK_FILE = "usb-backup.lock"
NO_KEY_REASON = ("set a backup passphrase first (the settings page, Backups, or `tillbox "
                 "backup --set-passphrase`): without it the stick would get the shop's data "
                 "and the box's keys unencrypted; nothing was written")
PROGRESS_EVERY = 1.0


class Ignored(Exception):
    """A device that is not a stick to write to (mounted already: the box's own disk)."""


def _run(*cmd: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def probe(device: str) -> dict:
    """The filesystem type and label of ``device`` (blkid)."""
    proc = _run("blkid", "-p", "-o", "export", device, timeout=30)
    if proc.returncode not in (0, 2):
        detail = proc.stderr.strip() or f"blkid exit {proc.returncode}"
        raise StickError(f"the stick {device} cannot be read ({detail}): it may be damaged, "
                         "try another")
    fields = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    return {"fstype": fields.get("TYPE", ""), "label": fields.get("LABEL", "")}


def _mounted_devices(mounts: str = "/proc/mounts") -> set[str]:
    out = set()
    with open(mounts, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            parts = line.split()
            if parts and parts[0].startswith("/dev/"):
                out.add(os.path.realpath(parts[0]))
    return out


def in_use(device: str, mounts: str = "/proc/mounts") -> bool:
    """Whether ``device``, its disk or any of the disk's partitions is mounted."""
    real = os.path.realpath(device)
    name = os.path.basename(real)
    family = {real}
    sys_block = Path("/sys/class/block") / name
    try:
        disk = sys_block.resolve().parent.name if (sys_block / "partition").exists() else name
        family.add(f"/dev/{disk}")
        family.update(f"/dev/{p.name}" for p in (Path("/sys/class/block") / disk).iterdir()
                      if (p / "partition").exists())
    except OSError:
        pass
    return bool(family & _mounted_devices(mounts))


def mount_options(fstype: str, uid: int, gid: int) -> str:
    # nosymfollow (Linux 5.10+): no symlink on the stick is followed, whoever opens a path
    opts = ["rw", "nosuid", "nodev", "noexec", "nosymfollow", "noatime"]
    if fstype in OWNED_FS:
        opts += [f"uid={uid}", f"gid={gid}", "umask=077"]
    if fstype == "vfat":
        opts += ["flush", "shortname=mixed", "utf8"]
    return ",".join(opts)


def mount(device: str, fstype: str, mountpoint: Path, uid: int, gid: int) -> None:
    if fstype not in MOUNTABLE_FS:
        raise StickError(f"the stick's filesystem is {fstype or 'unknown'}; format it as "
                         "FAT32 or exFAT")
    mountpoint.mkdir(parents=True, exist_ok=True, mode=0o700)
    proc = _run("mount", "-w", "-t", fstype, "-o", mount_options(fstype, uid, gid), device,
                str(mountpoint))
    if proc.returncode != 0:
        err = proc.stderr.strip()
        detail = err.splitlines()[0] if err else ""
        if "write-protected" in err or "read-only" in err:
            raise StickError("the stick is write-protected (read-only): slide its lock switch "
                             "or use another stick")
        raise StickError(f"the stick cannot be mounted ({detail or 'mount failed'}): it may be "
                         "damaged, try another")


def unmount(mountpoint: Path) -> bool:
    """Unmount; True when it is cleanly off. Falls back to a lazy unmount (a stick that was
    pulled mid-write cannot be unmounted cleanly) so no mount is left behind."""
    if not os.path.ismount(mountpoint):
        _rmdir(mountpoint)
        return True
    ok = _run("umount", str(mountpoint)).returncode == 0
    if not ok:
        _run("umount", "-l", str(mountpoint))
    _rmdir(mountpoint)
    return ok


def _rmdir(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass


def _current_head(cfg) -> int:
    conn = open_readonly(cfg.ledger_path)
    try:
        row = conn.execute("SELECT max(seq) FROM journal").fetchone()
    finally:
        conn.close()
    return row[0] or 0


def _backup_as_owner(cfg) -> Path:
    """create_backup() in a child that runs as the data directory's owner: as root, the
    backup's files (and any -shm SQLite makes) would otherwise be root's."""
    st = cfg.data_dir.stat()
    if os.geteuid() != 0 or st.st_uid == 0:
        return _make_backup(cfg)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:   # the child
        code = 1
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(st.st_gid)
            os.setuid(st.st_uid)
            try:
                result = {"path": str(_make_backup(cfg))}
            except Exception as exc:  # noqa: BLE001 - reported to the parent
                result = {"error": str(exc) or type(exc).__name__}
            os.write(write, json.dumps(result).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    try:
        result = json.loads(b"".join(chunks) or b"{}")
    except ValueError:
        result = {}
    if "path" not in result:
        raise ValidationError(f"the backup for the stick could not be made: "
                              f"{result.get('error', 'the backup process died')}")
    return Path(result["path"])


def _make_backup(cfg) -> Path:
    recipient = load_recipient(cfg.data_dir)
    try:
        path = create_backup(cfg, recipient=recipient)
    except Exception as exc:
        record_last_backup(cfg.data_dir, ok=False, source="usb", reason=str(exc))
        raise
    record_last_backup(cfg.data_dir, ok=True, source="usb", path=path,
                       encryption="key" if recipient else None)
    return path


def newest_backup(cfg) -> Path:
    """The backup to copy: the newest local one, made first when the ledger has moved on."""
    found = list_backups(backup_dir(cfg))
    if cfg.ledger_path.exists() and (not found or found[-1].head_seq < _current_head(cfg)
                                     or not found[-1].encrypted):
        return _backup_as_owner(cfg)
    if not found:
        raise ValidationError(f"there is no ledger at {cfg.ledger_path} and no backup to copy")
    if not found[-1].encrypted:
        raise ValidationError(NO_KEY_REASON)
    return found[-1].path


def _disk_of(device: str) -> str:
    """The whole disk a partition belongs to (the device itself when it is a disk)."""
    name = os.path.basename(os.path.realpath(device))
    sys_block = Path("/sys/class/block") / name
    try:
        if (sys_block / "partition").exists():
            return sys_block.resolve().parent.name
    except OSError:
        pass
    return name


def _take_lock(data_dir: Path) -> int:
    """Hold ``<data>/usb-backup.lock`` (blocks while another partition's run holds it)."""
    path = Path(data_dir) / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o640)
    try:
        if os.geteuid() == 0:
            st = Path(data_dir).stat()
            os.fchown(fd, st.st_uid, st.st_gid)
        fcntl.flock(fd, fcntl.LOCK_EX)
    except BaseException:
        os.close(fd)
        raise
    return fd


def run(cfg, device: str, *, mount_root: Path = MOUNT_ROOT,
        mounts: str = "/proc/mounts") -> dict:
    """Copy the newest backup to the stick ``device``; return the final status. Raises
    :class:`Ignored` (no status written) for a device that is mounted already."""
    if not DEVICE_RE.match(device):
        raise ValidationError(f"{device!r} is not a device path like /dev/sda1",
                              field="usb_device")
    waiting_since = time.time()
    lock = _take_lock(cfg.data_dir)
    try:
        return _run_locked(cfg, device, mount_root, mounts, waiting_since)
    finally:
        os.close(lock)


def _run_locked(cfg, device: str, mount_root: Path, mounts: str, waiting_since: float
                ) -> dict:
    if not Path(device).exists():
        raise ValidationError(f"there is no device {device} (was the stick pulled?)",
                              field="usb_device")
    if in_use(device, mounts):
        raise Ignored(f"{device} (or its disk) is mounted already: not a stick to write to")
    data_dir = cfg.data_dir
    before = read_usb_status(data_dir)
    # Another partition of this stick finished while this run waited for the lock.
    if (before and before.get("state") == "done" and isinstance(before.get("device"), str)
            and isinstance(before.get("at"), (int, float)) and before["at"] >= waiting_since
            and _disk_of(before["device"]) == _disk_of(device)):
        raise Ignored(f"the stick {device} is on got the backup on {before['device']} just "
                      "now: one copy per stick")
    started = utc()
    status = {"state": "writing", "device": device, "label": "", "file": None, "size": None,
              "percent": 0, "reason": None, "started_at": started, "finished_at": None}
    write_usb_status(data_dir, status)
    mountpoint = Path(mount_root) / os.path.basename(device)
    mounted = False
    try:
        if load_recipient(data_dir) is None:
            raise ValidationError(NO_KEY_REASON)
        facts = probe(device)
        status["label"] = facts["label"]
        backup = newest_backup(cfg)
        status.update(file=backup.name, size=backup.stat().st_size)
        write_usb_status(data_dir, status)
        st = data_dir.stat()
        mount(device, facts["fstype"], mountpoint, st.st_uid, st.st_gid)
        mounted = True
        last = [0.0]

        def progress(what: str, done: int, total: int) -> None:
            # copy = the first 80 %, the read-back the rest
            pct = done * 100 // total if total else 100
            pct = pct * 8 // 10 if what == "copy" else 80 + pct // 5
            if time.monotonic() - last[0] >= PROGRESS_EVERY and pct != status["percent"]:
                last[0] = time.monotonic()
                status["percent"] = pct
                write_usb_status(data_dir, status)

        copy = copy_to_stick(backup, mountpoint, progress=progress)
        mounted = False
        if not unmount(mountpoint):
            raise StickError("the stick could not be unmounted cleanly after the copy: it was "
                             "probably pulled; insert it again")
        status.update(state="done", percent=100, finished_at=utc())
        write_usb_status(data_dir, status)
        audit.info("backup %s copied to the USB stick %s (%s) and verified: safe to pull",
                   backup.name, device, copy.name)
        return status
    except Exception as exc:  # noqa: BLE001 - every failure must end as "failed", not "writing"
        reason = _reason(exc, device)
        if isinstance(exc, (ValidationError, OSError, subprocess.SubprocessError)):
            log.warning("USB copy to %s failed: %s", device, reason)
        else:
            log.exception("USB copy to %s failed unexpectedly", device)
        status.update(state="failed", reason=reason, code=reason_code(reason),
                      finished_at=utc())
        write_usb_status(data_dir, status)
        return status
    finally:
        if mounted:
            unmount(mountpoint)
        elif mountpoint.is_dir() and not os.path.ismount(mountpoint):
            _rmdir(mountpoint)


def _reason(exc: BaseException, device: str) -> str:
    if isinstance(exc, subprocess.TimeoutExpired):
        return f"the stick {device} stopped answering: it may be damaged, try another"
    if isinstance(exc, OSError):
        if not Path(device).exists():
            return "the stick was pulled before the copy finished: insert it again"
        return f"the stick {device} failed: {exc.strerror or exc}"
    msg = str(exc)
    if "writing to the stick" in msg and not Path(device).exists():
        return "the stick was pulled before the copy finished: insert it again"
    return msg or (f"unexpected error ({type(exc).__name__}): see journalctl -u "
                   "'tillbox-usb-backup@*'")


#: What the pages translate (the reason itself is English, from a process with no language).
REASON_CODES = (("set a backup passphrase first", "no_key"),
                ("write-protected", "write_protected"), ("MB free", "full"),
                ("FAT32 or exFAT", "no_filesystem"), ("not a plain directory", "bad_stick"), ("pulled", "pulled"),
                ("reads back differently", "failing"), ("cannot be mounted", "unreadable"),
                ("cannot be read", "unreadable"), ("stopped answering", "unreadable"))


def reason_code(reason: str) -> str:
    for needle, code in REASON_CODES:
        if needle in reason:
            return code
    return "other"


def describe(doc: dict) -> str:
    if doc["state"] == "done":
        label = doc["label"] or "no label"
        return (f"copied {doc['file']} to the stick {doc['device']} ({label}), read back "
                "intact: the stick is safe to pull")
    return f"copying to the stick {doc['device']} failed: {doc['reason']}"

