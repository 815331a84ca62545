"""Drawer kick through the receipt printer's drawer connector: ESC p m t1 t2."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

ESC_P = b"\x1b\x70"
_CONNECTOR = {2: 0, 5: 1}   # drawer connector pin -> m
_UNIT_MS = 2                # t1, t2 count in 2 ms units
_MAX_MS = 255 * _UNIT_MS


def _units(name: str, ms: int) -> int:
    if isinstance(ms, bool) or not isinstance(ms, int) or not 1 <= ms <= _MAX_MS:
        raise ValueError(f"drawer kick {name}={ms!r} is out of range: use 1..{_MAX_MS} ms")
    return -(-ms // _UNIT_MS)   # round up: a pulse shorter than asked may not open the drawer


def printer_kick_bytes(pin: int, on_ms: int, off_ms: int) -> bytes:
    """ESC p m t1 t2 for connector ``pin`` 2 or 5, pulse on for ``on_ms`` then off for
    ``off_ms`` (each 1..510 ms, rounded up to 2 ms units)."""
    if pin not in _CONNECTOR or isinstance(pin, bool):
        raise ValueError(f"drawer kick pin={pin!r} is not a drawer connector pin: use 2 or 5")
    t1 = _units("on_ms", on_ms)
    # Epson printers use t1 as the off time when t2 < t1; say so in the bytes we send.
    t2 = max(_units("off_ms", off_ms), t1)
    return ESC_P + bytes((_CONNECTOR[pin], t1, t2))


def kick_through_printer(printer, pin: int, on_ms: int, off_ms: int) -> None:
    """Send the kick through any python-escpos printer object (its ``_raw``)."""
    data = printer_kick_bytes(pin, on_ms, off_ms)
    printer._raw(data)
    log.info("drawer kick sent through the printer (connector pin %d, %d ms)", pin, on_ms)


def realtime_kick_bytes(pin: int, on_ms: int) -> bytes:
    """DLE DC4 1 m t: the real-time pulse, which an Epson-style printer obeys even while it
    is offline for paper out or an open cover (ESC p waits in the buffer until then).
    ``t`` counts 100 ms units (1..8)."""
    if pin not in _CONNECTOR or isinstance(pin, bool):
        raise ValueError(f"drawer kick pin={pin!r} is not a drawer connector pin: use 2 or 5")
    t = min(max(-(-on_ms // 100), 1), 8)
    return b"\x10\x14\x01" + bytes((_CONNECTOR[pin], t))
