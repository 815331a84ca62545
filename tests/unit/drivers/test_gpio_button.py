"""drivers/indicators/button.py: presses driven on a mock pin (button to ground)."""

import logging

import pytest

from drivers.gpio import pin_factory
from drivers.indicators.button import ReprintButton

PIN = 27


@pytest.fixture
def factory():
    f = pin_factory("mock")
    yield f
    f.close()


def press(pin):
    pin.drive_low()
    pin.drive_high()


def test_each_press_calls_on_press_once(factory):
    presses = []
    with ReprintButton(PIN, factory, on_press=lambda: presses.append(1)):
        pin = factory.pin(PIN)
        assert pin.state   # pulled up: idle high
        press(pin)
        press(pin)
        assert len(presses) == 2
        pin.drive_low()    # held down: still one press
        assert len(presses) == 3


def test_release_alone_is_not_a_press(factory):
    presses = []
    with ReprintButton(PIN, factory, on_press=lambda: presses.append(1)):
        pin = factory.pin(PIN)
        pin.drive_high()
        assert presses == []


def test_a_failing_handler_is_logged_and_the_button_keeps_working(factory, caplog):
    calls = []

    def on_press():
        calls.append(1)
        if len(calls) == 1:
            raise KeyError("queue gone")

    with ReprintButton(PIN, factory, on_press=on_press):
        pin = factory.pin(PIN)
        with caplog.at_level(logging.ERROR, logger="drivers.indicators.button"):
            press(pin)   # must not raise into gpiozero (here: into drive_low)
        press(pin)
    assert len(calls) == 2
    [record] = caplog.records
    assert "reprint button on GPIO27" in record.getMessage() and record.exc_info


def test_close_is_idempotent_and_stops_presses(factory):
    presses = []
    button = ReprintButton(PIN, factory, on_press=lambda: presses.append(1))
    button.close()
    button.close()
    pin = factory.pin(PIN)
    pin.drive_low()
    assert presses == []
