"""Drawer kick through a relay on a GPIO pin, for drawers not wired to the printer."""

from __future__ import annotations

import logging
import threading
from time import sleep

from gpiozero import DigitalOutputDevice

log = logging.getLogger(__name__)

MAX_PULSE_MS = 2000   # as drawer.relay_pulse_ms allows; a solenoid held much longer overheats


class RelayDrawer:
    """A relay on BCM pin ``pin`` that opens the drawer while energised."""

    def __init__(self, pin: int, pin_factory, pulse_ms: int = 200, active_high: bool = True):
        if isinstance(pulse_ms, bool) or not isinstance(pulse_ms, int) \
                or not 1 <= pulse_ms <= MAX_PULSE_MS:
            raise ValueError(f"drawer relay pulse_ms={pulse_ms!r} is out of range: "
                             f"use 1..{MAX_PULSE_MS} ms")
        self.name = f"drawer relay on GPIO{pin}"
        self.pulse_ms = pulse_ms
        self._lock = threading.Lock()   # two kicks at once must not cut each other's pulse
        self._relay = DigitalOutputDevice(pin, active_high=active_high, initial_value=False,
                                          pin_factory=pin_factory)
        self._closed = False

    def kick(self) -> None:
        """Energise the relay for pulse_ms, then release it; blocks for the pulse."""
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self.name} is closed")
            try:
                self._relay.on()
                sleep(self.pulse_ms / 1000)
            finally:
                # Released even on KeyboardInterrupt/SystemExit: a held solenoid overheats.
                self._relay.off()
        log.info("%s: drawer kicked (%d ms)", self.name, self.pulse_ms)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._relay.off()
            self._relay.close()

    def __enter__(self) -> RelayDrawer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
