"""What core knows of the shop's devices, as printerd and scannerd last reported it.

Kept in memory: it is a picture of now, rebuilt within seconds of a restart by the daemons'
next reports. A daemon that stops reporting is itself shown as the problem.
"""

from __future__ import annotations

import threading
import time

#: printerd reports at least this often; silence longer than STALE means it is not running.
STALE_SECONDS = 30


class DeviceBoard:
    def __init__(self, clock=time.monotonic, *, linked: bool = True):
        self._clock = clock
        self._linked = linked  # mqtt.host is set: there is a head office to reach
        self._lock = threading.Lock()
        self._printer: dict | None = None
        self._printer_seen = 0.0
        self._drawer = {"open": None, "since": None, "alert": False}
        self._uplink: dict | None = None
        self._uplink_seen = 0.0

    def set_linked(self, linked: bool) -> None:
        """Head office was set or cleared on the setup page (mqtt.host)."""
        with self._lock:
            self._linked = linked

    def printer_reported(self, status: dict) -> bool:
        """Store printerd's report; True when what a person would see changed."""
        with self._lock:
            before = self._printer_view_locked()
            self._printer = dict(status)
            self._printer_seen = self._clock()
            drawer_open = status.get("drawer_open")
            if drawer_open is not None and drawer_open != self._drawer["open"]:
                self._drawer = {"open": drawer_open,
                                "since": self._clock() if drawer_open else None, "alert": False}
            self._drawer["alert"] = bool(status.get("drawer_alert")) and bool(drawer_open)
            return self._printer_view_locked() != before

    def printer(self) -> dict:
        with self._lock:
            return self._printer_view_locked()

    def _printer_view_locked(self) -> dict:
        if self._printer is None:
            return {"state": "unknown", "reason": "printerd_not_running", "ready": False,
                    "device": "", "drawer": self._drawer_locked()}
        if self._clock() - self._printer_seen > STALE_SECONDS:
            return {"state": "unknown", "reason": "printerd_not_running", "ready": False,
                    "device": self._printer.get("device", ""), "drawer": self._drawer_locked()}
        ready = bool(self._printer.get("ready"))
        return {"state": "ready" if ready else "problem", "ready": ready,
                "reason": "" if ready else self._printer.get("reason") or "offline",
                "device": self._printer.get("device", ""),
                "paper_near_end": bool(self._printer.get("paper_near_end")),
                "drawer": self._drawer_locked()}

    def _drawer_locked(self) -> dict:
        d = self._drawer
        open_for = int(self._clock() - d["since"]) if d["open"] and d["since"] else 0
        return {"open": d["open"], "open_seconds": open_for, "alert": d["alert"]}

    # -- the head-office link (uplinkd) ----------------------------------------------------

    def uplink_reported(self, summary: dict) -> bool:
        with self._lock:
            before = self._uplink_view_locked()
            self._uplink = dict(summary)
            self._uplink_seen = self._clock()
            return self._uplink_view_locked() != before

    def uplink(self) -> dict:
        with self._lock:
            return self._uplink_view_locked()

    def uplink_ok(self) -> bool:
        """For the status LED: fine when linked and connected, or not linked at all."""
        u = self.uplink()
        return u["state"] in ("connected", "not_linked")

    def _uplink_view_locked(self) -> dict:
        u = self._uplink
        if not self._linked:
            return {"state": "not_linked", "backlog": None, "last_contact": None, "warning": ""}
        if u is None or self._clock() - self._uplink_seen > STALE_SECONDS:
            return {"state": "unknown", "reason": "uplinkd_not_running", "backlog": None,
                    "last_contact": u.get("last_contact") if u else None, "warning": ""}
        if not u.get("linked"):
            state = "not_linked"
        else:
            state = "connected" if u.get("connected") else "offline"
        return {"state": state, "backlog": u.get("backlog"), "acked_seq": u.get("acked_seq"),
                "last_seq": u.get("last_seq"), "last_contact": u.get("last_contact"),
                "oldest_unacked_age_s": u.get("oldest_unacked_age_s"),
                "warning": u.get("warning", ""),
                # issue 11: the settings page's head-office health (services/uplinkd.py)
                **{k: u.get(k) for k in ("broker", "connected_since", "last_error",
                                         "acked_at", "last_heartbeat")}}
