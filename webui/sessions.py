"""Server-side sessions for staff screens.

The cookie holds only a random token; the session lives here, so signing out (or an idle
timeout, or the person being deactivated) ends it for good: a replayed cookie gets 401.
Sessions are in memory: restarting core signs everyone out, which a PIN pad makes cheap.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

COOKIE = "tillbox_session"


@dataclass
class Session:
    token: str
    staff_id: str
    terminal: str
    csrf_token: str
    created: float
    last_seen: float = field(default=0.0)
    #: Training mode (docs/training.md): this screen's sales go to the training ledger.
    training: bool = False


class SessionStore:
    def __init__(self, idle_seconds: int, clock=time.monotonic):
        self.idle_seconds = idle_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}

    def create(self, staff_id: str, terminal: str) -> Session:
        now = self._clock()
        s = Session(secrets.token_urlsafe(32), staff_id, terminal, secrets.token_urlsafe(32),
                    now, now)
        with self._lock:
            self._expire(now)
            self._sessions[s.token] = s
        return s

    def get(self, token: str | None) -> Session | None:
        """The live session for a cookie value, touched; None when unknown or idle too long."""
        if not token:
            return None
        now = self._clock()
        with self._lock:
            s = self._sessions.get(token)
            if s is None:
                return None
            if now - s.last_seen > self.idle_seconds:
                del self._sessions[token]
                return None
            s.last_seen = now
            return s

    def alive(self, token: str | None) -> bool:
        """Whether the session still exists and is not idle, without counting as activity
        (an open event stream must not keep a forgotten phone signed in)."""
        now = self._clock()
        with self._lock:
            s = self._sessions.get(token or "")
            return s is not None and now - s.last_seen <= self.idle_seconds

    def set_training(self, token: str, on: bool) -> Session | None:
        """Switch a live session into training mode or out of it; None if it has ended."""
        with self._lock:
            s = self._sessions.get(token)
            if s is not None:
                s.training = on
            return s

    def training_of(self, token: str | None) -> bool:
        """Whether a session is in training mode (without counting as activity)."""
        with self._lock:
            s = self._sessions.get(token or "")
            return s is not None and s.training

    def end(self, token: str | None) -> None:
        with self._lock:
            self._sessions.pop(token or "", None)

    def end_for_staff(self, staff_id: str) -> None:
        with self._lock:
            for token in [t for t, s in self._sessions.items() if s.staff_id == staff_id]:
                del self._sessions[token]

    def count(self) -> int:
        with self._lock:
            return len(self._sessions)

    def _expire(self, now: float) -> None:
        for token in [t for t, s in self._sessions.items()
                      if now - s.last_seen > self.idle_seconds]:
            del self._sessions[token]


def csrf_ok(session: Session, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(session.csrf_token, presented)
