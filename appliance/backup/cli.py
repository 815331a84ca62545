"""``tillbox backup`` and ``tillbox restore`` (docs/backup.md).

Passphrases are never arguments (they would end up in shell history and ``ps``): on a
terminal they are asked for without echo, otherwise the first line of standard input.
A progress bar goes to standard error when it is a terminal; otherwise a plain progress line
every 10 seconds of a long run (journald).
"""

from __future__ import annotations

import getpass
import sys
import time
from pathlib import Path

from ..errors import UsageError
from . import backup_dir, create_backup, list_backups, restore, verify_backup
from .container import BackupInvalid, is_encrypted
from .keys import load_recipient
from .status import record_last_backup, source_now


class ProgressBar:
    """Progress of a backup or restore on standard error.

    On a terminal: ``label [#####.....]  45%  3.1 MB/s  0:12 left`` redrawn in place.
    Otherwise (journald, a script): one plain line at most every ``interval`` seconds
    (``ledger: 45% (3.1 MB/s, about 12 s left)``), so a short run prints nothing and a long one
    shows it is alive. ``clock`` is for tests."""

    #: what the ``done``/``total`` of each phase count (the ledger copy counts pages)
    UNITS = {"ledger": "pages"}

    def __init__(self, stream=None, width: int = 30, *, interval: float = 10.0,
                 clock=time.monotonic):
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.on = True
        self.width = width
        self.interval = interval
        self.clock = clock
        self.last = (None, -1)
        self.shown = False
        self.phase: str | None = None
        self.phase_start = 0.0
        self.last_line = clock()
        self.last_draw = 0.0

    def _rate(self, what: str, done: int, elapsed: float) -> tuple[str, str]:
        if elapsed < 0.5 or done <= 0:
            return "", ""
        per_s = done / elapsed
        if self.UNITS.get(what) == "pages":
            rate = f"{per_s:.0f} pages/s"
        else:
            rate = f"{per_s / (1 << 20):.1f} MB/s"
        return rate, ""

    def __call__(self, what: str, done: int, total: int) -> None:
        if total <= 0:
            return
        now = self.clock()
        if what != self.phase:
            self.phase, self.phase_start = what, now
        pct = min(100, done * 100 // total)
        elapsed = now - self.phase_start
        rate, _ = self._rate(what, done, elapsed)
        left = (elapsed * (total - done) / done) if done > 0 and elapsed >= 0.5 else None
        if self.tty:
            if (what, pct) == self.last and now - self.last_draw < 0.5:
                return
            if (what, pct) == self.last and not rate:
                return
            self.last = (what, pct)
            self.last_draw = now
            fill = self.width * pct // 100
            extra = ""
            if rate:
                extra = f"  {rate}"
                if left is not None and pct < 100:
                    extra += f"  {int(left) // 60}:{int(left) % 60:02d} left"
            self.stream.write(f"\r{what:<9}[{'#' * fill}{'.' * (self.width - fill)}] "
                              f"{pct:3d}%{extra}\x1b[K" if extra else
                              f"\r{what:<9}[{'#' * fill}{'.' * (self.width - fill)}] {pct:3d}%")
            self.stream.flush()
            self.shown = True
            return
        if now - self.last_line < self.interval:
            return
        self.last_line = now
        detail = ", ".join(x for x in (rate, f"about {left:.0f} s left"
                                       if left is not None and pct < 100 else "") if x)
        self.stream.write(f"{what}: {pct}%" + (f" ({detail})" if detail else "") + "\n")
        self.stream.flush()

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
    modes = [name for name, on in (("--list", args.list), ("--usb", args.usb is not None),
                                   ("--usb-device", getattr(args, "usb_device", None)),
                                   ("--set-passphrase", getattr(args, "set_passphrase", False)),
                                   ("--remove-passphrase",
                                    getattr(args, "remove_passphrase", False))) if on]
    if len(modes) > 1:
        raise UsageError(f"{modes[0]} and {modes[1]} do not go together")
    if getattr(args, "set_passphrase", False) or getattr(args, "remove_passphrase", False):
        if args.encrypt or args.to:
            raise UsageError("the backup passphrase options take no --to or --encrypt")
        return _passphrase(cfg, set_it=args.set_passphrase)
    if getattr(args, "usb_device", None):
        if args.encrypt or args.to:
            raise UsageError("--usb-device takes no --to or --encrypt")
        return _usb_device(cfg, args.usb_device)
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
    recipient = None if passphrase is not None else load_recipient(cfg.data_dir)
    bar = ProgressBar()
    started = time.monotonic()
    local = not args.to
    try:
        path = create_backup(cfg, dest=Path(args.to) if args.to else None,
                             passphrase=passphrase, recipient=recipient, progress=bar)
    except Exception as exc:
        if local:
            record_last_backup(cfg.data_dir, ok=False, source=source_now(), reason=str(exc))
        raise
    finally:
        bar.close()
    encryption = "passphrase" if passphrase else "key" if recipient else None
    if local:
        record_last_backup(cfg.data_dir, ok=True, source=source_now(), path=path,
                           encryption=encryption)
    note = {"passphrase": ", encrypted with the passphrase",
            "key": ", encrypted to the backup key"}.get(encryption, "")
    print(f"backup written: {path} ({_human(path.stat().st_size)}, "
          f"{time.monotonic() - started:.1f} s{note})")
    return 0


#: Who a backup key change made with ``tillbox backup --set/--remove-passphrase`` is by, in
#: its ``config.changed`` record: someone with a shell on the box (root or the tillbox user).
CLI_STAFF = "command-line"


def _passphrase(cfg, *, set_it: bool) -> int:
    """Set or remove the backup key; journalled like the settings page (one
    ``config.changed`` record with the keys' fingerprints) when the box has a ledger."""
    from .keys import change_key, key_info, remove_key, set_passphrase
    phrase = read_passphrase(confirm=True) if set_it else None
    if cfg.ledger_path.exists():
        from ..ledger import Ledger
        from ..orders.permissions import Actor
        with Ledger(cfg.ledger_path, device_id=cfg.shop.device_id,
                    store_id=cfg.shop.store_id) as ledger:
            change = change_key(ledger, Actor(CLI_STAFF, "owner", "command"), cfg.data_dir,
                                phrase)
        changed = bool(change)
        info = key_info(cfg.data_dir) if set_it else None
    elif set_it:   # a box before its first start: no ledger to journal in yet
        info = set_passphrase(cfg.data_dir, phrase)
    else:
        changed = remove_key(cfg.data_dir)
    if not set_it:
        if changed:
            print("automatic backups are no longer encrypted, and USB sticks get no copy until "
                  "a passphrase is set again (backups made before still need their "
                  "passphrase)")
        else:
            print("no backup passphrase was set")
        return 0
    print(f"backup key {info['fingerprint']} set: from now on automatic backups are encrypted "
          "and restoring one needs this passphrase. Write it down: without it nobody can "
          "restore them")
    return 0


def _usb_device(cfg, device: str) -> int:
    from .usbauto import Ignored, describe, run
    try:
        status = run(cfg, device)
    except Ignored as exc:
        print(f"ignored: {exc}")
        return 0
    print(describe(status))
    return 0 if status["state"] == "done" else 1


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
    if not found[-1].encrypted:
        # By hand a technician may copy a plain backup; the automatic copy never does.
        print("note: this backup is NOT encrypted: the stick holds the ledger and the box's "
              "keys (receipt.key, device.token, tls/) in plain; keep it safe, or set a backup "
              "passphrase (tillbox backup --set-passphrase)", file=sys.stderr)
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
