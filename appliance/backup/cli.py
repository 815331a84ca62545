"""``tillbox backup`` and ``tillbox restore`` (docs/backup.md).

Passphrases are never arguments (they would end up in shell history and ``ps``): on a
terminal they are asked for without echo, otherwise the first line of standard input.
A progress bar goes to standard error when it is a terminal; otherwise these are quiet.
"""

from __future__ import annotations

import getpass
import sys
import time
from pathlib import Path

from ..errors import UsageError
from . import backup_dir, create_backup, list_backups, restore, verify_backup
from .container import BackupInvalid, is_encrypted


class ProgressBar:
    """``label [#####.....]  45%`` redrawn in place on a terminal; silent otherwise."""

    def __init__(self, stream=None, width: int = 30):
        self.stream = stream or sys.stderr
        self.on = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.width = width
        self.last = (None, -1)
        self.shown = False

    def __call__(self, what: str, done: int, total: int) -> None:
        if not self.on or total <= 0:
            return
        pct = min(100, done * 100 // total)
        if (what, pct) == self.last:
            return
        self.last = (what, pct)
        fill = self.width * pct // 100
        self.stream.write(f"\r{what:<9}[{'#' * fill}{'.' * (self.width - fill)}] {pct:3d}%")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = False


def read_passphrase(confirm: bool) -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("backup passphrase: ")
        if confirm and getpass.getpass("the same passphrase again: ") != first:
            raise UsageError("the two passphrases differ: nothing was written")
        phrase = first
    else:
        phrase = sys.stdin.readline().rstrip("\r\n")
    if not phrase:
        raise UsageError("give the passphrase on the terminal or on standard input (it is "
                         "never a command-line argument)")
    if confirm and len(phrase) < 8:
        raise UsageError("the passphrase must be at least 8 characters")
    return phrase


def _human(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return ""  # pragma: no cover


def run_backup(cfg, args) -> int:
    if args.list:
        if args.encrypt:
            raise UsageError("--list does not take --encrypt")
        directory = Path(args.to) if args.to else backup_dir(cfg)
        found = list_backups(directory)
        if not found:
            print(f"no backups in {directory}")
            return 0
        for b in reversed(found):
            print(f"{b.path.name}\t{b.created}\tseq {b.head_seq}\t{_human(b.size)}"
                  f"\t{'encrypted' if b.encrypted else 'plain'}")
        return 0
    if args.usb is not None:
        if args.encrypt or args.to:
            raise UsageError("--usb copies the newest backup in <data>/backups: it takes no "
                             "--to or --encrypt")
        return _to_usb(cfg, args.usb)
    if args.to is not None and not args.to.strip():
        raise UsageError("--to needs a directory")
    passphrase = read_passphrase(confirm=True) if args.encrypt else None
    bar = ProgressBar()
    started = time.monotonic()
    try:
        path = create_backup(cfg, dest=Path(args.to) if args.to else None,
                             passphrase=passphrase, progress=bar)
    finally:
        bar.close()
    print(f"backup written: {path} ({_human(path.stat().st_size)}, "
          f"{time.monotonic() - started:.1f} s)")
    return 0


def _to_usb(cfg, mountpoint: str) -> int:
    from .usb import STICK_ROOTS, copy_to_stick, find_sticks
    if mountpoint:
        stick = Path(mountpoint)
    else:
        sticks = find_sticks()
        if not sticks:
            raise UsageError(f"no USB stick is mounted under {' or '.join(STICK_ROOTS)}: "
                             "insert one, or name its mount point (--usb /mnt/stick)")
        if len(sticks) > 1:
            raise UsageError("more than one USB stick is mounted ("
                             + ", ".join(str(s.mountpoint) for s in sticks)
                             + "): name one (--usb MOUNTPOINT)")
        stick = sticks[0].mountpoint
    found = list_backups(backup_dir(cfg))
    if not found:
        raise UsageError(f"there is no backup in {backup_dir(cfg)} yet: run `tillbox backup` "
                         "first")
    bar = ProgressBar()
    try:
        copy = copy_to_stick(found[-1].path, stick, progress=bar)
    finally:
        bar.close()
    print(f"copied {found[-1].path.name} to {copy}, read back intact: the stick is safe to "
          "pull")
    return 0


def run_restore(cfg, args) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"no backup file at {path}")
    passphrase = read_passphrase(confirm=False) if is_encrypted(path) else None
    bar = ProgressBar()
    try:
        if args.check:
            try:
                manifest = verify_backup(path, passphrase=passphrase, progress=bar)
            except BackupInvalid as exc:
                bar.close()
                print(f"backup BROKEN: {exc}")
                return 1
        else:
            manifest = restore(cfg, path, passphrase=passphrase, force=args.force,
                               progress=bar)
    finally:
        bar.close()
    what = (f"backup OK: device {manifest['device_id']}, {manifest['created_at']}, "
            f"head seq {manifest['head_seq']} hash {manifest['head_hash']}")
    if args.check:
        print(what)
        return 0
    print(f"restored into {cfg.data_dir}: {what}")
    if manifest.get("replaced_kept_in"):
        print(f"the data it replaced is kept in {manifest['replaced_kept_in']}")
    return 0
