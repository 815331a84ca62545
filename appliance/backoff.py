"""Retry delays for anything that reconnects (scanners, printers, core, the broker)."""

from __future__ import annotations


class Backoff:
    """Delays between attempts: ``initial`` doubling up to ``maximum``; ``reset()`` after a
    success."""

    def __init__(self, initial: float = 0.5, maximum: float = 10.0):
        if initial <= 0 or maximum < initial:
            raise ValueError(f"backoff {initial}..{maximum} s: need 0 < initial <= maximum")
        self.initial, self.maximum = initial, maximum
        self._next = initial

    def next(self) -> float:
        delay = self._next
        self._next = min(self._next * 2, self.maximum)
        return delay

    def reset(self) -> None:
        self._next = self.initial
