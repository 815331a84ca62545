"""Turns drawer sensor readings into events: opened, closed, left open too long."""

from __future__ import annotations

import time
from typing import Callable


class DrawerWatch:
    """Feed it a reading now and then; it answers with an event code or None.

    A reading of None (sensor unreadable, printer offline) changes nothing: the last known
    state is kept and no "left_open" alert is raised on a guess. The first reading of an open
    drawer counts as "opened"; a first reading of closed is simply the resting state.
    """

    def __init__(self, alert_after_s: float, clock: Callable[[], float] = time.monotonic):
        if alert_after_s < 0:
            raise ValueError(f"drawer watch alert_after_s={alert_after_s} must be >= 0")
        self.alert_after_s = alert_after_s
        self._clock = clock
        self._opened_at: float | None = None   # None while closed or not yet known
        self._alerted = False

    @property
    def open_for(self) -> float:
        """Seconds since the drawer was seen to open; 0.0 while closed."""
        if self._opened_at is None:
            return 0.0
        return self._clock() - self._opened_at

    def update(self, is_open: bool | None) -> str | None:
        """"opened", "closed", "left_open" (once per opening) or None."""
        if is_open is None:
            return None
        if is_open:
            if self._opened_at is None:
                self._opened_at = self._clock()
                self._alerted = False
                return "opened"
            if not self._alerted and self.open_for > self.alert_after_s:
                self._alerted = True
                return "left_open"
            return None
        if self._opened_at is not None:
            self._opened_at = None
            return "closed"
        return None
