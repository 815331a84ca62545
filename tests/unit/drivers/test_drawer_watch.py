"""drivers/drawer/watch.py: drawer events with a fake clock."""

import pytest

from drivers.drawer.watch import DrawerWatch


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return FakeClock()


def test_open_then_close(clock):
    watch = DrawerWatch(30, clock=clock)
    assert watch.update(False) is None
    assert watch.update(True) == "opened"
    clock.now += 5
    assert watch.update(True) is None
    assert watch.open_for == 5
    assert watch.update(False) == "closed"
    assert watch.open_for == 0.0
    assert watch.update(False) is None


def test_left_open_fires_once_per_opening_after_the_limit(clock):
    watch = DrawerWatch(30, clock=clock)
    watch.update(True)
    clock.now += 30
    assert watch.update(True) is None        # not longer than 30 s yet
    clock.now += 0.5
    assert watch.update(True) == "left_open"
    clock.now += 60
    assert watch.update(True) is None
    assert watch.open_for == 90.5
    assert watch.update(False) == "closed"
    assert watch.update(True) == "opened"    # a new opening may alert again
    clock.now += 31
    assert watch.update(True) == "left_open"


def test_first_reading_open_counts_as_opened(clock):
    watch = DrawerWatch(30, clock=clock)
    assert watch.update(True) == "opened"


def test_unknown_readings_change_nothing(clock):
    watch = DrawerWatch(30, clock=clock)
    assert watch.update(None) is None
    watch.update(True)
    clock.now += 40
    assert watch.update(None) is None        # no alert on a guess
    assert watch.update(True) == "left_open"  # same opening: the timer kept running
    assert watch.update(None) is None
    assert watch.update(False) == "closed"


def test_negative_limit_is_refused():
    with pytest.raises(ValueError, match="alert_after_s=-1"):
        DrawerWatch(-1)
