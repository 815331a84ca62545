"""The drawer's open/closed switch on a GPIO pin."""

from __future__ import annotations

import logging

from gpiozero import InputDevice

log = logging.getLogger(__name__)


class DrawerSensor:
    """The drawer switch on BCM pin ``pin``.

    ``open_when_high``: the pin level that means "open". ``pull_up``: True (default) for a
    switch to ground, False for a switch to 3.3 V, None when the circuit has its own pull
    resistor.
    """

    def __init__(self, pin: int, pin_factory, open_when_high: bool = True,
                 pull_up: bool | None = True):
        self.name = f"drawer sensor on GPIO{pin}"
        self._open_when_high = open_when_high
        # gpiozero wants an active_state only for a floating pin; is_open reads the raw level.
        self._input = InputDevice(pin, pull_up=pull_up,
                                  active_state=open_when_high if pull_up is None else None,
                                  pin_factory=pin_factory)
        self._closed = False

    @property
    def is_open(self) -> bool:
        if self._closed:
            raise RuntimeError(f"{self.name} is closed")
        return bool(self._input.pin.state) == self._open_when_high

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._input.close()

    def __enter__(self) -> DrawerSensor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
