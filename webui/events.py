"""In-process event bus feeding Server-Sent Events to every open screen.

Publishing never blocks: each subscriber has a bounded queue, and a screen too slow to keep
up is dropped (its browser reconnects and reloads), so one stuck phone cannot slow a sale.
"""

from __future__ import annotations

import itertools
import json
import logging
import queue
import threading

log = logging.getLogger(__name__)


class Subscription:
    def __init__(self, bus: "EventBus", maxsize: int):
        self.bus = bus
        self.queue: queue.Queue = queue.Queue(maxsize=maxsize)
        self.dropped = False

    def get(self, timeout: float) -> dict | None:
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self.bus._remove(self)


class EventBus:
    def __init__(self, max_subscribers: int = 12, queue_size: int = 200):
        self.max_subscribers = max_subscribers
        self.queue_size = queue_size
        self._lock = threading.Lock()
        self._subs: list[Subscription] = []
        self._ids = itertools.count(1)

    def subscribe(self) -> Subscription | None:
        """A new subscription, or None when every slot is taken (the caller answers 503)."""
        with self._lock:
            if len(self._subs) >= self.max_subscribers:
                return None
            sub = Subscription(self, self.queue_size)
            self._subs.append(sub)
            return sub

    def publish(self, kind: str, data: dict) -> None:
        with self._lock:
            event = {"id": next(self._ids), "event": kind, "data": data}
            for sub in list(self._subs):
                try:
                    sub.queue.put_nowait(event)
                except queue.Full:
                    sub.dropped = True
                    self._subs.remove(sub)
                    log.warning("dropped a screen that stopped reading events")

    def close(self) -> None:
        """Core is stopping: end every stream now rather than at its next heartbeat."""
        with self._lock:
            for sub in self._subs:
                sub.dropped = True
                try:
                    sub.queue.put_nowait(None)  # wakes the stream's wait
                except queue.Full:
                    pass
            self._subs.clear()

    def subscribers(self) -> int:
        with self._lock:
            return len(self._subs)

    def _remove(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)


def sse_format(event: dict) -> str:
    return (f"id: {event['id']}\nevent: {event['event']}\n"
            f"data: {json.dumps(event['data'], ensure_ascii=False)}\n\n")
