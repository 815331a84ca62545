"""drivers/gpio.py: the pin factory is chosen explicitly and never falls back to mock."""

import sys
import types

import gpiozero
import pytest
from gpiozero import LED
from gpiozero.exc import BadPinFactory
from gpiozero.pins.mock import MockFactory

from drivers.gpio import pin_factory

REAL_MODULES = ("gpiozero.pins.lgpio", "gpiozero.pins.rpigpio")


def fake_factory_module(monkeypatch, module_name, make):
    monkeypatch.setitem(sys.modules, module_name, types.SimpleNamespace(
        LGPIOFactory=make, RPiGPIOFactory=make))


def test_mock_gives_pins_that_record_history_and_do_pwm():
    factory = pin_factory("mock")
    try:
        assert isinstance(factory, MockFactory)
        led = LED(17, pin_factory=factory)
        led.on()
        led.off()
        assert [bool(s.state) for s in factory.pin(17).states] == [False, True, False]
        factory.pin(18).function = "output"
        factory.pin(18).frequency = 100   # a plain MockPin would raise PinPWMUnsupported
        assert factory.pin(18).frequency == 100
    finally:
        factory.close()


def test_devices_with_our_factory_leave_gpiozero_default_unset():
    before = gpiozero.Device.pin_factory
    factory = pin_factory("mock")
    try:
        LED(17, pin_factory=factory).on()
        assert gpiozero.Device.pin_factory is before
    finally:
        factory.close()


@pytest.mark.parametrize("name", ["", "Mock", "lgpio", "simulated"])
def test_unknown_backend_is_a_value_error_naming_it(name):
    with pytest.raises(ValueError, match=repr(name)):
        pin_factory(name)


def test_native_without_gpio_libraries_says_what_to_install(monkeypatch):
    for name in REAL_MODULES + ("lgpio", "RPi", "RPi.GPIO"):
        monkeypatch.setitem(sys.modules, name, None)   # makes `import name` fail
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "mock")  # must not tempt us into mock pins
    with pytest.raises(RuntimeError, match="apt install python3-lgpio"):
        pin_factory("native")


def test_native_bad_pin_factory_is_reported_as_missing_library(monkeypatch):
    def refuse():
        raise BadPinFactory("lgpio is too old")
    for name in REAL_MODULES:
        fake_factory_module(monkeypatch, name, refuse)
    with pytest.raises(RuntimeError, match="no GPIO library found.*lgpio is too old"):
        pin_factory("native")


def test_native_library_that_cannot_open_the_chip_is_a_runtime_error(monkeypatch):
    def no_chip():
        raise OSError("can not open gpiochip")
    for name in REAL_MODULES:
        fake_factory_module(monkeypatch, name, no_chip)
    with pytest.raises(RuntimeError, match="can not open gpiochip.*gpio group"):
        pin_factory("native")


def test_native_prefers_lgpio_and_falls_back_to_rpi_gpio(monkeypatch):
    lgpio_factory, rpi_factory = object(), object()
    fake_factory_module(monkeypatch, "gpiozero.pins.lgpio", lambda: lgpio_factory)
    fake_factory_module(monkeypatch, "gpiozero.pins.rpigpio", lambda: rpi_factory)
    assert pin_factory("native") is lgpio_factory
    monkeypatch.setitem(sys.modules, "gpiozero.pins.lgpio", None)
    assert pin_factory("native") is rpi_factory
