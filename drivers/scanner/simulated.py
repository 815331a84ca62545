"""The virtual scanner: codes written to a FIFO, one per line, are scanned.

scannerd reads the FIFO (``FifoScanner``); the web UI's "scan" box and the CLI write to it with
``feed_fifo``, so a simulated scan takes the same path through scannerd as a real one::

    echo 6901234567892 > /var/lib/tillbox/sim/scanner.fifo

A virtual *serial* scanner needs nothing here: it is SerialScanner on a pty path.
"""

from __future__ import annotations

import errno
import logging
import os
import select
import stat
import time

from . import LineFramer, ReconnectingSource

log = logging.getLogger(__name__)

#: A line longer than this is dropped; shorter ones reach codes.classify, which says too_long.
MAX_LINE = 1024


class ScannerdNotRunning(ConnectionError):
    """Nobody reads the FIFO. ``code`` is what the web layer shows."""
    code = "scannerd_not_running"


def _check_fifo(path: str) -> None:
    mode = os.stat(path).st_mode
    if not stat.S_ISFIFO(mode):
        raise OSError(errno.EEXIST, f"{path} exists but is not a FIFO: remove it, scannerd "
                      "creates the FIFO itself")


class FifoScanner(ReconnectingSource):
    """Codes from a FIFO, one per line (UTF-8). Creates the FIFO (mode 0600) when missing.
    A writer closing is not an error: the FIFO is opened again for the next writer, and a
    last line without a newline still counts."""

    def __init__(self, path: str | os.PathLike, *, poll: float = 0.5,
                 retry_initial: float = 0.5, retry_max: float = 10.0):
        super().__init__(poll=poll, retry_initial=retry_initial, retry_max=retry_max)
        self.path = os.fspath(path)
        self._fd: int | None = None
        self._framer = LineFramer(self.describe(), terminators=b"\n", ignore=b"\r",
                                  max_len=MAX_LINE, encoding="utf-8")

    def describe(self) -> str:
        return f"simulated scanner {self.path}"

    def _open(self) -> None:
        if not os.path.exists(self.path):
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            os.mkfifo(self.path, 0o600)
            os.chmod(self.path, 0o600)   # whatever the umask: only scannerd's user feeds it
            log.info("%s: created the FIFO", self.describe())
        _check_fifo(self.path)
        self._fd = self._open_reader()
        self._framer.reset()

    def _open_reader(self) -> int:
        # Non-blocking: opening for reading must not wait for a writer.
        return os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)

    def _read(self, timeout: float) -> list[str]:
        ready, _, _ = select.select([self._fd], [], [], timeout)
        if not ready:
            self._check_still_there()
            return []
        try:
            data = os.read(self._fd, 4096)
        except BlockingIOError:
            return []
        if data:
            return self._framer.feed(data)
        # EOF: the last writer closed. Open the new reader before closing the old one, so a
        # writer arriving in between never finds the FIFO without a reader.
        codes = self._framer.flush()
        old, self._fd = self._fd, self._open_reader()
        os.close(old)
        return codes

    def _check_still_there(self) -> None:
        # Writers find the FIFO by its path: if it was deleted or replaced, ours is
        # unreachable, so fail and let the run loop make it again.
        mine = os.fstat(self._fd)
        try:
            there = os.stat(self.path)
        except FileNotFoundError:
            there = None
        if there is None or (there.st_dev, there.st_ino) != (mine.st_dev, mine.st_ino):
            raise FileNotFoundError(errno.ENOENT, "the FIFO was deleted or replaced",
                                    self.path)

    def _close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def feed_fifo(path: str | os.PathLike, code: str, timeout: float = 1.0) -> None:
    """Write one code to scannerd's FIFO, waiting at most ``timeout`` seconds.

    Raises ScannerdNotRunning when no scanner reads the FIFO, TimeoutError when it does not
    take the code in time, ValueError for a code that is not one line.
    """
    path = os.fspath(path)
    if not isinstance(code, str) or "\n" in code or "\r" in code:
        raise ValueError(f"a simulated scan is one line of text, not {code!r}")
    line = (code + "\n").encode("utf-8")
    if len(line) > select.PIPE_BUF:
        # Longer writes could interleave with another writer's code.
        raise ValueError(f"a simulated scan is at most {select.PIPE_BUF - 1} bytes")
    try:
        _check_fifo(path)
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ScannerdNotRunning(f"no scanner FIFO at {path}: scannerd is not running "
                                 "(start it with scanner.backend = simulated)") from None
    except OSError as exc:
        if exc.errno == errno.ENXIO:   # a FIFO with no reader
            raise ScannerdNotRunning(f"nobody reads the scanner FIFO {path}: scannerd is not "
                                     "running (start it with scanner.backend = simulated)"
                                     ) from None
        raise
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                os.write(fd, line)   # at most PIPE_BUF bytes: all or nothing
                return
            except BlockingIOError:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"scannerd did not take code {code!r} from {path} "
                                       f"within {timeout} s: is it stuck?") from None
                select.select([], [fd], [], min(left, 0.1))
    finally:
        os.close(fd)
