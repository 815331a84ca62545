"""drivers/indicators/door_counter.py: visitors driven on a mock pin."""

import threading

import pytest

from drivers.gpio import pin_factory
from drivers.indicators.door_counter import DoorCounter

PIN = 23


@pytest.fixture
def factory():
    f = pin_factory("mock")
    yield f
    f.close()


def visitor(pin):
    pin.drive_low()    # beam broken
    pin.drive_high()   # beam restored


def test_each_activation_is_one_visitor(factory):
    with DoorCounter(PIN, factory) as counter:
        pin = factory.pin(PIN)
        for _ in range(3):
            visitor(pin)
        assert counter.total == 3


def test_take_returns_count_since_last_take_and_total_keeps_counting(factory):
    with DoorCounter(PIN, factory) as counter:
        pin = factory.pin(PIN)
        visitor(pin)
        visitor(pin)
        assert counter.take() == 2
        assert counter.take() == 0
        visitor(pin)
        assert counter.take() == 1
        assert counter.total == 3


def test_pull_down_wiring_counts_high_pulses(factory):
    with DoorCounter(PIN, factory, pull_up=False) as counter:
        pin = factory.pin(PIN)
        pin.drive_high()
        pin.drive_low()
        assert counter.total == 1


def test_take_during_counting_loses_nothing(factory):
    n = 2000
    with DoorCounter(PIN, factory) as counter:
        pin = factory.pin(PIN)
        taken = []
        done = threading.Event()

        def taker():
            while not done.is_set():
                taken.append(counter.take())
            taken.append(counter.take())

        t = threading.Thread(target=taker)
        t.start()
        for _ in range(n):
            visitor(pin)
        done.set()
        t.join(timeout=5)
        assert sum(taken) == n == counter.total


def test_close_is_idempotent_and_stops_counting(factory):
    counter = DoorCounter(PIN, factory)
    pin = factory.pin(PIN)
    visitor(pin)
    counter.close()
    counter.close()
    visitor(pin)
    assert counter.total == 1
