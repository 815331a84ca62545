"""The status LED beside the till: one light, a few blink patterns a cashier can tell apart."""

from __future__ import annotations

import logging
import threading

from gpiozero import LED

log = logging.getLogger(__name__)

# Each blinking pattern is a cycle of (on_seconds, off_seconds) steps, repeated until changed.
STEADY = {"ready": True, "off": False}
BLINKS: dict[str, tuple[tuple[float, float], ...]] = {
    "offline": ((1.0, 1.0),),                  # head office unreachable: slow blink
    "printer": ((0.2, 0.2),),                  # printer problem: fast blink
    "error": ((0.15, 0.15), (0.15, 0.85)),     # double flash, then a pause
    # Items at or below their low-stock level: on, with a short dark wink every 3 s ("ready,
    # but look at the stock"); shown only when nothing else is wrong.
    "stock": ((2.7, 0.3),),
    # A backup being written to a USB stick (do not pull it): a rapid flicker, shown over
    # everything else; then done (safe to pull: three quick flashes, a pause) for 15 s, or
    # failed (long, short: "look at the settings page") for 60 s. appliance/backup/status.py.
    "usb_writing": ((0.06, 0.06),),
    "usb_done": ((0.1, 0.1), (0.1, 0.1), (0.1, 0.9)),
    "usb_failed": ((0.8, 0.2), (0.2, 0.8)),
}
PATTERNS = tuple(STEADY) + tuple(BLINKS)


def pattern_for(printer_ok: bool, uplink_ok: bool, error: bool,
                low_stock: bool = False) -> str:
    """The one pattern to show when several things are wrong:
    error > printer > offline > stock."""
    if error:
        return "error"
    if not printer_ok:
        return "printer"
    if not uplink_ok:
        return "offline"
    if low_stock:
        return "stock"
    return "ready"


class StatusLight:
    """An LED on BCM pin ``pin`` showing one of PATTERNS. ``time_scale`` shortens the blink
    timings for tests; the default is the real timing."""

    def __init__(self, pin: int, pin_factory, *, time_scale: float = 1.0):
        if time_scale <= 0:
            raise ValueError(f"status light time_scale={time_scale} must be positive")
        self.name = f"status light on GPIO{pin}"
        self._scale = time_scale
        self._lock = threading.Lock()
        self._led = LED(pin, initial_value=False, pin_factory=pin_factory)
        self._pattern = "off"
        self._stop: threading.Event | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def pattern(self) -> str:
        return self._pattern

    def show(self, pattern: str) -> None:
        """Switch to ``pattern``; showing the current one again leaves its blink running."""
        if pattern not in PATTERNS:
            raise ValueError(f"{self.name}: unknown pattern {pattern!r}, use one of "
                             f"{', '.join(PATTERNS)}")
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self.name} is closed")
            if pattern == self._pattern:
                return
            self._stop_blinking()
            if pattern in STEADY:
                self._led.value = STEADY[pattern]
            else:
                self._start_blinking(BLINKS[pattern])
            log.info("%s: %s -> %s", self.name, self._pattern, pattern)
            self._pattern = pattern

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._stop_blinking()
            self._led.off()   # a closed light must not stay lit
            self._led.close()

    def __enter__(self) -> StatusLight:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start_blinking(self, steps) -> None:
        # Our own thread rather than LED.blink(): gpiozero only blinks evenly, and "error"
        # needs uneven steps. Each thread gets its own stop flag so a stale one cannot linger.
        stop = threading.Event()
        thread = threading.Thread(target=self._blink, args=(steps, stop),
                                  name=f"{self.name} blink", daemon=True)
        self._stop, self._thread = stop, thread
        thread.start()

    def _blink(self, steps, stop: threading.Event) -> None:
        while True:
            for on_s, off_s in steps:
                self._led.on()
                if stop.wait(on_s * self._scale):
                    return
                self._led.off()
                if stop.wait(off_s * self._scale):
                    return

    def _stop_blinking(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=1.0)
        if self._thread.is_alive():
            log.warning("%s: blink thread did not stop within 1 s", self.name)
        self._stop = self._thread = None
