"""drivers/drawer/sensor.py: the drawer switch driven on a mock pin."""

import pytest

from drivers.drawer.sensor import DrawerSensor
from drivers.gpio import pin_factory

PIN = 25


@pytest.fixture
def factory():
    f = pin_factory("mock")
    yield f
    f.close()


def test_default_switch_to_ground_reads_open_when_released(factory):
    with DrawerSensor(PIN, factory) as sensor:
        pin = factory.pin(PIN)
        assert pin.pull == "up"
        assert sensor.is_open            # switch released, pulled high
        pin.drive_low()                  # drawer pushes the switch closed to ground
        assert not sensor.is_open
        pin.drive_high()
        assert sensor.is_open


def test_open_when_low(factory):
    with DrawerSensor(PIN, factory, open_when_high=False) as sensor:
        pin = factory.pin(PIN)
        pin.drive_low()
        assert sensor.is_open
        pin.drive_high()
        assert not sensor.is_open


@pytest.mark.parametrize("pull_up, pull", [(False, "down"), (None, "floating")])
def test_pull_choice_reaches_the_pin(factory, pull_up, pull):
    with DrawerSensor(PIN, factory, pull_up=pull_up) as sensor:
        pin = factory.pin(PIN)
        assert pin.pull == pull
        pin.drive_high()
        assert sensor.is_open
        pin.drive_low()
        assert not sensor.is_open


def test_close_is_idempotent_and_reading_after_close_is_refused(factory):
    sensor = DrawerSensor(PIN, factory)
    sensor.close()
    sensor.close()
    with pytest.raises(RuntimeError, match="drawer sensor on GPIO25 is closed"):
        sensor.is_open
