"""Device settings applied while the daemons run, and the settings page's device tests
(issue 11; docs/settings.md "Printers, scanners and pins").

printerd and scannerd call :func:`tick` from their working loops. It does two cheap things,
each at most about once a second:

- the configuration: :class:`appliance.config_watch.SectionWatch` notices the setup overlay (or
  the config file) changed; the daemon's ``reconfigure(new)`` then closes the devices of the
  changed sections and opens them with the new values;
- device requests from the settings page (blink the LED, beep, read the inputs): collected
  from core (``GET /api/v1/device/commands``), done here, outcome reported back.
"""

from __future__ import annotations

import logging
import time

from appliance.config_watch import SectionWatch
from .daemon import CoreUnreachable

log = logging.getLogger(__name__)

CHECK_EVERY = 1.0      # seconds between looks at the configuration files
COMMANDS_EVERY = 1.0
LED_TEST_SECONDS = 3.0
RETRY_AFTER = 5.0   # seconds before a reconfigure that failed is tried again


class Live:
    """One daemon's watch on its configuration and on the page's device requests."""

    def __init__(self, worker, name: str, sections: tuple[str, ...]):
        self.worker = worker
        self.name = name
        self.watch = SectionWatch(worker.cfg, sections, interval=CHECK_EVERY)
        self._next_commands = 0.0
        self.retry_at: float | None = None   # a reconfigure that failed (e.g. pin busy)

    def tick(self) -> None:
        new = self.watch.poll()
        if new is None and self.retry_at is not None and time.monotonic() >= self.retry_at:
            new = self.watch.cfg
        if new is not None:
            try:
                self.worker.reconfigure(new)
                self.retry_at = None
            except Exception as exc:  # noqa: BLE001 - keep running; try again shortly
                log.error("%s: new device settings not applied yet: %s; retrying in %g s",
                          self.name, exc, RETRY_AFTER)
                self.retry_at = time.monotonic() + RETRY_AFTER
        if time.monotonic() >= self._next_commands:
            self._next_commands = time.monotonic() + COMMANDS_EVERY
            self.commands()

    def commands(self) -> None:
        client = self.worker.client
        try:
            code, body = client.call("GET", f"/device/commands?daemon={self.name}",
                                     timeout=3.0)
        except CoreUnreachable:
            return
        if code != 200 or not body:
            return
        for command in body.get("commands", []):
            state, detail, inputs = "done", "", {}
            try:
                inputs = self.worker.device_command(command["action"]) or {}
            except DeviceTestFailed as exc:
                state, detail = "failed", str(exc)
            except Exception as exc:  # noqa: BLE001 - a test must never stop the daemon
                log.exception("%s: device test %s failed", self.name, command.get("action"))
                state, detail = "failed", f"error: {exc}"
            try:
                client.call("POST", f"/device/commands/{command['id']}",
                            {"state": state, "detail": detail, "inputs": inputs}, timeout=3.0)
            except CoreUnreachable:
                pass   # the page says nobody answered


class DeviceTestFailed(Exception):
    """A device test that cannot be done; ``str()`` is a machine code (no_led, no_buzzer)."""
