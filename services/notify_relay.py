"""Head office's relay of customers' notifications (docs/notifications.md, docs/mqtt.md
``notify``), run by uplinkd when notify.sms = relay or notify.wechat = relay.

A worker thread claims ``relay`` notifications from core, publishes each on
``{root}/notify`` (QoS 1) and waits for the broker's PUBACK: a reason below 0x80 means head
office's broker has it (result ``sent``, provider_ref = the notification id, which head office
uses to drop repeats); a refusal, a disconnect or no answer is a transient failure that core
retries with backoff. The PUBACK arrives in uplinkd's loop (paho's callbacks only queue
events), which hands it here with :meth:`Relay.on_puback`.
"""

from __future__ import annotations

import logging
import threading

import paho.mqtt.client as mqtt

from appliance.backoff import Backoff
from appliance.uplink import contract

from .daemon import CoreUnreachable

log = logging.getLogger(__name__)

CLAIM_WAIT = 2.0
PUBACK_WAIT = 30.0


def relay_wanted(cfg) -> bool:
    return cfg.notify.sms == "relay" or cfg.notify.wechat == "relay"


def notify_payload(job: dict) -> dict:
    """What head office gets on ``notify`` (plus ``schema``): everything to send one message."""
    return {"id": job["id"], "channel": job["channel"], "to": job["to"],
            "language": job["language"], "subject": job["subject"], "text": job["text"],
            "event": job["event"]}


class _Waiting:
    def __init__(self):
        self.done = threading.Event()
        self.rc = None
        self.error = ""


class Relay:
    def __init__(self, uplink):
        self.uplink = uplink
        self.core = uplink.core
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._pending: dict[int, _Waiting] = {}
        self.relayed = 0
        self.thread = threading.Thread(target=self._work, name="uplink-notify", daemon=True)

    def start(self) -> None:
        self.thread.start()

    # -- called from uplinkd's loop ----------------------------------------------------------

    def on_puback(self, mid: int, rc) -> bool:
        """True when ``mid`` was a relayed notification (then it is handled here)."""
        with self._lock:
            waiting = self._pending.pop(mid, None)
        if waiting is None:
            return False
        waiting.rc = rc
        waiting.done.set()
        return True

    def on_disconnect(self) -> None:
        with self._lock:
            pending, self._pending = list(self._pending.values()), {}
        for waiting in pending:
            waiting.error = "disconnected from head office before it confirmed"
            waiting.done.set()

    def close(self) -> None:
        self.stop.set()
        self.on_disconnect()
        if self.thread.is_alive():
            self.thread.join(CLAIM_WAIT + 10)

    # -- the worker --------------------------------------------------------------------------

    def _work(self) -> None:
        backoff = Backoff(0.5, 10.0)
        while not self.stop.is_set():
            if not self.uplink.connected:
                self.stop.wait(1.0)
                continue
            try:
                self.turn()
                backoff.reset()
            except CoreUnreachable as exc:
                log.warning("notify relay: %s", exc)
                self.stop.wait(backoff.next())
            except Exception:  # noqa: BLE001 - keep relaying; the row is retried by core
                log.exception("notify relay failed")
                self.stop.wait(backoff.next())

    def turn(self) -> bool:
        status, job = self.core.call("POST", "/device/notifications/claim",
                                     {"routes": ["relay"], "wait": CLAIM_WAIT},
                                     timeout=CLAIM_WAIT + 10)
        if status == 204 or not job:
            return False
        if status != 200:
            log.error("core refused the relay claim (%s): %s", status, job)
            self.stop.wait(5)
            return False
        outcome, error = self.publish(job)
        body = {"outcome": outcome, "provider_ref": job["id"] if outcome == "sent" else "",
                "error": error}
        self.core.call("POST", f"/device/notifications/{job['id']}/result", body)
        if outcome == "sent":
            self.relayed += 1
            log.info("notification %s (%s by %s) handed to head office", job["id"],
                     job["event"], job["channel"])
        else:
            log.warning("notification %s not relayed: %s", job["id"], error)
        return True

    def publish(self, job: dict) -> tuple[str, str]:
        client = self.uplink.client
        waiting = _Waiting()
        payload = contract.encode(notify_payload(job))
        # Under the lock: the PUBACK cannot be handled before its mid is known here.
        with self._lock:
            info = client.publish(self.uplink.t("notify"), payload,
                                  qos=contract.QOS["notify"][0])
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                return "retry", f"not connected to head office ({info.rc})"
            self._pending[info.mid] = waiting
        if not waiting.done.wait(PUBACK_WAIT):
            with self._lock:
                self._pending.pop(info.mid, None)
            return "retry", "head office's broker did not confirm in time"
        if waiting.error:
            return "retry", waiting.error
        if waiting.rc is not None and waiting.rc.is_failure:
            return "retry", f"head office's broker refused it: {waiting.rc}"
        if waiting.rc is not None and getattr(waiting.rc, "value", None) == 0x10:
            # "No matching subscribers": the broker took it and dropped it, since no head
            # office ingest subscribes (yet): not sent, try again later
            return "retry", "nobody at head office receives notify messages"
        return "sent", ""
