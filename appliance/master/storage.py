"""A TinyDB storage that writes atomically and keeps the parsed data in memory.

TinyDB calls ``read()`` before every query and ``write()`` after every change with the whole
database. The stock JSONStorage re-parses the file on every read (far too slow for a large
catalog) and rewrites it in place (a power cut mid-write leaves a truncated file). This one
parses once, and writes a temporary file that replaces the old one only when it is complete
and on disk.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile

from tinydb.storages import Storage

from ..errors import ValidationError
from ..i18n import _

log = logging.getLogger(__name__)

#: Mode of a newly created data file; an existing file keeps its mode across rewrites.
DEFAULT_FILE_MODE = 0o640


class CorruptStorageError(ValidationError):
    """A data file exists but cannot be read. Never papered over with an empty database."""

    status = 500
    code = "corrupt_data"


class AtomicJSONStorage(Storage):
    """JSON file storage: cached reads, atomic durable writes.

    The dict returned by :meth:`read` is the cache itself; TinyDB mutates it before calling
    :meth:`write`. That is why a failed write drops the cache: the next read then reloads
    what is really on disk. Only one storage object may own a file at a time.

    Extra keyword arguments (e.g. ``indent``) go to :func:`json.dumps`.
    """

    def __init__(self, path, **kw):
        self.path = os.fspath(path)
        self._dumps_kw = kw
        self._cache: dict | None = None
        self._closed = False

    def read(self) -> dict | None:
        self._check_open()
        if self._cache is not None:
            return self._cache
        try:
            with open(self.path, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            return None
        if not raw.strip():
            return None
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise CorruptStorageError(
                _("data file {path} is damaged and cannot be read ({exc}); restore it from a backup or move it aside",
                  path=self.path, exc=exc)) from exc
        if not isinstance(data, dict):
            raise CorruptStorageError(
                _("data file {path} does not hold a JSON object; restore it from a backup or move it aside",
                  path=self.path))
        self._cache = data
        log.debug("loaded %s (%d bytes)", self.path, len(raw))
        return data

    def write(self, data: dict) -> None:
        self._check_open()
        directory = os.path.dirname(os.path.abspath(self.path))
        tmp = None
        try:
            # Serialise before touching the disk: an unserialisable value fails here.
            payload = json.dumps(data, ensure_ascii=False, **self._dumps_kw).encode("utf-8")
            fd, tmp = tempfile.mkstemp(
                prefix=f".{os.path.basename(self.path)}.", suffix=".tmp", dir=directory)
            with os.fdopen(fd, "wb") as f:
                os.fchmod(f.fileno(), self._file_mode())
                f.write(payload)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
            tmp = None
            _fsync_dir(directory)
        except BaseException:
            # TinyDB already changed the cached dict in place; it no longer matches the disk.
            self._cache = None
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except FileNotFoundError:
                    pass
            log.exception("writing %s failed; the previous contents are kept", self.path)
            raise
        self._cache = data

    def close(self) -> None:
        self._closed = True
        self._cache = None

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"storage for {self.path} is closed")

    def _file_mode(self) -> int:
        try:
            return os.stat(self.path).st_mode & 0o777
        except FileNotFoundError:
            return DEFAULT_FILE_MODE


def _fsync_dir(directory: str) -> None:
    """Make the rename itself durable (the directory entry lives in the directory)."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
