"""The buzzer: a short beep for a good scan, three for a rejected one."""

from __future__ import annotations

import logging
import threading

from gpiozero import Buzzer as _GpioBuzzer

log = logging.getLogger(__name__)


class Buzzer:
    """An active buzzer on BCM pin ``pin``. Beeps play in gpiozero's background thread, so
    ok() and error() return at once; a new signal cuts off the one still playing."""

    def __init__(self, pin: int, pin_factory, *, beep_s: float = 0.08):
        if beep_s <= 0:
            raise ValueError(f"buzzer beep_s={beep_s} must be positive")
        self.name = f"buzzer on GPIO{pin}"
        self._beep_s = beep_s
        self._lock = threading.Lock()
        self._buzzer = _GpioBuzzer(pin, initial_value=False, pin_factory=pin_factory)
        self._closed = False

    def ok(self) -> None:
        """One short beep."""
        self._beep(1)

    def error(self) -> None:
        """Three short beeps."""
        self._beep(3)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._buzzer.off()   # stops a beep in progress, too
            self._buzzer.close()

    def __enter__(self) -> Buzzer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _beep(self, n: int) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self.name} is closed")
            self._buzzer.beep(on_time=self._beep_s, off_time=self._beep_s, n=n,
                              background=True)
