"""Copying a backup to a USB stick: found, written, read back from the stick, synced.

A stick is a block device mounted under ``/media`` or ``/run/media`` (where udisks and the
desktop automounters put them) with a filesystem a stick carries. The copy goes to
``<stick>/tillbox-backups/`` under a temporary name, is fsynced and renamed; then its pages are
dropped from the cache and the file is read back from the stick and hashed, and the whole
filesystem is synced: only then is the stick safe to pull.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from ..errors import ValidationError
from .container import BackupInvalid, check_trailer

STICK_ROOTS = ("/media", "/run/media")
STICK_FILESYSTEMS = {"vfat", "exfat", "ntfs", "ntfs3", "fuseblk", "ext2", "ext3", "ext4",
                     "btrfs", "xfs"}   # a stick mounted by hand (the automatic copy: usbauto)
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


def _sha(path: Path, *, uncached: bool = False, progress=None, dir_fd: int | None = None
         ) -> str:
    """SHA-256 of ``path`` (a name inside ``dir_fd`` when given), never through a symlink."""
    h = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dir_fd)
    with open(fd, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        done = 0
        if uncached:
            # Drop the pages just written so the read-back comes from the stick itself.
            os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        for block in iter(lambda: fh.read(BLOCK), b""):
            h.update(block)
            done += len(block)
            if progress:
                progress("verify", done, size)
    return h.hexdigest()


def _open_stick_dir(target_dir: Path) -> int:
    """The stick's ``tillbox-backups`` directory, made when missing, opened without following
    a symlink. The stick is not ours: a ``tillbox-backups`` that is a symlink (into the box's
    own data, say) or not a directory is refused, never written through."""
    try:
        os.mkdir(target_dir, 0o700)   # the keys are in a plain backup; never follows a link
    except FileExistsError:
        pass
    st = os.lstat(target_dir)
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise StickError(f"{target_dir} on the stick is not a plain directory (a link or a "
                         "file): nothing was written; use another stick or remove it")
    try:
        return os.open(target_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise StickError(f"{target_dir} on the stick is not a plain directory: nothing "
                             "was written") from None
        raise


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
    name, tmp = backup.name, f".{backup.name}.part"
    src_hash = hashlib.sha256()
    dfd = None
    try:
        # Every name below is resolved inside the directory's fd, and none is followed when it
        # is a symlink: a crafted stick cannot make the box (root, for the automatic copy)
        # write anywhere but into this directory.
        dfd = _open_stick_dir(target_dir)
        try:
            if not stat.S_ISDIR(os.lstat(tmp, dir_fd=dfd).st_mode):
                os.unlink(tmp, dir_fd=dfd)   # a stale .part (or a link): unlink never follows
        except FileNotFoundError:
            pass
        out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                      0o600, dir_fd=dfd)
        with open(backup, "rb") as src, open(out, "wb") as dst:
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
        # rename() replaces the directory entry itself: a symlink of that name is replaced,
        # never followed.
        os.replace(tmp, name, src_dir_fd=dfd, dst_dir_fd=dfd)
        os.fsync(dfd)
        same = _sha(name, uncached=True, progress=progress, dir_fd=dfd) == src_hash.hexdigest()
        if not same:
            os.unlink(name, dir_fd=dfd)
    except OSError as exc:
        if dfd is not None:
            try:
                os.unlink(tmp, dir_fd=dfd)
            except OSError:
                pass
        raise StickError(f"writing to the stick at {stick} failed: "
                         f"{exc.strerror or exc}") from None
    finally:
        if dfd is not None:
            os.close(dfd)
    target = target_dir / name
    if not same:
        raise StickError(f"the copy on the stick at {stick} reads back differently from the "
                         "backup: the stick is failing, use another one")
    fd = os.open(stick, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.sync()  # everything on the stick's filesystem on the stick: safe to pull
    return target
