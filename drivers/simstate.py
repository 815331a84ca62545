"""Where simulated devices keep their state: a folder per device that several processes
share (printerd prints, core's /sim page reads), with a lock, and numbered JSON pieces
(receipts torn off the roll, labels) read newest first."""

from __future__ import annotations

import fcntl
import json
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from appliance.durable import write_json


def read_json(path: Path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None


@contextmanager
def locked(state_dir: Path):
    state_dir = Path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    with open(state_dir / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def add_pieces(state_dir: Path, folder: str, pieces: list[dict]) -> list[int]:
    """Store ``pieces`` as the next numbered files of ``folder``; returns their numbers."""
    where = Path(state_dir) / folder
    numbers = []
    with locked(state_dir):
        where.mkdir(parents=True, exist_ok=True)
        # A counter rather than the highest file, so numbers are not reused after a clear.
        n = (read_json(where / "counter.json") or {"last": 0})["last"]
        for piece in pieces:
            n += 1
            write_json(where / f"{n:06d}.json",
                       {"n": n, "at": datetime.now(timezone.utc).isoformat(), **piece})
            numbers.append(n)
        write_json(where / "counter.json", {"last": n})
    return numbers


def _files(state_dir: Path, folder: str) -> list[Path]:
    where = Path(state_dir) / folder
    if not where.is_dir():
        return []
    return sorted((p for p in where.glob("[0-9]*.json") if p.stem.isdigit()), reverse=True)


def newest_pieces(state_dir: Path, folder: str, limit: int = 20) -> list[dict]:
    """The last pieces stored, newest first."""
    return [p for p in (read_json(f) for f in _files(state_dir, folder)[:limit])
            if p is not None]


def clear_pieces(state_dir: Path, folder: str) -> None:
    with locked(state_dir):
        for path in _files(state_dir, folder):
            path.unlink(missing_ok=True)


# -- fault switches (faults.json of a simulated device) -------------------------------------

def read_faults(state_dir: Path, defaults: dict, check) -> dict:
    """The faults in force, ``defaults`` filled in; ``check(key, value)`` raises ValueError
    for a switch that does not exist or a wrong value. ValueError if faults.json is broken."""
    path = Path(state_dir) / "faults.json"
    try:
        stored = read_json(path) or {}
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON ({e}): fix it or delete it") from None
    if not isinstance(stored, dict):
        raise ValueError(f"{path} must hold a JSON object: fix it or delete it")
    for key, value in stored.items():
        check(key, value)
    return {**defaults, **stored}


def write_faults(state_dir: Path, defaults: dict, check, changes: dict, log, device: str) -> dict:
    """Change some faults (the others keep their value); returns all of them. A broken
    faults.json is replaced (from the defaults), with a warning in ``log``."""
    for key, value in changes.items():
        check(key, value)
    state_dir = Path(state_dir)
    with locked(state_dir):
        try:
            faults = read_faults(state_dir, defaults, check)
        except ValueError as e:
            log.warning("simulated %s: %s; starting from the defaults", device, e)
            faults = dict(defaults)
        faults.update(changes)
        write_json(state_dir / "faults.json", faults)
    return faults
