"""A virtual USB 4G modem: answers AT commands on the master side of a pty pair.

The slave side is the modem's "serial port": its path is linked at ``state_dir/tty`` (a
stable name, like /dev/serial/by-id/...), and the SMS code opens it with pyserial exactly
like a real device, so the AT code under test is the real one.

It understands what :mod:`drivers.modem.at` sends (ATE, AT+CMEE, AT+CPIN, AT+CMGF, AT+CSCS,
AT+CSMP, AT+CNMI, AT+CSCA, AT+CPMS, AT+CMGS in text and PDU mode, AT+CMGR, AT+CMGD, AT+CREG,
AT+CSQ, ATI), decodes each submitted PDU and keeps every message "sent" as a numbered JSON
file in ``state_dir/sent/`` (number, decoded text, reference, part), gives +CMGS references,
and sends status reports after ``report_delay_s``: +CDS (with the PDU in PDU mode, the fields
in text mode) or, when the SIM stores them, +CDSI pointing at a stored one. Its "network"
writes each report to ``state_dir/reports/``.

Faults (``state_dir/faults.json``, re-read at every command, so the /sim page or a test can
flip them while it runs; :func:`write_faults`):

=====================  =========================================================================
``no_sim``             AT+CPIN? answers +CME ERROR: 10; a send +CMS ERROR: 310
``sim_pin``            the PIN the SIM asks for after each power-up ("" none; 3 wrong tries: PUK)
``no_network``         a send answers +CMS ERROR: 331 (no network service); AT+CREG? 0,2
``busy``               a send answers +CMS ERROR: 500 (unknown error: the modem is busy)
``fail_next``          the next N sends answer +CMS ERROR: ``fail_code`` (default 38, network out
                       of order)
``silent``             the modem reads everything and answers nothing (timeouts)
``reject_numbers``     numbers a send to answers +CMS ERROR: 21 (short message transfer rejected)
``undeliverable``      every status report says failed (0x41, incompatible destination)
``undeliverable_numbers``  the same, for these numbers only
``report_delay_s``     seconds from +CMGS to the status report
``report_storage``     AT+CNMI with reports routed directly (ds=1) is refused; ds=2 stores each
                       report and announces it with +CDSI
=====================  =========================================================================
"""

from __future__ import annotations

import errno
import logging
import os
import random
import select
import threading
import time
import tty
from datetime import datetime
from pathlib import Path

from .. import simstate
from appliance.durable import write_json

from . import pdu as pdus

log = logging.getLogger(__name__)

FAULT_DEFAULTS = {
    "no_sim": False,
    "sim_pin": "",
    "no_network": False,
    "busy": False,
    "fail_next": 0,
    "fail_code": 38,
    "silent": False,
    "reject_numbers": [],
    "undeliverable": False,
    "undeliverable_numbers": [],
    "report_delay_s": 0.3,
    "report_storage": False,
}
SIM_SMSC = "+8613800100500"
POLL_S = 0.02


# -- faults and what was sent ----------------------------------------------------------------

def _check_fault(key: str, value) -> None:
    if key not in FAULT_DEFAULTS:
        raise ValueError(f"unknown modem fault {key!r}: use one of {', '.join(FAULT_DEFAULTS)}")
    default = FAULT_DEFAULTS[key]
    if isinstance(default, bool):
        ok = isinstance(value, bool)
        kind = "true or false"
    elif isinstance(default, list):
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        kind = "a list of phone numbers"
    elif isinstance(default, str):
        ok = isinstance(value, str) and (value == "" or (value.isdigit() and
                                                          4 <= len(value) <= 8))
        kind = "empty or 4-8 digits"
    elif key == "report_delay_s":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 600
        kind = "a number of seconds from 0 to 600"
    else:
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 999
        kind = "a whole number from 0 to 999"
    if not ok:
        raise ValueError(f"modem fault {key!r} must be {kind}, not {value!r}")


def read_faults(state_dir: Path) -> dict:
    """The faults in force, defaults filled in. ValueError if faults.json is broken."""
    return simstate.read_faults(state_dir, FAULT_DEFAULTS, _check_fault)


def write_faults(state_dir: Path, **changes) -> dict:
    """Change some faults (the others keep their value); returns all of them."""
    return simstate.write_faults(state_dir, FAULT_DEFAULTS, _check_fault, changes, log,
                                 "modem")


def _take_one_failure(state_dir: Path) -> int | None:
    """If fail_next > 0: count one down and return fail_code."""
    with simstate.locked(state_dir):
        faults = read_faults(state_dir)
        if faults["fail_next"] <= 0:
            return None
        faults["fail_next"] -= 1
        write_json(Path(state_dir) / "faults.json", faults)
        return faults["fail_code"]


def sent_parts(state_dir: Path, limit: int = 50) -> list[dict]:
    """The last SMS the modem sent (each part of a long message on its own), newest first."""
    return simstate.newest_pieces(state_dir, "sent", limit)


def sent_messages(state_dir: Path, limit: int = 20) -> list[dict]:
    """The last messages sent, newest first, the parts of a long one joined: {number, text,
    references: [..], parts, complete, encoding, mode, at}."""
    messages: list[dict] = []
    joined: dict[tuple, dict] = {}
    for part in reversed(sent_parts(state_dir, limit * 10)):     # oldest first
        if part.get("parts", 1) > 1:
            key = (part["number"], part["concat_reference"], part["parts"])
            message = joined.get(key)
            if message is None or part["part"] in message["_got"]:
                message = {"number": part["number"], "parts": part["parts"], "_got": {},
                           "encoding": part["encoding"], "mode": part["mode"],
                           "at": part["at"]}
                joined[key] = message
                messages.append(message)
            message["_got"][part["part"]] = part
        else:
            messages.append({"number": part["number"], "parts": 1,
                             "_got": {1: part}, "encoding": part["encoding"],
                             "mode": part["mode"], "at": part["at"]})
    out = []
    for message in reversed(messages):
        got = message.pop("_got")
        ordered = [got[n] for n in sorted(got)]
        message["text"] = "".join(p["text"] for p in ordered)
        message["references"] = [p["reference"] for p in ordered]
        message["complete"] = len(got) == message["parts"]
        out.append(message)
    return out[:limit]


def reports_sent(state_dir: Path, limit: int = 50) -> list[dict]:
    """The status reports the simulated network sent, newest first."""
    return simstate.newest_pieces(state_dir, "reports", limit)


def clear_sent(state_dir: Path) -> None:
    simstate.clear_pieces(state_dir, "sent")
    simstate.clear_pieces(state_dir, "reports")


# -- the modem -------------------------------------------------------------------------------

class SimulatedModem:
    """The virtual modem; ``start()`` plugs it in (a new pty, ``path`` linked to it),
    ``stop()`` unplugs it (the pty closes: whoever has the port open sees it vanish),
    ``restart()`` unplugs and plugs it back (a power cycle: SIM locked again, echo on)."""

    def __init__(self, state_dir: str | os.PathLike):
        self.state_dir = Path(state_dir)
        self.path = self.state_dir / "tty"
        self._master: int | None = None
        self._slave: int | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._mr = random.randrange(256)
        self._lock = threading.Lock()

    # -- plugging

    def start(self) -> "SimulatedModem":
        with self._lock:
            if self._thread is not None:
                return self
            self.state_dir.mkdir(parents=True, exist_ok=True)
            master, slave = os.openpty()
            tty.setraw(slave)            # no line discipline echo between the two ends
            os.set_blocking(master, False)
            self._master, self._slave = master, slave
            self._power_up()
            tmp = self.path.with_name(f".tty.{os.getpid()}")
            tmp.unlink(missing_ok=True)
            os.symlink(os.ttyname(slave), tmp)
            os.replace(tmp, self.path)
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="simulated-modem",
                                            daemon=True)
            self._thread.start()
        log.info("simulated modem on %s (%s)", self.path, os.ttyname(slave))
        return self

    def stop(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is None:
                return
            self._stop.set()
            thread.join(5)
            for fd in (self._master, self._slave):
                if fd is not None:
                    os.close(fd)
            self._master = self._slave = None
            try:
                if self.path.is_symlink():
                    self.path.unlink()
            except OSError:
                pass

    close = stop

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None

    # -- state of one power-up

    def _power_up(self) -> None:
        self.echo = True
        self.cmee = 0
        self.cmgf = 0
        self.cscs = "IRA"
        self.csmp_fo = 17
        self.cnmi_ds = 0
        self.smsc = SIM_SMSC
        self.sim_unlocked = False
        self.pin_tries = 3
        self.stored: dict[int, dict] = {}
        self._line = bytearray()
        self._body: bytearray | None = None     # collecting the text after a > prompt
        self._cmgs_arg = ""
        self._urcs: list[tuple[float, bytes]] = []

    def _faults(self) -> dict:
        try:
            return read_faults(self.state_dir)
        except ValueError as e:
            log.warning("simulated modem: %s; no faults", e)
            return dict(FAULT_DEFAULTS)

    # -- the loop

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._master], [], [], POLL_S)
            except (OSError, ValueError):
                return
            if ready:
                try:
                    data = os.read(self._master, 4096)
                except BlockingIOError:
                    data = b""
                except OSError as e:
                    if e.errno == errno.EIO:    # nobody has the slave open
                        time.sleep(POLL_S)
                        continue
                    raise
                if data:
                    try:
                        self._received(data)
                    except Exception:   # a bug in the simulation must not kill the modem
                        log.exception("simulated modem: error handling %r", data[:40])
                        self._reply("ERROR")
            self._send_due_urcs()

    def _write(self, data: bytes) -> None:
        deadline = time.monotonic() + 1.0
        while data:
            try:
                n = os.write(self._master, data)
                data = data[n:]
            except BlockingIOError:
                if time.monotonic() > deadline:
                    log.debug("simulated modem: nobody reads; %d bytes dropped", len(data))
                    return
                select.select([], [self._master], [], 0.05)
            except OSError:
                return

    def _reply(self, *lines: str) -> None:
        self._write(b"".join(b"\r\n" + line.encode("latin-1") + b"\r\n" for line in lines))

    def _received(self, data: bytes) -> None:
        if self._faults()["silent"]:
            self._line.clear()
            self._body = None
            return
        for i in range(len(data)):
            byte = data[i:i + 1]
            if self._body is not None:
                if self.echo:
                    self._write(byte)
                if byte == b"\x1a":
                    body, self._body = bytes(self._body), None
                    self._submit(body)
                elif byte == b"\x1b":
                    self._body = None
                    self._reply("OK")
                else:
                    self._body += byte
                continue
            if self.echo:
                self._write(byte)
            if byte == b"\r":
                line, self._line = bytes(self._line).decode("latin-1").strip(), bytearray()
                if line:
                    self._command(line)
            elif byte == b"\n":
                continue
            elif byte == b"\x08":
                del self._line[-1:]
            elif byte[0] >= 0x20:          # other control characters (ESC...) are ignored
                self._line += byte

    # -- commands

    def _cme(self, code: int) -> None:
        self._reply(f"+CME ERROR: {code}" if self.cmee else "ERROR")

    def _cms(self, code: int) -> None:
        self._reply(f"+CMS ERROR: {code}")

    def _sim_ok_for_sms(self, faults: dict) -> bool:
        if faults["no_sim"]:
            self._cms(310)
            return False
        if faults["sim_pin"] and not self.sim_unlocked:
            self._cms(311 if self.pin_tries else 316)
            return False
        return True

    def _command(self, line: str) -> None:
        upper = line.upper()
        if not upper.startswith("AT"):
            return                       # modems ignore what is not a command
        faults = self._faults()
        name, _, arg = upper[2:].partition("=")
        raw_arg = line[2:].partition("=")[2]
        if upper == "AT":
            return self._reply("OK")
        if upper in ("ATE0", "ATE1"):
            self.echo = upper == "ATE1"
            return self._reply("OK")
        if upper == "ATI" or upper in ("AT+CGMI", "AT+CGMM"):
            return self._reply("Tillbox", "Simulated 4G modem", "Revision: SIM1", "OK")
        if name == "+CMEE" and arg in ("0", "1", "2"):
            self.cmee = int(arg)
            return self._reply("OK")
        if upper == "AT+CPIN?":
            if faults["no_sim"]:
                return self._cme(10)
            if faults["sim_pin"] and not self.sim_unlocked:
                return self._reply("+CPIN: " + ("SIM PIN" if self.pin_tries else "SIM PUK"),
                                   "OK")
            return self._reply("+CPIN: READY", "OK")
        if name == "+CPIN" and arg:
            return self._enter_pin(raw_arg.strip().strip('"'), faults)
        if name == "+CMGF":
            if arg == "?":
                return self._reply(f"+CMGF: {self.cmgf}", "OK")
            if arg in ("0", "1"):
                self.cmgf = int(arg)
                return self._reply("OK")
            return self._cms(302)
        if upper == "AT+CMGF?":
            return self._reply(f"+CMGF: {self.cmgf}", "OK")
        if name == "+CSCS":
            if arg.strip('"') in ("GSM", "IRA", "UCS2"):
                self.cscs = arg.strip('"')
                return self._reply("OK")
            return self._cme(4)
        if name == "+CSMP":
            fields = arg.split(",")
            if not fields[0].isdigit():
                return self._cms(305)
            self.csmp_fo = int(fields[0])
            return self._reply("OK")
        if name == "+CNMI":
            fields = (arg.split(",") + ["0"] * 5)[:5]
            if not all(f.isdigit() for f in fields) or int(fields[3]) > 2:
                return self._cms(303)
            ds = int(fields[3])
            if ds == 1 and faults["report_storage"]:
                return self._cms(303)       # this SIM/modem only stores reports
            self.cnmi_ds = ds
            return self._reply("OK")
        if upper == "AT+CSCA?":
            return self._reply(f'+CSCA: "{self.smsc}",145', "OK")
        if name == "+CSCA":
            number = raw_arg.split(",")[0].strip().strip('"')
            try:
                self.smsc = pdus.normalise_number(number)
            except pdus.PduError:
                return self._cms(304)
            return self._reply("OK")
        if name == "+CPMS":
            return self._reply("+CPMS: 0,20,0,20,0,20", "OK")
        if upper == "AT+CREG?":
            return self._reply("+CREG: 0,2" if faults["no_network"] else "+CREG: 0,1", "OK")
        if upper == "AT+CSQ":
            return self._reply("+CSQ: 99,99" if faults["no_network"] else "+CSQ: 23,99", "OK")
        if name == "+CMGR" and arg.isdigit():
            return self._read_stored(int(arg))
        if name == "+CMGD" and arg.split(",")[0].isdigit():
            self.stored.pop(int(arg.split(",")[0]), None)
            return self._reply("OK")
        if name == "+CMGS" and arg:
            if not self._sim_ok_for_sms(faults):
                return
            self._cmgs_arg = raw_arg.strip()
            self._body = bytearray()
            return self._write(b"\r\n> ")
        return self._reply("ERROR")

    def _enter_pin(self, pin: str, faults: dict) -> None:
        if faults["no_sim"]:
            return self._cme(10)
        if not faults["sim_pin"] or self.sim_unlocked:
            return self._cme(3)               # operation not allowed: no PIN wanted
        if not self.pin_tries:
            return self._cme(12)              # PUK required
        if pin != faults["sim_pin"]:
            self.pin_tries -= 1
            return self._cme(16)              # incorrect password
        self.sim_unlocked = True
        self._reply("OK")
        # What a real modem says on its own once the SIM is open.
        self._urcs.append((time.monotonic() + 0.05, b"\r\n+CPIN: READY\r\n"))
        self._urcs.append((time.monotonic() + 0.1, b"\r\nSMS DONE\r\n"))

    # -- sending

    def _submit(self, body: bytes) -> None:
        faults = self._faults()
        if faults["no_network"]:
            return self._cms(331)
        if faults["busy"]:
            return self._cms(500)
        code = _take_one_failure(self.state_dir)
        if code is not None:
            return self._cms(code)
        if self.cmgf == 1:
            number = self._cmgs_arg.split(",")[0].strip().strip('"')
            try:
                number = pdus.normalise_number(number)
            except pdus.PduError:
                return self._cms(305)
            text = body.decode("latin-1")
            if not text or len(text) > pdus.SINGLE_SEPTETS or not pdus.is_gsm7(text):
                return self._cms(305)
            message = {"number": number, "text": text, "mode": "text", "encoding": "gsm7",
                       "parts": 1, "part": 1, "concat_reference": None,
                       "status_report": bool(self.csmp_fo & 0x20)}
        else:
            try:
                declared = int(self._cmgs_arg)
                raw = bytes.fromhex(body.decode("ascii").strip())
                smsc_len = raw[0] if raw else 0
                if len(raw) - 1 - smsc_len != declared:
                    return self._cms(304)
                submit = pdus.decode_submit(raw.hex())
            except (ValueError, UnicodeDecodeError, IndexError):  # PduError is a ValueError
                return self._cms(304)
            concat = submit.concat or (None, 1, 1)
            message = {"number": submit.number, "text": submit.text, "mode": "pdu",
                       "encoding": submit.encoding, "parts": concat[1], "part": concat[2],
                       "concat_reference": concat[0], "status_report": submit.status_report}
        if message["number"] in faults["reject_numbers"]:
            return self._cms(21)
        self._mr = (self._mr + 1) % 256
        message["reference"] = self._mr
        simstate.add_pieces(self.state_dir, "sent", [message])
        self._reply(f"+CMGS: {self._mr}", "OK")
        if message["status_report"] and self.cnmi_ds in (1, 2):
            failed = (faults["undeliverable"]
                      or message["number"] in faults["undeliverable_numbers"])
            self._schedule_report(self._mr, message["number"], 0x41 if failed else 0x00,
                                  faults["report_delay_s"])

    def _schedule_report(self, mr: int, number: str, status: int, delay: float) -> None:
        simstate.add_pieces(self.state_dir, "reports", [
            {"reference": mr, "number": number, "status": pdus.status_outcome(status),
             "st": status}])
        report = {"mr": mr, "number": number, "status": status,
                  "pdu": pdus.encode_status_report(mr, number, status, smsc=self.smsc)}
        if self.cnmi_ds == 2:
            index = max(self.stored, default=0) + 1
            self.stored[index] = report
            urc = f'\r\n+CDSI: "SM",{index}\r\n'.encode()
        else:
            urc = self._report_text(report, urc=True)
        self._urcs.append((time.monotonic() + delay, urc))

    def _report_text(self, report: dict, *, urc: bool) -> bytes:
        """+CDS (urc) or +CMGR lines of a report, in the current message format."""
        if self.cmgf == 0:
            tpdu_len = len(report["pdu"]) // 2 - 1 - int(report["pdu"][:2], 16)
            head = f"+CDS: {tpdu_len}" if urc else f"+CMGR: 1,,{tpdu_len}"
            return f"\r\n{head}\r\n{report['pdu']}\r\n".encode()
        decoded = pdus.decode_status_report(report["pdu"])
        stamp = _text_time(decoded.submitted), _text_time(decoded.done)
        number = report["number"]
        kind = 145 if number.startswith("+") else 129
        fields = (f'6,{report["mr"]},"{number}",{kind},"{stamp[0]}","{stamp[1]}",'
                  f'{report["status"]}')
        head = f"+CDS: {fields}" if urc else f'+CMGR: "REC UNREAD",{fields}'
        return f"\r\n{head}\r\n".encode()

    def _read_stored(self, index: int) -> None:
        report = self.stored.get(index)
        if report is None:
            return self._cms(321)               # invalid memory index
        self._write(self._report_text(report, urc=False) + b"\r\nOK\r\n")

    def _send_due_urcs(self) -> None:
        if not self._urcs or self._body is not None or self._line:
            return                              # the modem is busy with a command
        now = time.monotonic()
        due = [u for u in self._urcs if u[0] <= now]
        if not due:
            return
        self._urcs = [u for u in self._urcs if u[0] > now]
        if self._faults()["silent"]:
            return
        for _, data in due:
            self._write(data)


def _text_time(iso: str) -> str:
    """A time stamp the way text mode shows it: "yy/MM/dd,hh:mm:ss+zz" (quarter hours)."""
    when = datetime.fromisoformat(iso)
    quarters = int((when.utcoffset().total_seconds()) // 900)
    return when.strftime("%y/%m/%d,%H:%M:%S") + f"{quarters:+03d}"
