"""Copying a backup to a USB stick: found, written, read back from the stick, synced.

A stick is a block device mounted under ``/media`` or ``/run/media`` (where udisks and the
desktop automounters put them) with a filesystem a stick carries. The copy goes to
``<stick>/tillbox-backups/`` under a temporary name, is fsynced and renamed; then its pages are
dropped from the cache and the file is read back from the stick and hashed, and the whole
filesystem is synced: only then is the stick safe to pull.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..errors import ValidationError
from .container import BackupInvalid, check_trailer

STICK_ROOTS = ("/media", "/run/media")
STICK_FILESYSTEMS = {"vfat", "exfat", "ntfs", "ntfs3", "fuseblk", "ext2", "ext3", "ext4",
                     "btrfs", "xfs"}
STICK_DIR = "tillbox-backups"
BLOCK = 1 << 20


class StickError(ValidationError):
    code = "usb_stick"


@dataclass
class Stick:
    device: str
    mountpoint: Path
    fstype: str


def _unescape(field: str) -> str:
    """/proc/mounts writes space, tab, newline and backslash as octal escapes."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def find_sticks(roots=STICK_ROOTS, mounts: str = "/proc/mounts") -> list[Stick]:
    """Writable stick filesystems mounted below one of ``roots``."""
    found = []
    roots = [Path(r) for r in roots]
    with open(mounts, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) < 4:
                continue
            device, mountpoint, fstype, opts = (_unescape(parts[0]), Path(_unescape(parts[1])),
                                                parts[2], parts[3].split(","))
            if not device.startswith("/dev/") or fstype not in STICK_FILESYSTEMS:
                continue
            if "rw" not in opts:
                continue
            if any(root in mountpoint.parents for root in roots):
                found.append(Stick(device, mountpoint, fstype))
    return found


def _sha(path: Path, *, uncached: bool = False, progress=None) -> str:
    h = hashlib.sha256()
    size = path.stat().st_size
    done = 0
    with open(path, "rb") as fh:
        if uncached:
            # Drop the pages just written so the read-back comes from the stick itself.
            os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        for block in iter(lambda: fh.read(BLOCK), b""):
            h.update(block)
            done += len(block)
            if progress:
                progress("verify", done, size)
    return h.hexdigest()


def copy_to_stick(backup: Path, stick: Path, progress=None) -> Path:
    """Copy ``backup`` onto the stick mounted at ``stick``; return the copy's path once it
    has been read back intact and the stick synced."""
    backup, stick = Path(backup), Path(stick)
    if not stick.is_dir() or not os.path.ismount(stick):
        raise StickError(f"{stick} is not a mounted stick (mount it, or name its mount point)")
    try:
        check_trailer(backup)
    except BackupInvalid as exc:
        raise StickError(f"{backup.name} is not copied: {exc}") from None
    size = backup.stat().st_size
    free = shutil.disk_usage(stick).free
    if free < size + BLOCK:
        raise StickError(f"the stick at {stick} has {free // BLOCK} MB free; the backup needs "
                         f"{size // BLOCK + 1} MB: delete old backups from it or use a bigger one")
    target_dir = stick / STICK_DIR
    target = target_dir / backup.name
    tmp = target_dir / f".{backup.name}.part"
    src_hash = hashlib.sha256()
    try:
        target_dir.mkdir(exist_ok=True, mode=0o700)   # the keys are in a plain backup
        with open(backup, "rb") as src, open(tmp, "wb") as dst:
            os.fchmod(dst.fileno(), 0o600)
            done = 0
            for block in iter(lambda: src.read(BLOCK), b""):
                src_hash.update(block)
                dst.write(block)
                done += len(block)
                if progress:
                    progress("copy", done, size)
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(tmp, target)
        fd = os.open(target_dir, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise StickError(f"writing to the stick at {stick} failed: "
                         f"{exc.strerror or exc}") from None
    if _sha(target, uncached=True, progress=progress) != src_hash.hexdigest():
        target.unlink(missing_ok=True)
        raise StickError(f"the copy on the stick at {stick} reads back differently from the "
                         "backup: the stick is failing, use another one")
    fd = os.open(stick, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.sync()  # everything on the stick's filesystem on the stick: safe to pull
    return target
