"""Small private keys the box makes for itself on first start (mode 0600, never logged):
the device token daemons present to core, and the key that signs e-receipt links."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def private_token(path: Path) -> str:
    """The token in ``path``, made (atomically, 0600) if the file does not exist yet."""
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    token = secrets.token_urlsafe(32)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(token + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    try:
        os.link(tmp, path)  # never replaces a token another process made meanwhile
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    return path.read_text(encoding="ascii").strip()


def device_token_path(data_dir: Path) -> Path:
    return data_dir / "device.token"
