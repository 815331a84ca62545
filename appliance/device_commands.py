"""Small requests from the settings page to the daemon that owns a device (issue 11): blink
the status LED, beep the buzzer, read the GPIO inputs.

No GPIO I/O happens in a web request: core keeps the request here (in memory: a test is
worth nothing after a restart), the owning daemon collects it on its next turn
(``GET /api/v1/device/commands``, about once a second), does it and reports the outcome,
which the page polls. A request nobody collects within :data:`TIMEOUT` seconds ends as
``failed: not_collected`` (the daemon is not running, or does not own that part).
"""

from __future__ import annotations

import threading
import time
import uuid

from .errors import NotFound, ValidationError
from .i18n import _

TIMEOUT = 15.0       # seconds for a daemon to collect and answer
KEEP = 50            # finished requests remembered for the page
#: Which daemon owns what: printerd the LED, button and drawer pins; scannerd the buzzer and
#: the door counter (docs/settings.md).
ACTIONS = {"blink": "printerd", "beep": "scannerd", "inputs": ("printerd", "scannerd")}
DAEMONS = ("printerd", "scannerd")


class DeviceCommands:
    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._items: dict[str, dict] = {}

    def add(self, daemon: str, action: str) -> dict:
        if daemon not in DAEMONS:
            raise ValidationError(_("unknown daemon {name}", name=daemon), field="daemon")
        command = {"id": uuid.uuid4().hex[:16], "daemon": daemon, "action": action,
                   "state": "queued", "detail": "", "inputs": {}, "_at": self._clock()}
        with self._lock:
            self._expire()
            self._items[command["id"]] = command
            while len(self._items) > KEEP:
                self._items.pop(next(iter(self._items)))
        return self.public(command)

    def take(self, daemon: str) -> list[dict]:
        """The requests waiting for ``daemon``, now marked as sent to it."""
        with self._lock:
            self._expire()
            out = []
            for c in self._items.values():
                if c["daemon"] == daemon and c["state"] == "queued":
                    c["state"] = "sent"
                    out.append(self.public(c))
            return out

    def report(self, command_id: str, state: str, detail: str = "",
               inputs: dict | None = None) -> dict:
        if state not in ("done", "failed"):
            raise ValidationError(_("state must be one of {choices}", choices="done, failed"),
                                  field="state")
        with self._lock:
            c = self._items.get(command_id)
            if c is None:
                raise NotFound(_("no device request {id}", id=command_id))
            c.update(state=state, detail=str(detail)[:200], inputs=dict(inputs or {}))
            return self.public(c)

    def get(self, command_id: str) -> dict:
        with self._lock:
            self._expire()
            c = self._items.get(command_id)
            if c is None:
                raise NotFound(_("no device request {id}", id=command_id))
            return self.public(c)

    def _expire(self) -> None:
        now = self._clock()
        for c in self._items.values():
            if c["state"] in ("queued", "sent") and now - c["_at"] > TIMEOUT:
                c.update(state="failed", detail="not_collected" if c["state"] == "queued"
                         else "no_answer")

    @staticmethod
    def public(c: dict) -> dict:
        return {k: v for k, v in c.items() if not k.startswith("_")}
