"""The data directory's format, and the steps that bring an older one up to date.

A package upgrade runs ``tillbox migrate`` (the package's postinst, as the service user) before
any daemon starts, and core checks again at its start. ``<data>/format.json`` says which
format the ledger, master data and uplink state are in. Each step in :data:`STEPS` takes the
directory from format N to N+1; before the first step runs, everything is copied to
``<data>/backups/format-<N>-<time>/`` (the ledger through SQLite's backup API, so a live WAL
is copied consistently), and the format file moves on only after each step finished. A data
directory newer than this code is refused, never touched: a downgrade must not silently
rewrite what a newer version wrote.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Callable

from . import __version__
from .durable import read_json, write_json
from .errors import ValidationError

log = logging.getLogger(__name__)

#: The format this code reads and writes.
DATA_FORMAT = 3


def _rebuild_projections(cfg) -> None:
    """the projections are built again from the journal (stock moves per record, issue 8)"""
    from .ledger.projections import rebuild
    ledger = Path(cfg.data_dir) / "ledger.db"
    if ledger.exists():
        rebuild(ledger)


def _rebuild_for_till_moves(cfg) -> None:
    """the projections are built again from the journal (till moves per tender, issue 9)"""
    _rebuild_projections(cfg)


#: STEPS[n] migrates a data directory from format n to n + 1 (given the config).
STEPS: dict[int, Callable] = {1: _rebuild_projections, 2: _rebuild_for_till_moves}

FORMAT_FILE = "format.json"


class MigrationError(ValidationError):
    status = 500
    code = "data_format"


def format_path(data_dir: Path) -> Path:
    return Path(data_dir) / FORMAT_FILE


def current_format(data_dir: Path) -> int | None:
    """The data directory's format; None for a new, empty one. Data from before format
    files existed is format 1."""
    data_dir = Path(data_dir)
    recorded = read_json(format_path(data_dir), None)
    if recorded is not None:
        fmt = recorded.get("format")
        if not isinstance(fmt, int) or isinstance(fmt, bool) or fmt < 1:
            raise MigrationError(f"{format_path(data_dir)} names no valid format: {recorded!r}")
        return fmt
    has_data = (data_dir / "ledger.db").exists() or (data_dir / "master").exists()
    return 1 if has_data else None


def _stamp(data_dir: Path, fmt: int) -> None:
    write_json(format_path(data_dir), {"format": fmt, "written_by": __version__,
                                       "at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                           time.gmtime())})


def backup(data_dir: Path, fmt: int) -> Path:
    """A copy of everything a migration could change, next to it."""
    data_dir = Path(data_dir)
    dest = data_dir / "backups" / f"format-{fmt}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
    dest.mkdir(parents=True, mode=0o750)
    ledger = data_dir / "ledger.db"
    if ledger.exists():
        src = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
        dst = sqlite3.connect(dest / "ledger.db")
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
    for name in ("master", "uplink"):
        if (data_dir / name).is_dir():
            shutil.copytree(data_dir / name, dest / name)
    for name in (FORMAT_FILE, "setup.toml"):
        if (data_dir / name).exists():
            shutil.copy2(data_dir / name, dest / name)
    return dest


def migrate(cfg, *, steps: dict[int, Callable] | None = None,
            target: int | None = None) -> list[str]:
    """Bring ``cfg``'s data directory to ``target`` (this code's format); returns what was
    done, one line per step. Raises :class:`MigrationError` for a newer or broken one."""
    steps = STEPS if steps is None else steps
    target = DATA_FORMAT if target is None else target
    data_dir = cfg.data_dir
    fmt = current_format(data_dir)
    if fmt is None:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o750)
        _stamp(data_dir, target)
        return []
    if fmt > target:
        raise MigrationError(
            f"the data in {data_dir} is format {fmt}, newer than this tillbox {__version__} "
            f"reads (format {target}): install the newer package again, or restore a backup")
    done: list[str] = []
    if fmt < target:
        saved = backup(data_dir, fmt)
        log.warning("migrating %s from format %d to %d (backup in %s)", data_dir, fmt, target,
                    saved)
        done.append(f"backup of format {fmt} in {saved}")
    while fmt < target:
        step = steps.get(fmt)
        if step is None:
            raise MigrationError(f"no migration from data format {fmt} to {fmt + 1}: this "
                                 "tillbox cannot read that data directory")
        step(cfg)
        fmt += 1
        _stamp(data_dir, fmt)
        done.append(f"format {fmt - 1} → {fmt}: {(step.__doc__ or step.__name__).strip()}")
        log.warning("data format of %s is now %d", data_dir, fmt)
    if not format_path(data_dir).exists():
        _stamp(data_dir, fmt)
    return done
