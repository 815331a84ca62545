"""Barcode scanners: code classification and the sources scannerd reads codes from.

Every source (``hid.HidScanner``, ``serial_scanner.SerialScanner``, ``simulated.FifoScanner``)
has the same shape::

    with SerialScanner("/dev/serial/by-id/usb-...") as scanner:
        scanner.run(emit, stop)      # blocks until stop (a threading.Event) is set
    # emit(device: str, code: str) for each complete code; device is scanner.describe()

A source survives unplugging: a read error is logged naming the device, the device is closed
and opened again with a backoff (0.5 s doubling to 10 s, cut short by ``stop``), so a scanner
plugged back in is picked up. Reads wait at most ``poll`` seconds, so ``stop`` is honoured
promptly and ``heartbeat`` (time.monotonic of the last loop turn) lets the daemon feed the
systemd watchdog only while the loop is alive. ``connected`` tells whether the device is open.

Only the pure classification is imported here; the sources import evdev / pyserial.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Protocol

from appliance.backoff import Backoff

from .codes import MAX_CODE_LEN, CodeRules, Scan, classify

__all__ = ["MAX_CODE_LEN", "CodeRules", "Scan", "classify", "Emit", "ScanSource", "Backoff",
           "ReconnectingSource", "LineFramer", "SourceThread"]

log = logging.getLogger(__name__)

Emit = Callable[[str, str], None]


class ScanSource(Protocol):
    heartbeat: float
    connected: bool

    def run(self, emit: Emit, stop: threading.Event) -> None: ...
    def describe(self) -> str: ...
    def close(self) -> None: ...


class ReconnectingSource:
    """The run loop every scanner source shares. Subclasses implement ``describe``,
    ``_open`` (raise OSError when the device is not there), ``_read(timeout)`` (complete codes
    read within ``timeout``; raise OSError when the device is gone) and ``_close`` (idempotent,
    never raises)."""

    def __init__(self, *, poll: float = 0.5, retry_initial: float = 0.5,
                 retry_max: float = 10.0):
        if not 0 < poll <= 0.5:
            # The daemon's watchdog and SIGTERM handling rely on short turns.
            raise ValueError(f"poll {poll} s must be more than 0 and at most 0.5")
        self.poll = poll
        self._backoff = Backoff(retry_initial, retry_max)
        self.heartbeat = time.monotonic()
        self.connected = False

    # -- for subclasses
    def describe(self) -> str:
        raise NotImplementedError

    def _open(self) -> None:
        raise NotImplementedError

    def _read(self, timeout: float) -> list[str]:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError

    # -- public
    def close(self) -> None:
        """Release the device (idempotent). A running loop is stopped with its ``stop``."""
        self._close()
        self.connected = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def run(self, emit: Emit, stop: threading.Event) -> None:
        name = self.describe()
        failing = False   # log the first failure of a streak loudly, the retries quietly
        healthy = False   # a read has succeeded since the last open
        try:
            while not stop.is_set():
                self.heartbeat = time.monotonic()
                if not self.connected:
                    try:
                        self._open()
                    except OSError as exc:
                        delay = self._backoff.next()
                        (log.debug if failing else log.warning)(
                            "%s is not available (%s); retrying in %.1f s", name, exc, delay)
                        failing = True
                        self._wait(delay, stop)
                        continue
                    self.connected = True
                    if failing:
                        log.info("%s is back", name)
                    failing = False
                    healthy = False
                try:
                    codes = self._read(self.poll)
                except OSError as exc:
                    self.close()
                    delay = self._backoff.next()
                    log.warning("%s read failed (%s): unplugged? reopening in %.1f s",
                                name, exc, delay)
                    failing = True
                    self._wait(delay, stop)
                    continue
                if not healthy:
                    # Reset only after a good read, so a device that opens and then fails
                    # at once is retried with a growing delay, not every 0.5 s.
                    self._backoff.reset()
                    healthy = True
                for code in codes:
                    self._emit(emit, name, code)
        finally:
            self.close()

    def _emit(self, emit: Emit, name: str, code: str) -> None:
        if not code.strip():
            return
        try:
            emit(name, code)
        except Exception:
            # One failing hand-over must not stop the scanner; the code is lost, and said so.
            log.exception("%s: handing over code %r failed; the code was dropped", name, code)

    def _wait(self, delay: float, stop: threading.Event) -> None:
        """Sleep ``delay`` in short slices, keeping ``heartbeat`` fresh, until ``stop``."""
        end = time.monotonic() + delay
        while not stop.is_set():
            self.heartbeat = time.monotonic()
            left = end - self.heartbeat
            if left <= 0:
                return
            stop.wait(min(left, self.poll))


class LineFramer:
    """Bytes to codes: a code ends at any of ``terminators``; ``ignore`` bytes are dropped;
    empty frames are skipped; a frame growing past ``max_len`` is dropped whole (up to its
    terminator) with a warning, since its tail alone would look like a shorter, wrong code."""

    def __init__(self, device: str, *, terminators: bytes = b"\r\n", ignore: bytes = b"",
                 max_len: int = MAX_CODE_LEN, encoding: str = "latin-1"):
        self.device = device
        self.terminators = frozenset(terminators)
        self.ignore = frozenset(ignore)
        self.max_len = max_len
        self.encoding = encoding
        self._buf = bytearray()
        self._dropping = False

    def feed(self, data: bytes) -> list[str]:
        codes = []
        for byte in data:
            if byte in self.terminators:
                if self._buf and not self._dropping:
                    codes.append(self._buf.decode(self.encoding, errors="replace"))
                self._buf.clear()
                self._dropping = False
            elif byte in self.ignore or self._dropping:
                continue
            else:
                self._buf.append(byte)
                if len(self._buf) > self.max_len:
                    log.warning("%s: dropped a frame longer than %d bytes without a line end "
                                "(%r...): wrong baud rate or framing?", self.device,
                                self.max_len, bytes(self._buf[:16]))
                    self._buf.clear()
                    self._dropping = True
        return codes

    def flush(self) -> list[str]:
        """The unterminated rest as a code (the writer closed), if any; then start afresh."""
        rest = [] if self._dropping or not self._buf else [
            self._buf.decode(self.encoding, errors="replace")]
        self.reset()
        return rest

    def reset(self) -> None:
        self._buf.clear()
        self._dropping = False


class SourceThread:
    """One source's ``run`` in a daemon thread, for a daemon with several scanners::

        stop = threading.Event()
        threads = [SourceThread(s, emit, stop).start() for s in sources]
        ...; stop.set(); all(t.join(2.0) for t in threads)
    """

    def __init__(self, source: ScanSource, emit: Emit, stop: threading.Event | None = None):
        self.source = source
        self.stop_event = stop or threading.Event()
        self._thread = threading.Thread(target=source.run, args=(emit, self.stop_event),
                                        name=source.describe(), daemon=True)

    def start(self) -> "SourceThread":
        self._thread.start()
        return self

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float) -> bool:
        """Wait for the loop to end; True when it did."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def stop(self, timeout: float = 2.0) -> bool:
        """Set the stop flag and wait for the loop to end; True when it did."""
        self.stop_event.set()
        return self.join(timeout)

    def __enter__(self) -> "SourceThread":
        return self.start()

    def __exit__(self, *exc):
        if not self.stop():
            log.error("%s did not stop within 2 s", self.source.describe())
