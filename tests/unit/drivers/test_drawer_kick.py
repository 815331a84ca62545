"""drivers/drawer/kick.py: exact ESC p bytes through python-escpos Dummy."""

import pytest
from escpos.constants import CD_KICK_2, CD_KICK_5
from escpos.printer import Dummy

from drivers.drawer.kick import kick_through_printer, printer_kick_bytes


def test_bytes_match_python_escpos_own_kick_commands():
    assert printer_kick_bytes(2, 100, 100) == CD_KICK_2 == b"\x1b\x70\x00\x32\x32"
    assert printer_kick_bytes(5, 100, 100) == CD_KICK_5 == b"\x1b\x70\x01\x32\x32"


def test_kick_through_printer_writes_exactly_esc_p():
    printer = Dummy()
    kick_through_printer(printer, 2, 120, 240)
    assert printer.output == b"\x1b\x70\x00\x3c\x78"


@pytest.mark.parametrize("on_ms, off_ms, t1, t2", [
    (2, 2, 1, 1),
    (1, 1, 1, 1),          # rounded up to one 2 ms unit
    (101, 300, 51, 150),   # odd ms rounds up
    (510, 510, 255, 255),
    (200, 50, 100, 100),   # off shorter than on: Epson uses t1, so we send t1
])
def test_times_in_2_ms_units(on_ms, off_ms, t1, t2):
    assert printer_kick_bytes(5, on_ms, off_ms) == bytes((0x1b, 0x70, 1, t1, t2))


@pytest.mark.parametrize("pin", [0, 1, 3, 4, 6, "2"])
def test_other_connector_pins_are_refused(pin):
    with pytest.raises(ValueError, match=f"pin={pin!r}"):
        printer_kick_bytes(pin, 100, 100)


@pytest.mark.parametrize("on_ms, off_ms, name, bad", [
    (0, 100, "on_ms", 0), (511, 600, "on_ms", 511), (-2, 100, "on_ms", -2),
    (100, 0, "off_ms", 0), (100, 1000, "off_ms", 1000), (100.0, 100, "on_ms", 100.0),
])
def test_times_out_of_range_are_refused_naming_the_value(on_ms, off_ms, name, bad):
    with pytest.raises(ValueError, match=f"{name}={bad!r}"):
        printer_kick_bytes(2, on_ms, off_ms)


def test_a_refused_kick_sends_nothing():
    printer = Dummy()
    with pytest.raises(ValueError):
        kick_through_printer(printer, 3, 100, 100)
    assert printer.output == b""
