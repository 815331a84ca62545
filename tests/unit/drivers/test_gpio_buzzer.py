"""drivers/indicators/buzzer.py: beep counts from the mock pin history, never blocking."""

import time

import pytest

from drivers.gpio import pin_factory
from drivers.indicators.buzzer import Buzzer

PIN = 22


@pytest.fixture
def factory():
    f = pin_factory("mock")
    yield f
    f.close()


def beeps_when_quiet(pin, quiet_s=0.1, timeout=2.0):
    """Number of beeps once the pin has stayed low for quiet_s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = len(pin.states)
        time.sleep(quiet_s)
        if len(pin.states) == n and not pin.state:
            break
    return sum(1 for s in pin.states[1:] if s.state)


def test_ok_is_one_beep(factory):
    with Buzzer(PIN, factory, beep_s=0.01) as buzzer:
        buzzer.ok()
        assert beeps_when_quiet(factory.pin(PIN)) == 1


def test_error_is_three_beeps(factory):
    with Buzzer(PIN, factory, beep_s=0.01) as buzzer:
        buzzer.error()
        pin = factory.pin(PIN)
        assert beeps_when_quiet(pin) == 3
        lengths = [s.timestamp for s in pin.states[2::2]]   # how long each beep was on
        assert all(t >= 0.009 for t in lengths)


def test_default_beep_is_short():
    assert 0.05 <= Buzzer.__init__.__kwdefaults__["beep_s"] <= 0.1


def test_beeping_returns_while_the_buzzer_is_still_sounding(factory):
    with Buzzer(PIN, factory, beep_s=2.0) as buzzer:
        buzzer.error()
        # Had error() blocked, all three 2 s beeps would be over and the pin low.
        assert factory.pin(PIN).state
    assert not factory.pin(PIN).state   # close() cut the beep short


def test_close_is_idempotent_and_later_beeps_are_refused(factory):
    buzzer = Buzzer(PIN, factory)
    buzzer.close()
    buzzer.close()
    with pytest.raises(RuntimeError, match="buzzer on GPIO22 is closed"):
        buzzer.ok()
