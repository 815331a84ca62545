"""The SSE event bus: publishing never blocks, and stopping core ends every stream at once."""

import threading
import time

from webui.events import EventBus


def test_a_slow_screen_is_dropped_instead_of_slowing_the_sale():
    bus = EventBus(queue_size=2)
    slow = bus.subscribe()
    for n in range(5):
        bus.publish("order", {"n": n})
    assert slow.dropped and bus.subscribers() == 0


def test_closing_the_bus_wakes_every_waiting_stream_now():
    bus = EventBus()
    subs = [bus.subscribe() for _ in range(3)]
    woke = []

    def stream(sub):
        sub.get(timeout=15)           # a stream waiting for its next heartbeat
        woke.append(sub.dropped)

    threads = [threading.Thread(target=stream, args=(s,)) for s in subs]
    for t in threads:
        t.start()
    time.sleep(0.1)
    started = time.monotonic()
    bus.close()
    for t in threads:
        t.join(5)
    assert woke == [True, True, True]
    assert time.monotonic() - started < 2
    assert bus.subscribers() == 0
