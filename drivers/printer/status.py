"""Printer status by real-time DLE EOT queries (Epson ESC/POS), with a deadline per reply.

``DLE EOT n`` (n = 1..4) asks for one status byte; the printer answers even when offline
or mid-job. Every reply has fixed bits (bit 0 = 0, bit 1 = 1, bit 4 = 1, bit 7 = 0), so a
byte that breaks them is garbage (wrong baud rate, an Automatic Status Back byte, noise).

    n=1 printer:       bit 2 drawer kick-out connector pin 3 high, bit 3 offline
    n=2 offline cause: bit 2 cover open, bit 3 paper fed by the button,
                       bit 5 printing stopped by paper end, bit 6 error
    n=3 error cause:   bit 2 recoverable (mechanical) error, bit 3 autocutter error,
                       bit 5 unrecoverable error, bit 6 auto-recoverable error
    n=4 paper sensor:  bits 2+3 paper near end, bits 5+6 paper end
"""

from __future__ import annotations

import logging
import socket
from dataclasses import asdict, dataclass

from escpos.printer import Network, Serial, Usb

from .transport import FilePrinter, PrinterUnavailable, reason_for

log = logging.getLogger(__name__)

DLE_EOT = b"\x10\x04"
FIXED_MASK = 0b1001_0011   # bits 0, 1, 4, 7
FIXED_BITS = 0b0001_0010   # bit 1 and bit 4 set, bits 0 and 7 clear

# Most serious first: the one a person should hear about.
ERRORS_BY_SEVERITY = ("unrecoverable_error", "cutter_error", "mechanical_error",
                      "auto_recoverable_error")


@dataclass(frozen=True)
class PrinterStatus:
    """None: not known (no or garbled reply to that query)."""
    online: bool | None = None
    cover_open: bool | None = None
    paper_near_end: bool | None = None
    paper_out: bool | None = None
    drawer_open: bool | None = None
    error: str = ""  # "" | no_reply | garbled_reply | one of ERRORS_BY_SEVERITY

    @property
    def ready(self) -> bool:
        """Can print now (a paper near end still prints)."""
        return (self.online is True and not self.cover_open and not self.paper_out
                and not self.error)

    @property
    def reason(self) -> str:
        """The first problem as a code for the web layer, or "" when ready. A specific
        error comes before "offline", since every error also takes the printer offline."""
        if self.error in ("no_reply", "garbled_reply"):
            return self.error
        if self.cover_open:
            return "cover_open"
        if self.paper_out:
            return "paper_out"
        if self.error:
            return self.error
        if self.online is not True:
            return "offline"
        return ""

    def to_dict(self) -> dict:
        return {**asdict(self), "ready": self.ready, "reason": self.reason}


def _bit(byte: int, n: int) -> bool:
    return bool(byte >> n & 1)


def decode(replies: dict[int, int], *, drawer_open_when_high: bool = True) -> PrinterStatus:
    """The status from the reply bytes to DLE EOT 1..4 (keys: n). Missing replies leave
    their fields None; a reply that breaks the fixed bits makes it a "garbled_reply"."""
    good = {n: b for n, b in replies.items() if b & FIXED_MASK == FIXED_BITS}
    fields: dict = {}
    if 1 in good:
        fields["online"] = not _bit(good[1], 3)
        fields["drawer_open"] = _bit(good[1], 2) == drawer_open_when_high
    if 2 in good:
        fields["cover_open"] = _bit(good[2], 2)
        fields["paper_out"] = _bit(good[2], 5)
    if 4 in good:
        fields["paper_near_end"] = bool(good[4] & 0b0000_1100)
        # Either report of paper end counts: the sensor (n=4) or the stop it caused (n=2).
        fields["paper_out"] = fields.get("paper_out", False) or bool(good[4] & 0b0110_0000)
    error = ""
    if len(good) < len(replies):
        error = "garbled_reply"
    elif 3 in good:
        found = {"mechanical_error": _bit(good[3], 2), "cutter_error": _bit(good[3], 3),
                 "unrecoverable_error": _bit(good[3], 5),
                 "auto_recoverable_error": _bit(good[3], 6)}
        error = next((e for e in ERRORS_BY_SEVERITY if found[e]), "")
    if error == "garbled_reply":
        fields["online"] = None  # a printer answering garbage is not known to be online
    return PrinterStatus(error=error, **fields)


NO_REPLY = PrinterStatus(online=False, error="no_reply")


def query(printer, timeout: float = 2.0, *, drawer_open_when_high: bool = True
          ) -> PrinterStatus:
    """Ask the printer DLE EOT 1..4, waiting up to ``timeout`` seconds for each reply.

    No reply in time -> ``PrinterStatus(online=False, error="no_reply")``; a broken
    transport raises :class:`PrinterUnavailable`.
    """
    name = getattr(printer, "device_name", "") or type(printer).__name__
    channel = _channel(printer, name)
    replies: dict[int, int] = {}
    try:
        channel.discard()
        for n in (1, 2, 3, 4):
            printer._raw(DLE_EOT + bytes([n]))
            reply = channel.read_one(timeout)
            if not reply:
                log.warning("%s: no reply to DLE EOT %d within %g s", name, n, timeout)
                return NO_REPLY
            replies[n] = reply[0]
    except PrinterUnavailable:
        raise
    except OSError as e:  # includes USBError and SerialException
        reason = reason_for(e)
        log.warning("%s: status query failed: %s", name, e)
        raise PrinterUnavailable(reason, f"{name}: status query failed ({e}): check its"
                                 " cable and power", name) from e
    status = decode(replies, drawer_open_when_high=drawer_open_when_high)
    if status.error == "garbled_reply":
        log.warning("%s: garbled status replies %s: check the baud rate and that ASB is"
                    " off", name, {n: f"0x{b:02x}" for n, b in replies.items()})
    return status


class _Channel:
    """How to read the printer's replies on one transport."""

    def discard(self) -> None: ...

    def read_one(self, timeout: float) -> bytes: ...


def _channel(printer, name: str) -> _Channel:
    if not printer._device:  # python-escpos would reopen on .device; a closed one stays so
        raise PrinterUnavailable("closed", f"{name}: is not open: open it with open_printer",
                                 name)
    if isinstance(printer, Network):
        return _SocketChannel(printer._device, printer.timeout, name)
    if isinstance(printer, Serial):
        return _SerialChannel(printer._device)
    if isinstance(printer, Usb):
        return _UsbChannel(printer._device, printer.in_ep)
    if isinstance(printer, FilePrinter):
        return _FileChannel(printer)
    raise TypeError(f"{name}: cannot read status from a {type(printer).__name__} printer")


class _SocketChannel(_Channel):
    def __init__(self, sock: socket.socket, default_timeout, name: str):
        self.sock, self.default_timeout, self.name = sock, default_timeout, name

    def _closed(self) -> PrinterUnavailable:
        return PrinterUnavailable("disconnected", f"{self.name}: closed the connection:"
                                  " is it still on?", self.name)

    def discard(self) -> None:
        self.sock.setblocking(False)
        try:
            for _ in range(64):  # bounded: a printer streaming bytes must not hold us here
                if not self.sock.recv(256):
                    raise self._closed()
        except BlockingIOError:
            pass
        finally:
            self.sock.settimeout(self.default_timeout)

    def read_one(self, timeout: float) -> bytes:
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1)
        except (TimeoutError, socket.timeout):
            return b""
        finally:
            self.sock.settimeout(self.default_timeout)
        if not data:
            raise self._closed()
        return data


class _SerialChannel(_Channel):
    def __init__(self, port):
        self.port = port

    def discard(self) -> None:
        self.port.reset_input_buffer()

    def read_one(self, timeout: float) -> bytes:
        saved, self.port.timeout = self.port.timeout, timeout
        try:
            return self.port.read(1)
        finally:
            self.port.timeout = saved


class _UsbChannel(_Channel):
    PACKET = 64  # read a whole packet: asking for less than the device sends overflows

    def __init__(self, device, endpoint: int):
        self.device, self.endpoint = device, endpoint

    def _read(self, timeout_ms: int) -> bytes:
        import usb.core
        try:
            return bytes(self.device.read(self.endpoint, self.PACKET, timeout_ms))
        except usb.core.USBTimeoutError:
            return b""

    def discard(self) -> None:
        for _ in range(8):
            if not self._read(1):
                return

    def read_one(self, timeout: float) -> bytes:
        return self._read(max(1, int(timeout * 1000)))[:1]


class _FileChannel(_Channel):
    def __init__(self, printer: FilePrinter):
        self.printer = printer

    def discard(self) -> None:
        for _ in range(64):
            if not self.printer._read(timeout=0, size=256):
                return

    def read_one(self, timeout: float) -> bytes:
        return self.printer._read(timeout=timeout, size=1)
