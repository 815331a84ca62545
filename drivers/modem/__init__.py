"""The USB 4G modem for text messages (issue 10 point 5; docs/hardware.md): AT commands over
pyserial, text mode and PDU mode (UCS-2 for Chinese), delivery reports. A real backend (a
serial port) and a simulated one (a virtual modem answering on a pty pair) picked by
``modem.backend``.

The notification daemon uses :func:`open_sms_sender` and the :class:`SmsSender` it returns:
``send(number, text)`` gives the message reference(s) the modem answered ("12", or "12,13"
for a message sent in two parts), ``reports()`` the delivery reports seen since the last
call, matched to those references. A send that fails raises :class:`TransientSmsError` (try
again later: no network, modem busy or unplugged, no answer) or :class:`PermanentSmsError`
(the same message to the same number will fail again: invalid number, too long, refused by
the network for the number). Opening never touches the port: the modem is connected (and
the SIM unlocked) at the first send or report poll, and again after it vanished.

Module layout: :mod:`.pdu` (PDU encoding and decoding), :mod:`.at` (AT commands),
:mod:`.simulated` (the virtual modem).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import serial

from . import pdu as pdus
from .at import (MODES, AtCommandError, AtError, AtSession, PortGone, SimLocked, SmsModem,
                 is_permanent, is_plain)

log = logging.getLogger(__name__)

#: A notification that needs more SMS than this is refused (PermanentSmsError).
MAX_PARTS = 10
#: References still waiting for a delivery report are forgotten after this long (the SMS
#: centre keeps a message 4 days: TP-VP of our messages).
REFERENCE_DAYS = 7


class SmsError(Exception):
    """A text message was not sent."""


class TransientSmsError(SmsError):
    """Try again later: no network, modem busy, no answer, modem unplugged, SIM locked."""


class PermanentSmsError(SmsError):
    """Do not retry: invalid number, message too long, refused for this number."""


@dataclass(frozen=True)
class DeliveryReport:
    reference: str          # what send() returned
    status: str             # "delivered" | "failed" | "pending"
    number: str = ""        # the recipient as the network reports it (personal data: no logs)
    detail: str = ""        # the network's status in words, e.g. "received by the recipient"


class SmsSender:
    """Sends SMS through a modem's AT port; thread-safe (one operation at a time).

    ``state_dir`` keeps what must outlive a restart: the references still waiting for a
    delivery report (references.json) and a SIM PIN the SIM refused (pin_refused, so it is
    never tried again). ``simulated`` is a SimulatedModem to stop on close().
    """

    def __init__(self, device: str, *, baudrate: int = 115200, mode: str = "auto",
                 smsc: str = "", delivery_reports: bool = True, pin: str = "",
                 state_dir: str | os.PathLike | None = None, command_timeout: float = 5.0,
                 send_timeout: float = 60.0, reconnect_after: float = 5.0,
                 opener: Callable = serial.serial_for_url, simulated=None):
        if mode not in MODES:
            raise ValueError(f"modem.mode {mode!r} is not auto, pdu or text")
        if smsc:
            pdus.normalise_number(smsc)   # ValueError (PduError) at start-up, not at send
        self.device = device
        self.baudrate = baudrate
        self.mode = mode
        self.smsc = smsc
        self.delivery_reports = delivery_reports
        self.command_timeout = command_timeout
        self.send_timeout = send_timeout
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self.last_error = ""
        self._pin = pin
        self._opener = opener
        self._simulated = simulated
        self._lock = threading.RLock()
        self._modem: SmsModem | None = None
        self._closed = False
        self._concat = random.randrange(256)
        self._found: list[pdus.StatusReport] = []
        self._pending = self._load_pending()
        self._retry_base = reconnect_after
        self._retry_delay = reconnect_after
        self._next_attempt = 0.0

    # -- connection

    @property
    def connected(self) -> bool:
        return self._modem is not None

    def _connect(self) -> SmsModem:
        if self._closed:
            raise TransientSmsError("the SMS sender is closed")
        if self._modem is not None:
            return self._modem
        session = AtSession(self.device, self.baudrate, opener=self._opener,
                            command_timeout=self.command_timeout)
        modem = SmsModem(session, mode=self.mode, smsc=self.smsc,
                         delivery_reports=self.delivery_reports, pin=self._pin,
                         send_timeout=self.send_timeout, pin_refused=self._pin_was_refused,
                         refuse_pin=self._remember_refused_pin)
        try:
            session.open()
            modem.init()
        except (AtError, pdus.PduError) as exc:
            session.close()
            self._failed(exc)
            raise TransientSmsError(self._describe(exc)) from None
        self._modem = modem
        self._retry_delay = self._retry_base
        self.last_error = ""
        log.info("modem on %s ready (%s mode, delivery reports %s)", self.device, self.mode,
                 "on" if modem.reports_on else "off")
        return modem

    def _failed(self, exc: Exception) -> None:
        self.last_error = self._describe(exc)
        self._next_attempt = time.monotonic() + self._retry_delay
        self._retry_delay = min(self._retry_delay * 2, 60.0)
        log.warning("modem on %s: %s", self.device, self.last_error)

    def _drop(self) -> None:
        modem, self._modem = self._modem, None
        if modem is not None:
            try:   # reports already read stay; stored ones (+CDSI) are read after reconnecting
                self._found += modem.collect([u for u in _urcs_left(modem) if u.name == "+CDS"])
            finally:
                modem.session.close()

    def _describe(self, exc: Exception) -> str:
        if isinstance(exc, (SimLocked, PortGone)):
            return str(exc)           # these name the port or the secret already
        return f"the modem on {self.device}: {exc}"

    def _harvest(self, modem: SmsModem) -> None:
        """Keep the reports that arrived during a command (reading stored ones)."""
        try:
            self._found += modem.collect(_urcs_left(modem))
        except AtError as exc:
            self._drop()
            self._failed(exc)

    # -- sending

    def send(self, number: str, text: str) -> str:
        """Send ``text`` to ``number``; the modem's message reference(s), comma-separated."""
        try:
            number = pdus.normalise_number(number)
        except pdus.PduError as exc:
            raise PermanentSmsError(str(exc)) from None
        if not text:
            raise PermanentSmsError("an empty text message cannot be sent")
        if self.mode == "text" and not is_plain(text):
            raise PermanentSmsError(
                "modem.mode = text sends only plain ASCII text of at most 160 characters; "
                "set modem.mode = auto to send Chinese and long messages")
        parts = pdus.part_count(text)
        if parts > MAX_PARTS:
            raise PermanentSmsError(f"the message needs {parts} text messages; at most "
                                    f"{MAX_PARTS} are sent for one notification")
        with self._lock:
            modem = self._connect()
            try:
                if modem.uses_text_mode(text):
                    references = [modem.send_text(number, text)]
                else:
                    self._concat = (self._concat + 1) % 256
                    references = [modem.send_pdu(part) for part in pdus.encode_submit(
                        number, text, status_report=modem.reports_on, smsc=self.smsc,
                        concat_reference=self._concat)]
            except AtCommandError as exc:
                self._harvest(modem)
                self.last_error = self._describe(exc)
                if is_permanent(exc):
                    log.warning("SMS refused for good: %s", self.last_error)
                    raise PermanentSmsError(self.last_error) from None
                log.warning("SMS not sent, to be retried: %s", self.last_error)
                raise TransientSmsError(self.last_error) from None
            except (AtError, pdus.PduError) as exc:
                # No answer or a vanished port: the session's state is unknown; start over.
                self._drop()
                self._failed(exc)
                raise TransientSmsError(self._describe(exc)) from None
            self._harvest(modem)
            reference = ",".join(str(r) for r in references)
            if modem.reports_on:
                self._track(reference, references)
            log.info("SMS sent in %d part(s), reference %s", len(references), reference)
            return reference

    # -- delivery reports

    def reports(self) -> list[DeliveryReport]:
        """Delivery reports seen since the last call. Never raises for a missing modem: it
        is reconnected (at most every few seconds, backing off to a minute) to hear them."""
        with self._lock:
            if self._modem is None and not self._closed and time.monotonic() >= self._next_attempt:
                try:
                    self._connect()
                except TransientSmsError:
                    pass
            if self._modem is not None:
                try:
                    self._found += self._modem.read_reports(0)
                except AtError as exc:
                    self._drop()
                    self._failed(exc)
            found, self._found = self._found, []
            out = [report for r in found if (report := self._match(r)) is not None]
            if found:
                self._save_pending()
            return out

    def _track(self, reference: str, mrs: list[int]) -> None:
        now = time.time()
        keep = []
        for entry in self._pending:
            # A reference number is reused after 256 messages: the newest message owns it.
            for mr in mrs:
                entry["parts"].pop(str(mr), None)
            if entry["parts"] and now - entry["at"] < REFERENCE_DAYS * 86400:
                keep.append(entry)
        keep.append({"reference": reference, "parts": {str(mr): "" for mr in mrs},
                     "at": now})
        self._pending = keep
        self._save_pending()

    def _match(self, report: pdus.StatusReport) -> DeliveryReport | None:
        key = str(report.message_reference)
        detail = pdus.status_text(report.status)
        entry = next((e for e in reversed(self._pending) if key in e["parts"]), None)
        if entry is None:
            log.debug("delivery report for unknown reference %s", key)
            return DeliveryReport(key, report.outcome, report.number, detail)
        entry["parts"][key] = report.outcome
        outcomes = list(entry["parts"].values())
        if all(o in ("delivered", "failed") for o in outcomes):
            self._pending.remove(entry)           # every part has its final report
        if entry.get("told"):
            return None           # a part already failed: the message was reported failed
        if len(outcomes) > 1 and report.outcome != "delivered":
            detail = f"part {list(entry['parts']).index(key) + 1} of {len(outcomes)}: {detail}"
        if report.outcome == "failed":
            entry["told"] = True
            status = "failed"
        elif all(o == "delivered" for o in outcomes):
            status = "delivered"
        elif report.outcome == "pending":
            status = "pending"
        else:
            return None           # one part delivered, others still to come
        log.info("SMS %s: %s", entry["reference"], status)
        return DeliveryReport(entry["reference"], status, report.number, detail)

    # -- state files

    def _load_pending(self) -> list[dict]:
        if self.state_dir is None:
            return []
        try:
            with open(self.state_dir / "references.json", encoding="utf-8") as f:
                data = json.load(f)
            return [e for e in data.get("pending", [])
                    if isinstance(e, dict) and isinstance(e.get("parts"), dict)]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, AttributeError) as exc:
            log.warning("%s unreadable (%s): earlier references forgotten",
                        self.state_dir / "references.json", exc)
            return []

    def _save_pending(self) -> None:
        if self.state_dir is None:
            return
        from appliance.durable import write_json
        self.state_dir.mkdir(parents=True, exist_ok=True)
        write_json(self.state_dir / "references.json", {"pending": self._pending})

    def _pin_digest(self, pin: str) -> str:
        return hashlib.sha256(f"tillbox-sim-pin:{self.device}:{pin}".encode()).hexdigest()

    def _pin_was_refused(self, pin: str) -> bool:
        if self.state_dir is None:
            return getattr(self, "_refused_digest", None) == self._pin_digest(pin)
        try:
            return (self.state_dir / "pin_refused").read_text().strip() == self._pin_digest(pin)
        except FileNotFoundError:
            return False

    def _remember_refused_pin(self, pin: str) -> None:
        self._refused_digest = self._pin_digest(pin)
        if self.state_dir is not None:
            from appliance.durable import write_bytes
            self.state_dir.mkdir(parents=True, exist_ok=True)
            write_bytes(self.state_dir / "pin_refused", self._refused_digest.encode(),
                        mode=0o600)

    # -- closing

    def close(self) -> None:
        """Close the port (and stop a simulated modem). Idempotent."""
        with self._lock:
            self._closed = True
            modem, self._modem = self._modem, None
            if modem is not None:
                modem.session.close()
            simulated, self._simulated = self._simulated, None
            if simulated is not None:
                simulated.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _urcs_left(modem: SmsModem) -> list:
    urcs, modem.session.urcs = modem.session.urcs, []
    return urcs


def open_sms_sender(cfg, secrets: dict) -> SmsSender:
    """The sender ``cfg.modem`` describes. ``modem.backend = simulated`` starts a virtual
    modem (state in ``<paths.data>/sim/modem``) in this process. ValueError for backend
    "none" or a bad setting."""
    m = cfg.modem
    if m.backend not in ("serial", "simulated"):
        raise ValueError(f"modem.backend is {m.backend!r}: set it to serial (the USB modem) "
                         "or simulated to send text messages through a modem")
    pin = ((secrets or {}).get("modem") or {}).get("sim_pin", "")
    if not isinstance(pin, str) or (pin and not (pin.isdigit() and 4 <= len(pin) <= 8)):
        raise ValueError("modem.sim_pin in the secrets file must be 4-8 digits, as a string")
    send_timeout = float(cfg.notify.timeout_seconds)
    common = dict(baudrate=m.baudrate, mode=m.mode, smsc=m.smsc,
                  delivery_reports=m.delivery_reports, pin=pin,
                  state_dir=Path(cfg.paths.data) / "modem",
                  command_timeout=min(5.0, send_timeout), send_timeout=send_timeout)
    try:
        if m.backend == "simulated":
            from .simulated import SimulatedModem
            simulated = SimulatedModem(Path(cfg.paths.data) / "sim" / "modem").start()
            try:
                return SmsSender(str(simulated.path), simulated=simulated, **common)
            except BaseException:
                simulated.stop()
                raise
        return SmsSender(m.device, **common)
    except pdus.PduError as exc:
        raise ValueError(f"modem.smsc: {exc}") from None


__all__ = ["SmsError", "TransientSmsError", "PermanentSmsError", "DeliveryReport",
           "SmsSender", "open_sms_sender", "MAX_PARTS"]
