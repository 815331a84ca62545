"""printerd: prints core's queued receipts and labels and opens the cash drawer.

One working loop: report the printer's status (DLE EOT) to core, long-poll core for the next
job, print it, report the outcome. A receipt counts as printed only when the status before
and after says the printer was ready; otherwise the job waits (with the reason on every
screen and on the status LED) and prints when the printer is back. A drawer kick is done
once or reported failed, never repeated. The printer connection is opened on demand and
dropped on any error, so an unplugged printer is picked up again when it comes back.

Label jobs (kind ``label``) go to the label printer of ``[label_printer]`` as TSPL, or with
``backend = "receipt"`` to the receipt printer as ESC/POS (then exactly like a receipt). A
TSPL label printer has no status query all of them answer, so a label job counts as printed
when the printer took the bytes, and fails with the reason when it did not (labels are not
money: a person prints them again rather than have them appear hours later).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from escpos.printer import Dummy

from appliance.backoff import Backoff
from appliance.durable import read_json, write_json
from appliance.printing.logo import from_document
from drivers.drawer.kick import printer_kick_bytes, realtime_kick_bytes
from drivers.drawer.watch import DrawerWatch
from drivers.indicators.status_light import pattern_for
from drivers.labels import escpos_label, transport as label_transport, tspl
from drivers.labels.layout import Label, LabelSize
from drivers.printer import escpos_out, status as printer_status, transport
from drivers.printer.layout import Line

from .daemon import CoreClient, CoreUnreachable, Daemon
from .live_devices import LED_TEST_SECONDS, DeviceTestFailed, Live

log = logging.getLogger(__name__)

STATUS_EVERY = 2.0       # seconds between status reports while idle
POLL_WAIT = 2.0          # long-poll wait; keeps the loop turning for the watchdog
REMEMBER_PRINTED = 500   # job ids kept to recognise a retried job
LEASE_RENEW = 20.0       # seconds between claim renewals while a job waits (core's lease: 60)
RELAY_WAIT = 8.0         # a kick waits this long for a relay pin being retried (RETRY_AFTER 5)


def answering(status: dict) -> bool:
    """The printer replied to the status query (it may still be stopped for paper)."""
    return status.get("error", "") in ("",) + printer_status.ERRORS_BY_SEVERITY


class PrintedIds:
    """Ids of jobs this printer has printed, on disk before core is told, so a job offered
    again (core never heard back) is reported, not printed twice."""

    def __init__(self, path: Path):
        self.path = path
        self.ids: list[str] = read_json(path, [])

    def __contains__(self, job_id: str) -> bool:
        return job_id in self.ids

    def add(self, job_id: str) -> None:
        self.ids = (self.ids + [job_id])[-REMEMBER_PRINTED:]
        write_json(self.path, self.ids)


class Printer:
    """The configured printer, opened lazily and closed after any transport error."""

    def __init__(self, cfg):
        self.cfg = cfg.printer
        p = self.cfg
        self.kwargs = dict(profile=p.profile, usb_vendor=p.usb_vendor,
                           usb_product=p.usb_product, serial_device=p.serial_device,
                           baudrate=p.serial_baudrate, host=p.host, port=p.port,
                           device=p.device, timeout=p.timeout_ms / 1000)
        self.name = transport.describe(p.backend, **self.kwargs)
        self.drawer_high = cfg.drawer.open_when_high
        self._dev = None

    def _open(self):
        if self._dev is None:
            self._dev = transport.open_printer(self.cfg.backend, **self.kwargs)
            log.info("printer %s connected", self.name)
        return self._dev

    def close(self) -> None:
        if self._dev is not None:
            try:
                self._dev.close()
            except Exception:  # noqa: BLE001 - it is being dropped anyway
                pass
            self._dev = None

    def status(self) -> printer_status.PrinterStatus:
        try:
            st = printer_status.query(self._open(), timeout=self.cfg.timeout_ms / 1000,
                                      drawer_open_when_high=self.drawer_high)
        except transport.PrinterUnavailable as exc:
            self.close()
            return printer_status.PrinterStatus(online=False, error=exc.reason)
        if st.error == "no_reply":
            self.close()  # a silent printer may have been unplugged: reconnect next time
        return st

    def send(self, data: bytes) -> None:
        try:
            self._open()._raw(data)
        except transport.PrinterUnavailable:
            self.close()
            raise
        except Exception as exc:
            self.close()
            raise transport.PrinterUnavailable("write_failed", f"printer {self.name}: {exc}") \
                from None

    def render_labels(self, document: dict) -> bytes:
        """A label job's bytes as ESC/POS slips for this printer (backend = "receipt")."""
        dummy = Dummy(profile=self.cfg.profile)
        escpos_label.render(dummy, [Label.from_payload(d) for d in document["labels"]],
                            document.get("kind", "shelf"), copies=document.get("copies", 1),
                            chinese=self.cfg.chinese, paper_mm=document.get("paper_mm", 80),
                            font_path=self.cfg.font)
        return dummy.output

    def render(self, document: dict) -> bytes:
        """The receipt's bytes for this printer's profile and Chinese mode."""
        dummy = Dummy(profile=self.cfg.profile)
        # The shop's logo (settings, laid out by core) before the config's printer.logo.
        logo = from_document(document["logo"]) if document.get("logo") else \
            (self.cfg.logo or None)
        escpos_out.render(dummy, [Line(**ln) for ln in document["lines"]],
                          qr_url=document.get("qr", ""), cut=document.get("cut", True),
                          chinese=self.cfg.chinese, paper_mm=document.get("paper_mm", 80),
                          logo=logo, font_path=self.cfg.font,
                          barcode=document.get("barcode", ""))
        return dummy.output


class LabelPrinter:
    """The TSPL label printer of ``[label_printer]``, opened for each job and closed after
    it (a label printer sits idle most of the day; it may be switched off meanwhile)."""

    def __init__(self, cfg):
        self.cfg = cfg.label_printer
        lp = self.cfg
        self.size = LabelSize(lp.width_mm, lp.height_mm, lp.gap_mm)
        self.kwargs = dict(usb_vendor=lp.usb_vendor, usb_product=lp.usb_product, host=lp.host,
                           port=lp.port, timeout=cfg.printer.timeout_ms / 1000)
        self.state_dir = cfg.sim_dir / "label_printer"
        self.name = label_transport.describe(lp.backend, usb_vendor=lp.usb_vendor,
                                             usb_product=lp.usb_product, host=lp.host,
                                             port=lp.port)

    def render(self, document: dict) -> bytes:
        return tspl.job_bytes([Label.from_payload(d) for d in document["labels"]], self.size,
                              document.get("kind", "shelf"), document.get("copies", 1))

    def send(self, data: bytes) -> None:
        dev = label_transport.open_label_printer(self.cfg.backend, state_dir=self.state_dir,
                                                 **self.kwargs)
        try:
            dev._raw(data)
        except label_transport.PrinterUnavailable:
            raise
        except Exception as exc:
            raise label_transport.PrinterUnavailable(
                "write_failed", f"{self.name}: {exc}", self.name) from None
        finally:
            dev.close()


class Printerd:
    def __init__(self, cfg, client: CoreClient, daemon: Daemon, *, pins=None,
                 pin_factory=None):
        self.cfg = cfg
        self.pin_factory = pin_factory
        # Device settings changed on the settings page apply without a restart (issue 11).
        self.live = Live(self, "printerd", ("printer", "label_printer", "drawer", "gpio"))
        self.client = client
        self.daemon = daemon
        self.printer = Printer(cfg) if cfg.printer.backend != "none" else None
        self.labels = LabelPrinter(cfg) \
            if cfg.label_printer.backend in label_transport.DEVICE_BACKENDS else None
        state = cfg.data_dir / "printerd"
        state.mkdir(parents=True, exist_ok=True)
        self.printed = PrintedIds(state / "printed.json")
        self.watch = DrawerWatch(cfg.drawer.open_alert_seconds or 10 ** 9)
        self.last_status: dict = {}
        self._next_status = 0.0
        self.uplink_ok = True
        self.core_ok = False
        self.low_stock = 0  # items at or below their low-stock level, as core last said
        self.pins = pins or GpioParts.none()

    # -- status ---------------------------------------------------------------------------

    def check_status(self, force: bool = False) -> dict:
        if not force and time.monotonic() < self._next_status:
            return self.last_status
        self._next_status = time.monotonic() + STATUS_EVERY
        if self.printer is None:
            st = {"ready": False, "reason": "no_printer", "device": "none"}
        else:
            s = self.printer.status()
            st = {**s.to_dict(), "ready": s.ready, "reason": s.reason,
                  "device": self.printer.name}
        if self.cfg.drawer.sensor == "gpio" and self.pins.drawer_sensor is not None:
            st["drawer_open"] = self.pins.drawer_sensor.is_open
        elif self.cfg.drawer.sensor == "none":
            st["drawer_open"] = None
        event = self.watch.update(st.get("drawer_open"))
        if event == "left_open":
            log.warning("cash drawer left open for %d s", self.watch.open_for)
        st["drawer_alert"] = bool(st.get("drawer_open")) and \
            self.watch.open_for >= (self.cfg.drawer.open_alert_seconds or 10 ** 9)
        if st.get("reason") != self.last_status.get("reason"):
            if st["ready"]:
                log.info("printer %s ready", st["device"])
            else:
                log.warning("printer %s not ready: %s", st["device"], st["reason"])
        self.last_status = st
        try:
            code, body = self.client.call("PUT", "/device/printer", st)
            self.core_ok = code == 200
            if body:
                self.uplink_ok = bool(body.get("uplink_ok", True))
                low = body.get("low_stock") or 0  # a core without stock alerts says nothing
                self.low_stock = low if isinstance(low, int) and not isinstance(low, bool) \
                    else 0
        except CoreUnreachable:
            self.core_ok = False
        self.pins.show(printer_ok=st["ready"], uplink_ok=self.uplink_ok, error=not self.core_ok,
                       low_stock=self.low_stock > 0)
        return st

    # -- jobs -----------------------------------------------------------------------------

    def report(self, job: dict, state: str, reason: str = "") -> dict | None:
        """Tell core; retried until core answers (it may be restarting)."""
        backoff = Backoff()
        while not self.daemon.stop.is_set():
            self.daemon.alive()
            try:
                code, body = self.client.call("POST", f"/device/print-jobs/{job['id']}",
                                              {"state": state, "reason": reason})
                if code == 200:
                    return body
                log.error("core refused the report %s for job %s: %s %s", state, job["id"],
                          code, body)
                return body
            except CoreUnreachable as exc:
                log.warning("%s; retrying", exc)
                self.daemon.sleep(backoff.next())
        return None

    def handle(self, job: dict) -> None:
        if job["id"] in self.printed:
            log.info("job %s was printed before core heard of it; reporting it", job["id"])
            self.report(job, "printed")
            return
        if job["kind"] == "drawer":
            self.kick(job)
        elif job["kind"] == "label":
            self.print_labels(job)
        else:
            self.print_document(job)

    def kick(self, job: dict) -> None:
        how = self.cfg.drawer.kick
        try:
            if how == "none":
                raise transport.PrinterUnavailable("no_drawer", "no cash drawer is configured")
            if how == "gpio":
                if self.pins.relay is None:
                    self._wait_for_relay()
                if self.pins.relay is None:
                    raise transport.PrinterUnavailable("no_drawer", "drawer.relay_pin is not set")
                self.pins.relay.kick()
            else:
                if self.printer is None:
                    raise transport.PrinterUnavailable("no_printer", "no printer is configured")
                d = self.cfg.drawer
                before = self.check_status(force=True)
                if not answering(before):
                    raise transport.PrinterUnavailable(before["reason"], "printer not answering")
                # ESC p would sit in the buffer of a printer that is out of paper; the
                # real-time pulse opens the drawer anyway, so the cashier can give change.
                self.printer.send(printer_kick_bytes(d.pin, d.on_ms, d.off_ms)
                                  if before["ready"] else realtime_kick_bytes(d.pin, d.on_ms))
                after = self.check_status(force=True)  # the printer took the bytes
                if not answering(after):
                    raise transport.PrinterUnavailable(after["reason"], "printer went away")
        except transport.PrinterUnavailable as exc:
            # Never retried: a drawer popping open minutes later is a cash-control problem.
            log.error("drawer kick %s failed: %s", job["id"], exc)
            self.report(job, "failed", exc.reason)
            return
        self.printed.add(job["id"])
        log.info("drawer kicked (job %s)", job["id"])
        self.report(job, "printed")

    def _wait_for_relay(self) -> None:
        """A new relay pin the settings page set is not taken yet (its pin still held, a
        retry pending): the sale's kick waits for that retry rather than failing at once."""
        deadline = time.monotonic() + RELAY_WAIT
        while self.pins.relay is None and self.live.retry_at is not None and \
                time.monotonic() < deadline and not self.daemon.stop.is_set():
            self.daemon.alive()
            self.daemon.sleep(0.1)
            self.live.tick()

    def print_document(self, job: dict) -> None:
        document = job.get("document") or {}
        if self.printer is None:
            self.report(job, "failed", "no_printer")
            return
        self.print_on_receipt_printer(job, lambda printer: printer.render(document))

    def _render(self, job: dict, render) -> bytes | None:
        """The job's bytes for the printer now configured, or None (reported failed)."""
        try:
            return render(self.printer)
        except Exception as exc:  # noqa: BLE001 - a receipt that cannot be drawn must not jam printing
            reason = getattr(exc, "reason", "") or \
                ("logo" if "logo" in str(exc) else "layout")
            log.error("job %s cannot be rendered for this printer: %s", job["id"], exc)
            self.report(job, "failed", reason)
            return None

    def print_labels(self, job: dict) -> None:
        document = job.get("document") or {}
        backend = self.cfg.label_printer.backend
        if backend == "receipt":
            if self.printer is None:
                self.report(job, "failed", "no_printer")
                return
            self.print_on_receipt_printer(job, lambda printer: printer.render_labels(document))
            return
        if self.labels is None:
            log.error("label job %s: no label printer is configured", job["id"])
            self.report(job, "failed", "no_label_printer")
            return
        try:
            data = self.labels.render(document)
        except Exception as exc:  # noqa: BLE001 - as above
            log.error("label job %s cannot be rendered: %s", job["id"], exc)
            self.report(job, "failed", "layout")
            return
        try:
            self.labels.send(data)
        except (label_transport.PrinterUnavailable, ValueError) as exc:
            log.error("label job %s not printed: %s", job["id"], exc)
            self.report(job, "failed", getattr(exc, "reason", "") or "config")
            return
        self.printed.add(job["id"])
        log.info("printed label job %s (%d label(s), %d bytes) on %s", job["id"],
                 len(document.get("labels", [])), len(data), self.labels.name)
        self.report(job, "printed")

    def print_on_receipt_printer(self, job: dict, render) -> None:
        """Print what ``render(printer)`` draws once the printer is ready, confirmed by its
        status after. When the settings page changes the printer while the job waits (paper,
        cover), it is drawn again for the new one: its code page, profile and width."""
        printer = self.printer
        data = self._render(job, render)
        if data is None:
            return
        told, told_at = None, 0.0
        while not self.daemon.stop.is_set():
            self.daemon.alive()
            if self.printer is not printer:
                if self.printer is None:
                    log.error("job %s not printed: the printer was switched off", job["id"])
                    self.report(job, "failed", "no_printer")
                    return
                printer = self.printer
                log.info("job %s drawn again for %s", job["id"], printer.name)
                data = self._render(job, render)
                if data is None:
                    return
            before = self.check_status(force=True)
            if before["ready"]:
                try:
                    self.printer.send(data)
                    after = self.check_status(force=True)
                except transport.PrinterUnavailable as exc:
                    after = {"ready": False, "reason": exc.reason}
                if after["ready"]:
                    self.printed.add(job["id"])
                    log.info("printed %s job %s (%d bytes) on %s", job["kind"], job["id"],
                             len(data), self.printer.name)
                    self.report(job, "printed")
                    return
                # Paper ran out or the cover opened mid-receipt: it may be cut short, so it
                # prints again in full when the printer is back (at least once).
                reason = after["reason"] or "offline"
            else:
                reason = before["reason"] or "offline"
            # Say why it waits when that changes, and renew the claim now and then; core
            # answers with the job's state, which turns to expired after an hour.
            if reason != told or time.monotonic() - told_at > LEASE_RENEW:
                told, told_at = reason, time.monotonic()
                body = self.report(job, "waiting", reason)
                if body and body.get("state") not in ("printing", "waiting"):
                    log.warning("job %s is %s now; dropping it", job["id"], body.get("state"))
                    return
            # The sale's drawer kick, and labels for a printer of their own, must not wait
            # behind a receipt stuck for paper.
            self.take_jobs_that_cannot_wait()
            self.live.tick()   # the owner may be fixing the printer's settings meanwhile
            self.daemon.sleep(STATUS_EVERY)

    def take_jobs_that_cannot_wait(self) -> None:
        for kind in ("drawer", "label") if self.labels is not None else ("drawer",):
            try:
                code, job = self.client.call("GET", f"/device/print-jobs/next?kind={kind}")
            except CoreUnreachable:
                return
            if code == 200 and job:
                self.handle(job)

    # -- the loop ---------------------------------------------------------------------------

    def run(self) -> None:
        backoff = Backoff()
        while not self.daemon.stop.is_set():
            self.daemon.alive()
            self.live.tick()
            self.check_status()
            if self.pins.take_reprint_press():
                self._reprint_button()
            try:
                code, job = self.client.call("GET", f"/device/print-jobs/next?wait={POLL_WAIT}",
                                             timeout=POLL_WAIT + 5)
            except CoreUnreachable as exc:
                log.warning("%s", exc)
                self.daemon.sleep(backoff.next())
                continue
            backoff.reset()
            if code == 200 and job:
                try:
                    self.handle(job)
                except Exception:  # noqa: BLE001 - one bad job must not stop the printing
                    log.exception("job %s failed unexpectedly", job.get("id"))
                    self.report(job, "failed", "internal_error")
            elif code != 204:
                log.error("core answered %s to the job poll: %s", code, job)
                self.daemon.sleep(backoff.next())

    def _reprint_button(self) -> None:
        try:
            code, body = self.client.call("POST", "/device/button", {"button": "reprint"})
        except CoreUnreachable as exc:
            log.warning("reprint button: %s", exc)
            return
        if code != 201:
            log.warning("reprint button refused: %s", (body or {}).get("error"))

    # -- settings changed while running, device tests (issue 11; services/live_devices.py) --

    def reconfigure(self, new) -> None:
        """Close what the new configuration changes and open it again with the new values.
        Raises when a part cannot be opened yet (a pin still held elsewhere): self.cfg then
        stays the old one, so the retry redoes every changed part."""
        old = self.cfg
        if old.printer.as_dict() != new.printer.as_dict() or \
                old.drawer.open_when_high != new.drawer.open_when_high:
            if self.printer is not None:
                self.printer.close()
            self.printer = Printer(new) if new.printer.backend != "none" else None
            self._next_status = 0.0   # report the new printer's state at once
        self.labels = LabelPrinter(new) \
            if new.label_printer.backend in label_transport.DEVICE_BACKENDS else None
        if old.drawer.open_alert_seconds != new.drawer.open_alert_seconds:
            self.watch = DrawerWatch(new.drawer.open_alert_seconds or 10 ** 9)
        if old.gpio.as_dict() != new.gpio.as_dict() or old.drawer.as_dict() != \
                new.drawer.as_dict():
            self._reopen_pins(old, new)
        self.cfg = new
        log.info("now printing on %s", self.printer.name if self.printer else "no printer")

    def _reopen_pins(self, old, new) -> None:
        """Close and open again only the parts whose keys changed (the drawer relay stays
        while the LED moves); all of them, on a new pin factory, when the backend changed."""
        new_backend = self.pin_factory is None or old.gpio.backend != new.gpio.backend
        names = list(GpioParts.PART_KEYS) if new_backend else [
            name for name, keys in GpioParts.PART_KEYS.items()
            if any(getattr(getattr(old, s), k) != getattr(getattr(new, s), k) for s, k in keys)]
        # Closed first: a part may move to the pin another one frees.
        for name in names:
            self.pins.close_part(name)
        if new_backend and self.pin_factory is not None:
            self.pin_factory.close()
            self.pin_factory = None
        if new.gpio.backend == "none" or not names:
            return
        if self.pin_factory is None:
            from drivers.gpio import pin_factory
            self.pin_factory = pin_factory(new.gpio.backend)
        try:
            self.pins.open_parts(new, self.pin_factory, names)
        except Exception:
            for name in names:      # free what it took; the retry opens them all again
                self.pins.close_part(name)
            raise

    def device_command(self, action: str) -> dict:
        """A test from the settings page: blink the status LED, or read the inputs."""
        if action == "blink":
            if self.pins.light is None:
                raise DeviceTestFailed("no_led")
            self.pins.led_test_until = time.monotonic() + LED_TEST_SECONDS
            self.pins.light.show("printer")   # fast blink, then back to the real pattern
            return {}
        if action == "inputs":
            out: dict = {}
            if self.pins.button is not None:
                out["button_pressed"] = bool(self.pins.button._button.is_pressed)
            if self.pins.drawer_sensor is not None:
                out["drawer_open"] = bool(self.pins.drawer_sensor.is_open)
            return out
        raise DeviceTestFailed("unknown_action")

    def close(self) -> None:
        if self.printer is not None:
            self.printer.close()
        self.pins.close()


class GpioParts:
    """printerd's pins: status LED, reprint button, drawer relay and drawer switch."""

    #: Each part and the configuration keys (section, name) it is opened with.
    PART_KEYS = {"light": (("gpio", "status_led_pin"),),
                 "button": (("gpio", "button_pin"),),
                 "relay": (("drawer", "kick"), ("drawer", "relay_pin"),
                           ("drawer", "relay_pulse_ms")),
                 "drawer_sensor": (("drawer", "sensor"), ("drawer", "sensor_pin"),
                                   ("drawer", "open_when_high"))}

    def __init__(self, light=None, button=None, relay=None, drawer_sensor=None):
        self.light, self.button, self.relay = light, button, relay
        self.drawer_sensor = drawer_sensor
        self._pressed = threading.Event()
        self.usb_watch = None   # appliance.backup.status.UsbLedWatch
        self.led_test_until = 0.0   # the settings page's LED test blinks until then

    @classmethod
    def none(cls) -> "GpioParts":
        return cls()

    @classmethod
    def from_config(cls, cfg, factory) -> "GpioParts":
        parts = cls()
        try:
            parts.open_parts(cfg, factory, list(cls.PART_KEYS))
        except Exception:
            parts.close()
            raise
        return parts

    def open_parts(self, cfg, factory, names) -> None:
        """Open the parts ``names`` (closed now) as ``cfg`` says."""
        from drivers.drawer.relay import RelayDrawer
        from drivers.drawer.sensor import DrawerSensor
        from drivers.indicators.button import ReprintButton
        from drivers.indicators.status_light import StatusLight
        g, d = cfg.gpio, cfg.drawer
        if "light" in names and g.status_led_pin:
            from appliance.backup.status import UsbLedWatch
            self.light = StatusLight(g.status_led_pin, factory)
            self.usb_watch = UsbLedWatch(cfg.data_dir)
        if "button" in names and g.button_pin:
            # gpiozero calls back on its own thread: only set a flag for the loop.
            self.button = ReprintButton(g.button_pin, factory, self._pressed.set)
        if "relay" in names and d.kick == "gpio" and d.relay_pin:
            self.relay = RelayDrawer(d.relay_pin, factory, pulse_ms=d.relay_pulse_ms)
        if "drawer_sensor" in names and d.sensor == "gpio" and d.sensor_pin:
            self.drawer_sensor = DrawerSensor(d.sensor_pin, factory,
                                              open_when_high=d.open_when_high)

    def close_part(self, name: str) -> None:
        part = getattr(self, name)
        if part is not None:
            part.close()
            setattr(self, name, None)
        if name == "light":
            self.usb_watch = None

    def take_reprint_press(self) -> bool:
        if self._pressed.is_set():
            self._pressed.clear()
            return True
        return False

    def show(self, *, printer_ok: bool, uplink_ok: bool, error: bool,
             low_stock: bool = False) -> None:
        if self.light is not None and time.monotonic() >= self.led_test_until:
            # A USB backup in progress (or just finished) is shown over everything else.
            usb = self.usb_watch.pattern() if self.usb_watch is not None else None
            self.light.show(usb or pattern_for(printer_ok, uplink_ok, error, low_stock))

    def close(self) -> None:
        for part in (self.light, self.button, self.relay, self.drawer_sensor):
            if part is not None:
                part.close()


def serve(cfg) -> None:
    daemon = Daemon("printerd")
    daemon.install_signals()
    client = CoreClient.from_config(cfg, "printerd")
    pins, factory = GpioParts.none(), None
    if cfg.gpio.backend != "none":
        from drivers.gpio import pin_factory
        factory = pin_factory(cfg.gpio.backend)
        pins = GpioParts.from_config(cfg, factory)
    worker = Printerd(cfg, client, daemon, pins=pins, pin_factory=factory)
    name = worker.printer.name if worker.printer else "no printer"
    daemon.ready(f"printing on {name}")
    try:
        worker.run()
    finally:
        worker.close()
        log.info("printerd stopped")
