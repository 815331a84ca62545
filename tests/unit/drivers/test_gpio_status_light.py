"""drivers/indicators/status_light.py: patterns sampled from the mock pin's state history."""

import time

import pytest

from drivers.gpio import pin_factory
from drivers.indicators.status_light import BLINKS, PATTERNS, StatusLight, pattern_for

PIN = 17


@pytest.fixture
def factory():
    f = pin_factory("mock")
    yield f
    f.close()


def segments(pin):
    """[(lit, seconds)] for every finished state after the first change; a state's length
    is the timestamp of the change that ended it."""
    s = pin.states
    return [(bool(s[i - 1].state), s[i].timestamp) for i in range(2, len(s))]


def wait_for_changes(pin, n, timeout=2.0):
    deadline = time.monotonic() + timeout
    while len(pin.states) < n and time.monotonic() < deadline:
        time.sleep(0.005)
    return pin.states


def test_real_timings_are_the_documented_ones():
    assert BLINKS["offline"] == ((1.0, 1.0),)
    assert BLINKS["printer"] == ((0.2, 0.2),)
    on1, gap = BLINKS["error"][0]
    on2, pause = BLINKS["error"][1]
    assert on1 == on2 and pause > 3 * gap
    # Low stock: mostly on (the box is fine), with a short dark wink a cashier can notice.
    [(on, off)] = BLINKS["stock"]
    assert on > 5 * off and on + off == 3.0
    assert set(PATTERNS) == {"ready", "offline", "printer", "error", "off", "stock",
                             "usb_writing", "usb_done", "usb_failed"}


@pytest.mark.parametrize("printer_ok, uplink_ok, error, expected", [
    (True, True, False, "ready"),
    (True, False, False, "offline"),
    (False, True, False, "printer"),
    (False, False, False, "printer"),
    (True, True, True, "error"),
    (False, False, True, "error"),
])
def test_pattern_for_priority(printer_ok, uplink_ok, error, expected):
    assert pattern_for(printer_ok, uplink_ok, error) == expected


def test_starts_off_and_ready_is_steady_on(factory):
    with StatusLight(PIN, factory) as light:
        pin = factory.pin(PIN)
        assert light.pattern == "off" and not pin.state
        light.show("ready")
        time.sleep(0.05)
        assert light.pattern == "ready" and pin.state
        assert [bool(s.state) for s in pin.states] == [False, True]


def test_offline_blinks_evenly_and_slower_than_printer(factory):
    scale = 0.05   # offline 50/50 ms, printer 10/10 ms
    with StatusLight(PIN, factory, time_scale=scale) as light:
        pin = factory.pin(PIN)
        light.show("offline")
        wait_for_changes(pin, 8)
        light.show("off")
        offline = segments(pin)[:5]
        pin.clear_states()
        light.show("printer")
        wait_for_changes(pin, 8)
        light.show("off")
        printer = segments(pin)[:5]
    for segs in (offline, printer):
        assert [lit for lit, _ in segs] == [True, False, True, False, True]
    assert all(t >= 1.0 * scale * 0.9 for _, t in offline)
    mean = lambda segs: sum(t for _, t in segs) / len(segs)
    assert mean(offline) > 2 * mean(printer)


def test_error_is_a_double_flash_then_a_pause(factory):
    scale = 0.2   # flashes 30 ms, gap 30 ms, pause 170 ms
    with StatusLight(PIN, factory, time_scale=scale) as light:
        pin = factory.pin(PIN)
        light.show("error")
        wait_for_changes(pin, 10)
        light.show("off")
        segs = segments(pin)[:8]
    assert [lit for lit, _ in segs] == [True, False] * 4
    offs = [t for lit, t in segs if not lit]
    short, long_ = offs[0::2], offs[1::2]
    assert all(t >= 0.85 * scale * 0.9 for t in long_)
    assert max(short) < min(long_)


def test_showing_the_same_pattern_again_does_not_restart_the_blink(factory):
    # offline at this scale: on 0.4 s. Re-shown after 0.2 s: a restart would keep it lit
    # for at least 0.6 s in all; left alone it goes dark at about 0.4 s.
    with StatusLight(PIN, factory, time_scale=0.4) as light:
        pin = factory.pin(PIN)
        light.show("offline")
        time.sleep(0.2)
        light.show("offline")
        states = wait_for_changes(pin, 3)
        assert [bool(s.state) for s in states[:3]] == [False, True, False]
        assert states[2].timestamp < 0.55


def test_switching_pattern_stops_the_old_blink(factory):
    with StatusLight(PIN, factory, time_scale=0.02) as light:
        pin = factory.pin(PIN)
        light.show("printer")
        wait_for_changes(pin, 4)
        light.show("ready")
        pin.clear_states()
        time.sleep(0.1)   # 10+ blink periods at this scale
        assert pin.state and len(pin.states) == 1


def test_unknown_pattern_is_rejected_and_keeps_the_current_one(factory):
    with StatusLight(PIN, factory) as light:
        light.show("ready")
        with pytest.raises(ValueError, match="'blue'"):
            light.show("blue")
        assert light.pattern == "ready" and factory.pin(PIN).state


def test_close_is_idempotent_turns_the_light_off_and_frees_the_pin(factory):
    light = StatusLight(PIN, factory, time_scale=0.02)
    light.show("printer")
    light.close()
    light.close()
    pin = factory.pin(PIN)
    assert not pin.state
    n = len(pin.states)
    time.sleep(0.05)
    assert len(pin.states) == n   # blink thread is gone
    with pytest.raises(RuntimeError, match="GPIO17 is closed"):
        light.show("ready")
    StatusLight(PIN, factory).close()   # the pin can be claimed again
