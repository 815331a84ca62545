"""What every device daemon shares: talking to core, backoff, signals and the watchdog.

Daemons reach core over plain HTTP on loopback with the device token core wrote into the
data directory. Every call has a timeout, so a daemon's loop always comes back round to feed
the systemd watchdog and to notice SIGTERM.
"""

from __future__ import annotations

import http.client
import json
import logging
import signal
import threading
import time
from urllib.parse import urlsplit

from appliance.keys import device_token_path

from . import sdnotify

log = logging.getLogger(__name__)


class CoreUnreachable(OSError):
    """core did not answer (not started yet, restarting, or wedged)."""


class CoreClient:
    def __init__(self, base_url: str, token: str, device: str):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.headers = {"Authorization": f"Bearer {token}", "X-Tillbox-Device": device,
                        "Content-Type": "application/json", "Accept-Language": "zh-CN"}
        self._local = threading.local()  # one keep-alive connection per thread

    @classmethod
    def from_config(cls, cfg, device: str) -> "CoreClient":
        path = device_token_path(cfg.data_dir)
        deadline = time.monotonic() + 30
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.2)  # core writes the token on its first start
        try:
            token = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            raise CoreUnreachable(f"no device token at {path}: is core running?") from None
        return cls(cfg.core_url, token, device)

    def call(self, method: str, path: str, body: dict | None = None,
             timeout: float = 5.0) -> tuple[int, dict | None]:
        """(status, JSON body or None). Raises CoreUnreachable when core does not answer."""
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.timeout != timeout:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
            self._local.conn = conn
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        try:
            conn.request(method, "/api/v1" + path, body=data, headers=self.headers)
            resp = conn.getresponse()
            raw = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            self._local.conn = None
            raise CoreUnreachable(f"core at {self.host}:{self.port} did not answer: {exc}") \
                from None
        try:
            payload = json.loads(raw) if raw and resp.headers.get_content_type() == \
                "application/json" else None
        except ValueError:  # a reply cut short: as good as none
            conn.close()
            self._local.conn = None
            raise CoreUnreachable(f"core at {self.host}:{self.port} sent a broken reply") \
                from None
        return resp.status, payload


class Daemon:
    """Signals, READY=1 and the watchdog for one daemon's working loop.

    The loop calls :meth:`alive` each turn; the ping goes out at most every half watchdog
    period, so a loop that stops turning stops the pings and systemd restarts the daemon.
    """

    def __init__(self, name: str):
        self.name = name
        self.stop = threading.Event()
        interval = sdnotify.watchdog_interval()
        self._ping_every = interval if interval is not None else None
        self._last_ping = 0.0

    def install_signals(self) -> None:
        def on_signal(signum, _frame):
            log.info("signal %d: stopping %s", signum, self.name)
            sdnotify.notify("STOPPING=1")
            self.stop.set()
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)

    def ready(self, status: str) -> None:
        sdnotify.notify(f"READY=1\nSTATUS={status}")
        log.info("%s ready: %s", self.name, status)

    def status(self, text: str) -> None:
        sdnotify.notify(f"STATUS={text}")

    def alive(self) -> None:
        if self._ping_every is None:
            return
        now = time.monotonic()
        if now - self._last_ping >= self._ping_every:
            sdnotify.notify("WATCHDOG=1")
            self._last_ping = now

    def sleep(self, seconds: float) -> bool:
        """Sleep unless stopping; True when it is time to stop. Waiting (for core, for a
        printer to come back) is the loop working as meant, so the watchdog is fed meanwhile."""
        deadline = time.monotonic() + seconds
        while True:
            self.alive()
            left = deadline - time.monotonic()
            if left <= 0:
                return self.stop.is_set()
            if self.stop.wait(min(left, 1.0)):
                return True
