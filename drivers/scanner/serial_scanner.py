"""Serial scanners (RS-232, or USB in CDC/serial mode) through pyserial.

``port`` is anything ``serial.serial_for_url`` opens: a device path (best a stable
``/dev/serial/by-id/...`` link), ``loop://`` in tests, ``socket://host:port`` for a scanner
behind a serial-to-network box. A pty path makes a virtual serial scanner.

Codes end with CR, LF or CRLF. Bytes are decoded as latin-1, which cannot fail: a stray byte
becomes a character that codes.classify judges, not a crash.
"""

from __future__ import annotations

import logging
from typing import Callable

import serial

from . import LineFramer, ReconnectingSource

log = logging.getLogger(__name__)

#: framing -> (bytes that end a code, bytes dropped)
FRAMINGS = {
    "crlf": (b"\r\n", b""),   # CR, LF or CRLF (the empty frame between CR and LF is skipped)
    "cr": (b"\r", b"\n"),
    "lf": (b"\n", b"\r"),
}


class SerialScanner(ReconnectingSource):
    """A scanner on a serial port. ``opener(port, **settings)`` defaults to
    serial.serial_for_url (the seam tests use to reach a ``loop://`` port)."""

    def __init__(self, port: str, baudrate: int = 9600, framing: str = "crlf", *,
                 opener: Callable = serial.serial_for_url, poll: float = 0.5,
                 retry_initial: float = 0.5, retry_max: float = 10.0):
        super().__init__(poll=poll, retry_initial=retry_initial, retry_max=retry_max)
        if framing not in FRAMINGS:
            raise ValueError(f"serial framing {framing!r} is not known; use one of "
                             f"{', '.join(FRAMINGS)}")
        self.port = port
        self.baudrate = baudrate
        self.framing = framing
        self._opener = opener
        self._serial = None
        terminators, ignore = FRAMINGS[framing]
        self._framer = LineFramer(self.describe(), terminators=terminators, ignore=ignore)

    def describe(self) -> str:
        return f"serial scanner {self.port}"

    def _open(self) -> None:
        # SerialException is an OSError: the run loop retries it like a missing device.
        self._serial = self._opener(self.port, baudrate=self.baudrate, timeout=self.poll)
        self._framer.reset()
        log.info("%s open at %d baud", self.describe(), self.baudrate)

    def _read(self, timeout: float) -> list[str]:
        port = self._serial
        port.timeout = timeout
        data = port.read(1)          # waits up to timeout (select inside pyserial)
        if data:
            waiting = port.in_waiting
            if waiting:
                data += port.read(waiting)
        return self._framer.feed(data)

    def _close(self) -> None:
        port, self._serial = self._serial, None
        if port is None:
            return
        try:
            port.close()
        except (OSError, serial.SerialException) as exc:
            log.debug("%s: close failed (%s)", self.describe(), exc)
