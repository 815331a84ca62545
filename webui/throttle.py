"""Login throttling: a PIN is short, so guessing must be slow.

Two counters, each with a lock-out that doubles while failures continue:

* per account (when the screen names who is signing in): 10 failures, then 30 s, 60 s, ...
  up to an hour; a success clears it;
* per address: 20 failures within 15 minutes, then the same growing lock-out, because a PIN
  alone names no account and a phone on the shop Wi-Fi could otherwise try them all.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass
class _Counter:
    failures: list[float] = field(default_factory=list)
    locked_until: float = 0.0
    lockouts: int = 0


class LoginThrottle:
    ACCOUNT_LIMIT = 10
    ADDRESS_LIMIT = 20
    ADDRESS_WINDOW = 15 * 60
    FIRST_LOCKOUT = 30.0
    MAX_LOCKOUT = 3600.0

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._checking: dict[str, threading.Lock] = {}
        self._accounts: dict[str, _Counter] = {}
        self._addresses: dict[str, _Counter] = {}

    def checking(self, address: str) -> threading.Lock:
        """Held around a PIN check: parallel guesses from one address are counted one by one
        (else a burst would all pass the limit before the first failure is recorded)."""
        with self._lock:
            return self._checking.setdefault(address, threading.Lock())

    def retry_after(self, address: str, account: str | None = None) -> float:
        """Seconds until this address (and account) may try again; 0 when it may now."""
        now = self._clock()
        with self._lock:
            waits = [self._addresses.get(address, _Counter()).locked_until - now]
            if account:
                waits.append(self._accounts.get(account, _Counter()).locked_until - now)
        return max(0.0, *waits)

    def failed(self, address: str, account: str | None = None) -> None:
        now = self._clock()
        with self._lock:
            self._count(self._addresses.setdefault(address, _Counter()), now,
                        self.ADDRESS_LIMIT, self.ADDRESS_WINDOW)
            if account:
                self._count(self._accounts.setdefault(account, _Counter()), now,
                            self.ACCOUNT_LIMIT, None)

    def succeeded(self, address: str, account: str) -> None:
        # Only the account is cleared: clearing the address too would let someone who knows
        # one PIN (their own) sign in every 19 guesses and never be locked out.
        with self._lock:
            self._accounts.pop(account, None)

    def _count(self, c: _Counter, now: float, limit: int, window: float | None) -> None:
        c.failures.append(now)
        if window is not None:
            c.failures = [t for t in c.failures if now - t <= window]
        if len(c.failures) >= limit:
            c.locked_until = now + min(self.FIRST_LOCKOUT * 2 ** c.lockouts, self.MAX_LOCKOUT)
            c.lockouts += 1
            c.failures.clear()
