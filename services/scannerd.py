"""scannerd: reads the barcode scanners and posts each code to core; owns the buzzer and
the door counter.

Each scanner runs in its own thread (a source from drivers/scanner) and hands codes to the
working loop through a queue; the loop posts them to core, which decides what the code
means and answers at once whether it was good, and the buzzer says so. Sources reconnect by
themselves when a scanner is unplugged and plugged back.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid

from appliance.backoff import Backoff

from .daemon import CoreClient, CoreUnreachable, Daemon
from .live_devices import DeviceTestFailed, Live

log = logging.getLogger(__name__)

DOOR_REPORT_EVERY = 60.0
STALLED_AFTER = 10.0   # a source whose loop has not turned this long is wedged


def sources_from_config(cfg) -> list:
    s = cfg.scanner
    devices = [d.strip() for d in s.devices.split(",") if d.strip()]
    if s.backend == "evdev":
        from drivers.scanner.hid import HidScanner
        return [HidScanner(d, layout=s.keyboard_layout, suffix=s.suffix, grab=s.grab)
                for d in devices]
    if s.backend == "serial":
        from drivers.scanner.serial_scanner import SerialScanner
        return [SerialScanner(d, baudrate=s.serial_baudrate) for d in devices]
    if s.backend == "simulated":
        from drivers.scanner.simulated import FifoScanner
        cfg.sim_dir.mkdir(parents=True, exist_ok=True)
        return [FifoScanner(cfg.sim_dir / "scanner.fifo")] + \
            [_serial(d, s.serial_baudrate) for d in devices]  # e.g. a pty for tests
    return []


def _serial(device: str, baudrate: int):
    from drivers.scanner.serial_scanner import SerialScanner
    return SerialScanner(device, baudrate=baudrate)


class Scannerd:
    def __init__(self, cfg, client: CoreClient, daemon: Daemon, sources: list, *,
                 buzzer=None, door=None, pin_factory=None):
        self.cfg = cfg
        self.pin_factory = pin_factory
        # The scanners' own stop: set to swap them when the settings page changes them.
        self._sources_stop = threading.Event()
        self.live = Live(self, "scannerd", ("scanner", "gpio"))
        self.client = client
        self.daemon = daemon
        self.sources = sources
        self.buzzer = buzzer
        self.door = door
        self.codes: queue.Queue = queue.Queue(maxsize=100)
        self.threads: list[threading.Thread] = []
        self._door_due = time.monotonic() + DOOR_REPORT_EVERY
        self._door_unsent = 0

    def _emit(self, device: str, code: str) -> None:
        try:
            self.codes.put_nowait((device, code, time.monotonic()))
        except queue.Full:  # core is not taking scans; a person hears the error beep
            log.warning("scan from %s dropped: too many waiting for core", device)
            self._beep(False)

    def start(self) -> None:
        for src in self.sources:
            t = threading.Thread(target=src.run, args=(self._emit, self._sources_stop),
                                 name=f"scanner {src.describe()}", daemon=True)
            t.start()
            self.threads.append(t)
            log.info("reading scanner %s", src.describe())

    def healthy(self) -> bool:
        now = time.monotonic()
        return all(t.is_alive() for t in self.threads) and \
            all(now - getattr(s, "heartbeat", now) < STALLED_AFTER for s in self.sources)

    def post(self, device: str, code: str) -> bool:
        # One id per scan: if core added the item but its answer was lost, the retry gets
        # that answer again rather than a second line.
        scan_id = uuid.uuid4().hex
        backoff = Backoff(0.2, 1.0)
        for _attempt in range(3):
            try:
                status, body = self.client.call("POST", "/device/scans",
                                                {"code": code, "device": device,
                                                 "scan_id": scan_id})
            except CoreUnreachable as exc:
                log.warning("scan from %s not delivered: %s", device, exc)
                if self.daemon.sleep(backoff.next()):
                    return False
                continue
            ok = status == 200 and bool(body and body.get("ok"))
            if not ok:
                log.info("scan %r from %s refused: %s", code, device,
                         (body or {}).get("error") or status)
            return ok
        return False

    def _beep(self, ok: bool) -> None:
        if self.buzzer is not None:
            self.buzzer.ok() if ok else self.buzzer.error()

    def report_door(self) -> None:
        if self.door is None or time.monotonic() < self._door_due:
            return
        self._door_due = time.monotonic() + DOOR_REPORT_EVERY
        self._door_unsent += self.door.take()
        if not self._door_unsent:
            return
        try:
            status, _body = self.client.call("POST", "/device/visitors",
                                             {"count": self._door_unsent})
            if status == 200:
                self._door_unsent = 0
        except CoreUnreachable:
            pass  # kept and sent with the next report

    def run(self) -> None:
        self.start()
        while not self.daemon.stop.is_set():
            if self.healthy():
                self.daemon.alive()
            else:
                log.error("a scanner loop is stuck; not feeding the watchdog")
            self.report_door()
            self.live.tick()
            try:
                device, code, _at = self.codes.get(timeout=0.5)
            except queue.Empty:
                continue
            self._beep(self.post(device, code))

    def close(self) -> None:
        self.daemon.stop.set()
        self._sources_stop.set()
        for t in self.threads:
            t.join(timeout=2)
        for part in (self.buzzer, self.door):
            if part is not None:
                part.close()

    # -- settings changed while running, device tests (issue 11; services/live_devices.py) --

    def reconfigure(self, new) -> None:
        """Swap the scanners and the buzzer and door pins for the new configuration
        (self.cfg changes last: a part that fails is tried again, see Printerd.reconfigure)."""
        old = self.cfg
        if old.scanner.as_dict() != new.scanner.as_dict():
            self._sources_stop.set()
            for t in self.threads:
                t.join(timeout=2)
            for src in self.sources:
                src.close()
            self._sources_stop = threading.Event()
            self.threads = []
            self.sources = sources_from_config(new)
            self.start()
            log.info("now reading %s", ", ".join(s.describe() for s in self.sources)
                     or "no scanner")
        if old.gpio.as_dict() != new.gpio.as_dict():
            if self.door is not None:
                self._door_unsent += self.door.take()   # counted visitors are kept
            for part in (self.buzzer, self.door):
                if part is not None:
                    part.close()
            self.buzzer = self.door = None
            if new.gpio.backend != "none":
                if self.pin_factory is None or old.gpio.backend != new.gpio.backend:
                    from drivers.gpio import pin_factory
                    self.pin_factory = pin_factory(new.gpio.backend)
                try:
                    self.buzzer, self.door = gpio_parts(new, self.pin_factory)
                except Exception:
                    # Free the pins it took before failing; a fresh factory next time.
                    self.pin_factory.close()
                    self.pin_factory = None
                    raise
        self.cfg = new

    def device_command(self, action: str) -> dict:
        """A test from the settings page: beep, or read the door counter."""
        if action == "beep":
            if self.buzzer is None:
                raise DeviceTestFailed("no_buzzer")
            self.buzzer.ok()
            return {}
        if action == "inputs":
            if self.door is None:
                return {}
            return {"door_active": bool(self.door._sensor.is_active),
                    "door_count": self.door.total()}
        raise DeviceTestFailed("unknown_action")


def gpio_parts(cfg, factory) -> tuple:
    """scannerd's pins: (buzzer or None, door counter or None)."""
    buzzer = door = None
    if cfg.gpio.buzzer_pin:
        from drivers.indicators.buzzer import Buzzer
        buzzer = Buzzer(cfg.gpio.buzzer_pin, factory)
    if cfg.gpio.door_pin:
        from drivers.indicators.door_counter import DoorCounter
        door = DoorCounter(cfg.gpio.door_pin, factory)
    return buzzer, door


def serve(cfg) -> None:
    daemon = Daemon("scannerd")
    daemon.install_signals()
    client = CoreClient.from_config(cfg, "scannerd")
    buzzer = door = factory = None
    if cfg.gpio.backend != "none":
        from drivers.gpio import pin_factory
        factory = pin_factory(cfg.gpio.backend)
        buzzer, door = gpio_parts(cfg, factory)
    sources = sources_from_config(cfg)
    worker = Scannerd(cfg, client, daemon, sources, buzzer=buzzer, door=door,
                      pin_factory=factory)
    names = ", ".join(s.describe() for s in sources) or "no scanner configured"
    daemon.ready(f"reading {names}")
    try:
        worker.run()
    finally:
        worker.close()
        log.info("scannerd stopped")
