"""The reprint button: one press asks printerd to print the last receipt again."""

from __future__ import annotations

import logging
from typing import Callable

from gpiozero import Button

log = logging.getLogger(__name__)


class ReprintButton:
    """A push button from BCM pin ``pin`` to ground (internal pull-up).

    ``on_press()`` runs on gpiozero's event thread once per press, so it must only hand the
    work off (put it on a queue, set an Event) and return; anything it raises is logged here
    and never reaches gpiozero.
    """

    def __init__(self, pin: int, pin_factory, on_press: Callable[[], None],
                 bounce_time: float = 0.05):
        self.name = f"reprint button on GPIO{pin}"
        self._on_press = on_press
        self._button = Button(pin, pull_up=True, bounce_time=bounce_time,
                              pin_factory=pin_factory)
        self._button.when_pressed = self._pressed
        self._closed = False

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._button.when_pressed = None
        self._button.close()

    def __enter__(self) -> ReprintButton:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _pressed(self) -> None:
        log.debug("%s pressed", self.name)
        try:
            self._on_press()
        except Exception:
            log.exception("%s: the press handler failed", self.name)
