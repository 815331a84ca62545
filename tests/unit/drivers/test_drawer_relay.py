"""drivers/drawer/relay.py: the relay pulse from the mock pin's state history."""

import pytest

import drivers.drawer.relay as relay_module
from drivers.drawer.relay import RelayDrawer
from drivers.gpio import pin_factory

PIN = 24


@pytest.fixture
def factory():
    f = pin_factory("mock")
    yield f
    f.close()


def levels(pin):
    return [bool(s.state) for s in pin.states]


def test_kick_energises_for_the_pulse_then_releases(factory):
    with RelayDrawer(PIN, factory, pulse_ms=50) as drawer:
        pin = factory.pin(PIN)
        pin.clear_states()
        drawer.kick()
        assert levels(pin) == [False, True, False]
        assert pin.states[2].timestamp >= 0.05   # held for at least the pulse


def test_active_low_relay_is_held_high_at_rest(factory):
    with RelayDrawer(PIN, factory, pulse_ms=10, active_high=False) as drawer:
        pin = factory.pin(PIN)
        assert pin.state   # at rest
        pin.clear_states()
        drawer.kick()
        assert levels(pin) == [True, False, True]


def test_relay_is_released_when_the_pulse_is_interrupted(factory, monkeypatch):
    def interrupted(_seconds):
        raise KeyboardInterrupt
    monkeypatch.setattr(relay_module, "sleep", interrupted)
    with RelayDrawer(PIN, factory) as drawer:
        pin = factory.pin(PIN)
        pin.clear_states()
        with pytest.raises(KeyboardInterrupt):
            drawer.kick()
        assert levels(pin) == [False, True, False]
        assert not pin.state


@pytest.mark.parametrize("pulse_ms", [0, -5, 2001, 0.2])
def test_unsafe_pulse_lengths_are_refused(factory, pulse_ms):
    with pytest.raises(ValueError, match=f"pulse_ms={pulse_ms!r}"):
        RelayDrawer(PIN, factory, pulse_ms=pulse_ms)


def test_close_is_idempotent_releases_and_refuses_kicks(factory):
    drawer = RelayDrawer(PIN, factory, pulse_ms=10)
    drawer.close()
    drawer.close()
    assert not factory.pin(PIN).state
    with pytest.raises(RuntimeError, match="drawer relay on GPIO24 is closed"):
        drawer.kick()
