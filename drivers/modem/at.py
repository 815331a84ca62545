"""AT commands to a modem over a serial port (3GPP TS 27.007 and 27.005) with pyserial.

:class:`AtSession` is the transport: one command at a time, its information lines and its
final result code (``OK``, ``ERROR``, ``+CME ERROR: <n>``, ``+CMS ERROR: <n>``), a timeout
per command, and unsolicited result codes (``+CDS``, ``+CDSI``, ``+CMTI``, ``RING``...) kept
aside in :attr:`AtSession.urcs` whenever they arrive. A port that vanishes (a USB modem that
re-enumerates) raises :class:`PortGone`; the caller closes the session and opens a new one.

:class:`SmsModem` is the SMS side: initialisation (echo off, numeric errors, SIM PIN, message
format, where delivery reports go, SMS centre) and sending in text mode or PDU mode, plus
reading delivery reports (``+CDS`` directly, or ``+CDSI`` then AT+CMGR and AT+CMGD).

Error codes and what they mean for a retry: :func:`is_permanent`.
"""

from __future__ import annotations

import csv
import logging
import re
import time
from dataclasses import dataclass
from typing import Callable

import serial

from . import pdu as pdus

log = logging.getLogger(__name__)

CTRL_Z, ESC = b"\x1a", b"\x1b"
#: modem.mode: text mode for plain GSM-7 single parts (auto), always PDU, or text only.
MODES = ("auto", "pdu", "text")
FINAL_OK = "OK"
#: Unsolicited result codes without a "+NAME:" prefix that modems send on their own.
BARE_URCS = {"RING", "NO CARRIER", "RDY", "SMS DONE", "PB DONE", "CALL READY", "SMS READY",
             "POWERED DOWN", "NORMAL POWER DOWN", "+PACSP0", "+PACSP1"}
#: URCs whose next line belongs to them (PDU mode +CDS/+CMT, text mode +CMT).
TWO_LINE_URCS = {"+CMT", "+CBM"}


class AtError(Exception):
    """Something went wrong talking to the modem."""


class PortGone(AtError):
    """The serial port could not be opened, or vanished (unplugged, re-enumerated)."""


class AtTimeout(AtError):
    """The modem did not answer in time."""


class AtCommandError(AtError):
    """The modem answered ERROR, +CME ERROR or +CMS ERROR."""

    def __init__(self, command: str, kind: str, code: int | None, text: str = ""):
        self.command, self.kind, self.code, self.text = command, kind, code, text
        detail = code if code is not None else text
        what = f"{kind}: {detail}" if detail not in (None, "") else kind
        super().__init__(f"{_shown(command)} answered {what}")


def _shown(command: str) -> str:
    # Never log a PIN or a phone number: show only the command's name.
    return re.split(r"[=?]", command, maxsplit=1)[0] + ("=..." if "=" in command else "")


@dataclass(frozen=True)
class Urc:
    """An unsolicited result code: its line and, for two-line ones, the line after it."""
    line: str
    body: str = ""

    @property
    def name(self) -> str:
        return self.line.split(":", 1)[0].strip() if ":" in self.line else self.line.strip()


# -- the transport ---------------------------------------------------------------------------

class AtSession:
    """One open serial port to a modem's AT interface.

    ``opener(device, baudrate=..., timeout=...)`` opens the port (``serial.serial_for_url``:
    a device path, a pty path, ``loop://``). Not thread-safe: one caller at a time.
    """

    def __init__(self, device: str, baudrate: int = 115200, *,
                 opener: Callable = serial.serial_for_url, command_timeout: float = 5.0):
        self.device = device
        self.baudrate = baudrate
        self.command_timeout = command_timeout
        self._opener = opener
        self._port = None
        self._buf = bytearray()
        self._urc_waiting: str | None = None   # a two-line URC waiting for its body
        self.urcs: list[Urc] = []

    # -- port

    def open(self) -> None:
        try:
            self._port = self._opener(self.device, baudrate=self.baudrate, timeout=0.05,
                                      write_timeout=self.command_timeout)
            self._port.reset_input_buffer()
        except (OSError, ValueError) as exc:   # SerialException is an OSError
            self._port = None
            raise PortGone(f"cannot open the modem port {self.device}: {exc}") from None
        self._buf.clear()
        self._urc_waiting = None

    @property
    def is_open(self) -> bool:
        return self._port is not None

    def close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except (OSError, ValueError) as exc:
                log.debug("modem port %s: close failed (%s)", self.device, exc)

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc):
        self.close()

    def _write(self, data: bytes) -> None:
        if self._port is None:
            raise PortGone(f"the modem port {self.device} is not open")
        try:
            self._port.write(data)
            self._port.flush()
        except serial.SerialTimeoutException:
            raise AtTimeout(f"the modem port {self.device} does not take data "
                            "(flow control stuck?)") from None
        except (OSError, ValueError) as exc:
            raise PortGone(f"the modem port {self.device} went away: {exc}") from None

    def _fill(self, until: float) -> bool:
        """Read what arrives before ``until`` (monotonic) into the buffer; whether any did."""
        if self._port is None:
            raise PortGone(f"the modem port {self.device} is not open")
        try:
            # Two timeouts only (pyserial reconfigures the port on each change): a read waits
            # up to 50 ms, so a deadline may pass by that much; none once it has passed.
            wanted = 0.05 if until > time.monotonic() else 0
            if self._port.timeout != wanted:
                self._port.timeout = wanted
            data = self._port.read(1)
            if data:
                waiting = self._port.in_waiting
                if waiting:
                    data += self._port.read(waiting)
        except (OSError, ValueError, TypeError) as exc:
            # pyserial raises SerialException (an OSError) when the device disappears;
            # TypeError/ValueError come from a port closed underneath us.
            raise PortGone(f"the modem port {self.device} went away: {exc}") from None
        self._buf += data
        return bool(data)

    def _next_line(self) -> str | None:
        """The next complete non-empty line from the buffer, or None."""
        while True:
            match = re.search(rb"[\r\n]", self._buf)
            if match is None:
                return None
            raw = bytes(self._buf[:match.start()])
            del self._buf[:match.end()]
            line = raw.decode("latin-1").strip()
            if line:
                return line

    def _prompt_waiting(self) -> bool:
        stripped = bytes(self._buf).lstrip(b"\r\n")
        if stripped.startswith(b">"):
            self._buf.clear()
            return True
        return False

    # -- lines

    def _is_urc(self, line: str, command: str | None) -> bool:
        if line.upper() in BARE_URCS or line.startswith("^"):
            return True
        match = re.match(r"(\+[A-Z0-9]+):", line)
        if not match:
            return False
        # "+NAME: ..." answers a command AT+NAME...; from anything else it is unsolicited.
        return command is None or not command.upper().startswith("AT" + match.group(1))

    def _take_urc(self, line: str) -> None:
        name = line.split(":", 1)[0]
        fields = line.split(":", 1)[1].split(",") if ":" in line else []
        # PDU mode +CDS: <length> is followed by the PDU; text mode +CDS is one line.
        if name in TWO_LINE_URCS or (name == "+CDS" and len(fields) == 1):
            self._urc_waiting = line
        else:
            self.urcs.append(Urc(line))

    def _feed_line(self, line: str, command: str | None) -> str | None:
        """Handle one line; returns it when it belongs to ``command``'s answer."""
        if self._urc_waiting is not None:
            self.urcs.append(Urc(self._urc_waiting, line))
            self._urc_waiting = None
            return None
        if command is not None and line == command.strip():
            return None   # echo
        if self._is_urc(line, command):
            self._take_urc(line)
            return None
        return line

    def poll(self, timeout: float = 0.0) -> list[Urc]:
        """Read what the modem sent on its own for up to ``timeout`` s; returns (and clears)
        the URCs collected so far."""
        until = time.monotonic() + timeout
        while True:
            got = self._fill(until)
            while (line := self._next_line()) is not None:
                if self._feed_line(line, None) is not None:
                    log.debug("modem port %s: stray line %r", self.device, line[:40])
            if not got and time.monotonic() >= until:
                break
        urcs, self.urcs = self.urcs, []
        return urcs

    def abandon_prompt(self, settle: float = 0.1) -> None:
        """Send ESC, wait ``settle`` s and drop whatever came back (URCs are kept)."""
        self._write(ESC)
        self.urcs = self.poll(settle)
        self._buf.clear()

    # -- commands

    def command(self, command: str, timeout: float | None = None) -> list[str]:
        """Send ``command`` (without CR); its information lines when it ends with OK.
        Raises AtCommandError, AtTimeout, PortGone."""
        self._write(command.encode("latin-1") + b"\r")
        return self._answer(command, timeout or self.command_timeout)

    def command_with_data(self, command: str, data: bytes, timeout: float | None = None,
                          prompt_timeout: float | None = None) -> list[str]:
        """A command that asks for data after a ``> `` prompt (AT+CMGS): ``data`` is sent
        then Ctrl-Z, and the final answer awaited for ``timeout`` s."""
        self._write(command.encode("latin-1") + b"\r")
        until = time.monotonic() + (prompt_timeout or self.command_timeout)
        info: list[str] = []
        while True:
            while (line := self._next_line()) is not None:
                mine = self._feed_line(line, command)
                if mine is not None:
                    self._final(command, mine, info)   # an error instead of the prompt
                    info.append(mine)
            if self._prompt_waiting():
                break
            if not self._fill(until) and time.monotonic() >= until:
                self._write(ESC)   # leave the data prompt if it comes late
                raise AtTimeout(f"no prompt for {_shown(command)} from the modem on "
                                f"{self.device} within {prompt_timeout or self.command_timeout} s")
        self._write(data + CTRL_Z)
        return self._answer(command, timeout or self.command_timeout, info)

    def _final(self, command: str, line: str, info: list[str]) -> bool:
        """Whether ``line`` ends the command (True for OK); raises for an error."""
        if line == FINAL_OK:
            return True
        if line == "ERROR":
            raise AtCommandError(command, "ERROR", None)
        match = re.match(r"\+(CME|CMS) ERROR:\s*(.*)", line)
        if match:
            value = match.group(2).strip()
            code = int(value) if value.isdigit() else None
            raise AtCommandError(command, f"+{match.group(1)} ERROR", code,
                                 "" if code is not None else value)
        return False

    def _answer(self, command: str, timeout: float, info: list[str] | None = None) -> list[str]:
        info = [] if info is None else info
        until = time.monotonic() + timeout
        while True:
            while (line := self._next_line()) is not None:
                mine = self._feed_line(line, command)
                if mine is None:
                    continue
                if self._final(command, mine, info):
                    return info
                info.append(mine)
            if not self._fill(until) and time.monotonic() >= until:
                raise AtTimeout(f"the modem on {self.device} did not answer {_shown(command)} "
                                f"within {timeout:g} s")


# -- which errors are worth a retry ----------------------------------------------------------

#: +CMS ERROR codes after which the same message to the same number will fail again:
#: the number (1 unassigned, 21 rejected, 28 unidentified, 30 unknown subscriber, 0xC3
#: invalid address, 0xC4 destination barred), barring (8, 10, 29, 50), the message itself
#: (95-99 invalid message/information, 0x80-0x9F unsupported PID/DCS, 0xB0 unsupported TPDU,
#: 0xC5 duplicate, 0xC6/0xC7 validity period not supported, 304/305 invalid PDU/text
#: parameter, 303 operation not supported, 69 not implemented).
PERMANENT_CMS = ({1, 8, 10, 21, 28, 29, 30, 50, 69, 95, 96, 97, 98, 99, 303, 304, 305}
                 | set(range(0x80, 0xA0)) | {0xB0, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7})


def is_permanent(error: AtCommandError) -> bool:
    """Whether retrying the same send cannot help. Everything else (no network 331,
    network timeout 332, SIM busy 314, SMS centre busy 0xC0, congestion 42, network out of
    order 38, temporary failure 41, unknown 500, a missing SIM or PIN, +CME errors, a bare
    ERROR) is transient: the modem, the SIM or the network may be fine later."""
    return error.kind == "+CMS ERROR" and error.code in PERMANENT_CMS


# -- SMS -------------------------------------------------------------------------------------

_PLAIN = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 !\"#%&'()*+,-./"
             ":;<=>?")


def is_plain(text: str) -> bool:
    """Text that text mode sends safely: characters whose GSM 7-bit code is their ASCII code
    (no @ $ _ or extension characters, no control characters), one message long."""
    return 0 < len(text) <= pdus.SINGLE_SEPTETS and all(ch in _PLAIN for ch in text)


class SimLocked(AtError):
    """The SIM wants a PIN we do not have (or that it refused), or a PUK."""


class SmsModem:
    """SMS over an :class:`AtSession`. ``mode`` is "auto", "pdu" or "text"; ``pin`` the SIM
    PIN or ""; ``pin_refused(pin)``/``refuse_pin(pin)`` remember a PIN the SIM refused, so it
    is never tried again (three wrong tries lock the SIM until its PUK is entered)."""

    def __init__(self, session: AtSession, *, mode: str = "auto", smsc: str = "",
                 delivery_reports: bool = True, pin: str = "", send_timeout: float = 60.0,
                 pin_refused: Callable[[str], bool] = lambda pin: False,
                 refuse_pin: Callable[[str], None] = lambda pin: None,
                 sim_ready_timeout: float = 10.0):
        if mode not in MODES:
            raise ValueError(f"modem mode {mode!r} is not auto, pdu or text")
        self.session = session
        self.mode = mode
        self.smsc = smsc
        self.want_reports = delivery_reports
        self.pin = pin
        self.send_timeout = send_timeout
        self.sim_ready_timeout = sim_ready_timeout
        self._pin_refused, self._refuse_pin = pin_refused, refuse_pin
        self.reports_on = False        # CNMI routes status reports (+CDS or +CDSI)
        self._format: int | None = None   # current AT+CMGF

    # -- set-up

    def init(self) -> None:
        s = self.session
        # A program that died at a "> " prompt leaves the modem waiting for message text:
        # ESC cancels that (and is ignored otherwise); its answer, if any, is dropped.
        s.abandon_prompt()
        for attempt in range(3):   # the first AT may meet leftovers of a power-up
            try:
                s.command("AT", timeout=min(2.0, s.command_timeout))
                break
            except (AtTimeout, AtCommandError):
                if attempt == 2:
                    raise
        s.command("ATE0")
        s.command("AT+CMEE=1")
        self._unlock_sim()
        if self.smsc:
            s.command(f'AT+CSCA="{pdus.normalise_number(self.smsc)}",'
                      f'{145 if self.smsc.startswith("+") else 129}')
        self.reports_on = False
        if self.want_reports:
            for ds in (1, 2):   # 1: +CDS with the report, 2: +CDSI pointing into storage
                try:
                    s.command(f"AT+CNMI=2,0,0,{ds},0")
                    self.reports_on = True
                    break
                except AtCommandError:
                    continue
            if not self.reports_on:
                log.warning("modem on %s routes no delivery reports (AT+CNMI refused): "
                            "messages are sent without asking for them", s.device)
        else:
            s.command("AT+CNMI=2,0,0,0,0")
        # After CNMI: text mode's AT+CSMP asks for reports only when they are routed.
        self._format = None
        self._set_format(1 if self.mode == "text" else 0)

    def _sim_state(self) -> str:
        for line in self.session.command("AT+CPIN?"):
            if line.startswith("+CPIN:"):
                return line.split(":", 1)[1].strip().upper()
        return "UNKNOWN"

    def _unlock_sim(self) -> None:
        state = self._sim_state()
        if state == "READY":
            return
        if state != "SIM PIN":
            raise SimLocked(f"the modem's SIM is locked ({state}): unlock it in a phone")
        if not self.pin:
            raise SimLocked("the modem's SIM asks for its PIN: put modem.sim_pin in the "
                            "secrets file")
        if self._pin_refused(self.pin):
            raise SimLocked("the SIM refused modem.sim_pin before; it is not tried again "
                            "(three wrong tries lock the SIM): correct it in the secrets file")
        try:
            self.session.command(f'AT+CPIN="{self.pin}"', timeout=max(
                self.session.command_timeout, 10.0))
        except AtCommandError as exc:
            if exc.kind == "+CME ERROR" and exc.code in (16, 12):   # wrong password, PUK
                self._refuse_pin(self.pin)
                raise SimLocked("the SIM refused modem.sim_pin; it is not tried again "
                                "(three wrong tries lock the SIM): correct it in the "
                                "secrets file") from None
            raise
        log.info("modem on %s: SIM unlocked", self.session.device)
        until = time.monotonic() + self.sim_ready_timeout
        while self._sim_state() != "READY":
            if time.monotonic() >= until:
                raise AtTimeout("the SIM took its PIN but did not become ready")
            time.sleep(0.2)

    def _set_format(self, fmt: int) -> None:
        if self._format == fmt:
            return
        s = self.session
        s.command(f"AT+CMGF={fmt}")
        self._format = fmt
        if fmt == 1:
            s.command('AT+CSCS="GSM"')
            # First octet 17 (SUBMIT, relative validity) or 49 (also TP-SRR); 4 days.
            s.command(f"AT+CSMP={49 if self.reports_on else 17},167,0,0")

    # -- sending

    def uses_text_mode(self, text: str) -> bool:
        return self.mode == "text" or (self.mode == "auto" and is_plain(text))

    def send_text(self, number: str, text: str) -> int:
        """Send in text mode; the message reference."""
        number = pdus.normalise_number(number)
        self._set_format(1)
        lines = self.session.command_with_data(f'AT+CMGS="{number}"', text.encode("ascii"),
                                               timeout=self.send_timeout)
        return _reference(lines)

    def send_pdu(self, part: pdus.SubmitPdu) -> int:
        self._set_format(0)
        lines = self.session.command_with_data(f"AT+CMGS={part.tpdu_length}",
                                               part.hex.encode("ascii"),
                                               timeout=self.send_timeout)
        return _reference(lines)

    # -- delivery reports

    def read_reports(self, timeout: float = 0.0) -> list[pdus.StatusReport]:
        """Status reports received since the last call (+CDS; +CDSI read and deleted)."""
        return self.collect(self.session.poll(timeout))

    def collect(self, urcs: list[Urc]) -> list[pdus.StatusReport]:
        """The status reports in ``urcs`` (reading the stored ones +CDSI points at)."""
        out = []
        for urc in urcs:
            if urc.name == "+CDS":
                report = _parse_report(_csv(urc.line.split(":", 1)[1]), urc.body)
                if report is not None:
                    out.append(report)
            elif urc.name == "+CDSI":
                out += self._read_stored(urc.line.split(":", 1)[1])
        return out

    def _read_stored(self, args: str) -> list[pdus.StatusReport]:
        parts = [p.strip().strip('"') for p in args.split(",")]
        if len(parts) < 2 or not parts[1].isdigit():
            return []
        memory, index = parts[0], int(parts[1])
        s = self.session
        try:
            if memory:
                s.command(f'AT+CPMS="{memory}"')
            lines = s.command(f"AT+CMGR={index}")
            s.command(f"AT+CMGD={index}")
        except AtCommandError as exc:
            log.warning("modem on %s: stored status report %s %d unreadable (%s)",
                        s.device, memory, index, exc)
            return []
        header = next((i for i, line in enumerate(lines) if line.startswith("+CMGR:")), None)
        if header is None:
            return []
        fields = _csv(lines[header].split(":", 1)[1])
        body = lines[header + 1] if header + 1 < len(lines) else ""
        if len(fields) >= 7 and fields[1].isdigit() and fields[2].isdigit():
            # text mode: <stat>,<fo>,<mr>,<ra>,<tora>,<scts>,<dt>,<st>
            return [r for r in [_parse_report(fields[1:], "")] if r is not None]
        report = _parse_report(fields[-1:], body)
        return [report] if report is not None else []


def _reference(lines: list[str]) -> int:
    for line in lines:
        match = re.match(r"\+CMGS:\s*(\d+)", line)
        if match:
            return int(match.group(1))
    raise AtError("the modem accepted the message but gave no reference (+CMGS)")


def _csv(text: str) -> list[str]:
    """Comma-separated AT fields; quoted ones may hold commas (time stamps)."""
    return [f.strip() for f in next(csv.reader([text.strip()], skipinitialspace=True), [])]


def _parse_report(fields: list[str], body: str) -> pdus.StatusReport | None:
    """A +CDS (or +CMGR of a report): PDU mode [<length>] and the PDU in ``body``; text
    mode [<fo>, <mr>, <ra>, <tora>, <scts>, <dt>, <st>]."""
    try:
        if body:
            return pdus.decode_status_report(body)
        if len(fields) >= 7:
            number = fields[2]
            if fields[3] == "145" and number and not number.startswith("+"):
                number = "+" + number
            return pdus.StatusReport(message_reference=int(fields[1]), number=number,
                                     status=int(fields[6]), submitted=fields[4],
                                     done=fields[5])
    except (pdus.PduError, ValueError) as exc:
        log.warning("unreadable delivery report ignored (%s)", exc)
    return None
