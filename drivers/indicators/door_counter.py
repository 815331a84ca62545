"""The door counter: a beam-break sensor or door contact, one activation per visitor."""

from __future__ import annotations

import logging
import threading

from gpiozero import DigitalInputDevice

log = logging.getLogger(__name__)


class DoorCounter:
    """Counts activations of BCM pin ``pin``.

    With ``pull_up=True`` (default) the pin is active when pulled to ground, which fits an
    open-collector beam-break receiver (low when the beam is broken) and a contact to ground.
    Counting happens on gpiozero's event thread; take() and total are safe from any thread.
    """

    def __init__(self, pin: int, pin_factory, bounce_time: float = 0.2, *,
                 pull_up: bool = True):
        self.name = f"door counter on GPIO{pin}"
        self._lock = threading.Lock()
        self._since_take = 0
        self._total = 0
        self._sensor = DigitalInputDevice(pin, pull_up=pull_up, bounce_time=bounce_time,
                                          pin_factory=pin_factory)
        self._sensor.when_activated = self._visitor
        self._closed = False

    def take(self) -> int:
        """Visitors since the previous take() (or since start); resets that count."""
        with self._lock:
            n, self._since_take = self._since_take, 0
        return n

    @property
    def total(self) -> int:
        """Visitors since start."""
        with self._lock:
            return self._total

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._sensor.when_activated = None
        self._sensor.close()

    def __enter__(self) -> DoorCounter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _visitor(self) -> None:
        with self._lock:
            self._since_take += 1
            self._total += 1
