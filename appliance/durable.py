"""Small state files that must survive a power cut whole: written to a temporary file,
fsynced, renamed over the old one, and the directory fsynced (so the rename is durable too).
A reader sees the old contents or the new, never half of either."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Callable


def write_json(path: Path, data: Any) -> None:
    write_bytes(path, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))


def write_bytes(path: Path, data: bytes, *, mode: int = 0o666,
                before_replace: Callable[[Path], None] | None = None) -> None:
    """Replace ``path`` with ``data`` whole. ``mode`` is for a new file (less the umask);
    ``before_replace(tmp)`` may e.g. chown the finished temporary file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if before_replace is not None:
            before_replace(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_json(path: Path, default: Any = None) -> Any:
    """The file's JSON, or ``default`` when it does not exist yet. A file that is not JSON
    raises ValueError naming it (someone edited it by hand: do not guess)."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return default
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON ({exc}); restore or remove it") from None
