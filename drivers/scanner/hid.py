"""USB keyboard-wedge scanners through evdev.

The scanner is named by a stable path (``/dev/input/by-id/usb-...-event-kbd``, which survives
re-plugging and reboots, unlike ``/dev/input/eventN``) or by its device name as evdev reports
it. It is grabbed exclusively so the codes do not also type into the console or a shell.
"""

from __future__ import annotations

import errno
import logging
import select
import time
from typing import Callable

import evdev
from evdev import ecodes

from . import ReconnectingSource
from .codes import UNREADABLE_MARK
from .keymap import KeyDecoder

log = logging.getLogger(__name__)


def _list_input_devices() -> list[str]:
    # Readable is enough: reading and grabbing need no write access.
    return evdev.list_devices(writable=False)


def _types_digits(device) -> bool:
    keys = device.capabilities().get(ecodes.EV_KEY, [])
    return ecodes.KEY_1 in keys or ecodes.KEY_KP1 in keys


def open_input_device(spec: str, *, list_devices: Callable[[], list[str]] = _list_input_devices,
                      input_device: Callable = evdev.InputDevice):
    """Open ``spec``: a path (has a "/"), or the name of a device among ``list_devices()``.

    A scanner often shows up as several event nodes with the same name (keyboard, consumer
    keys); the first one that can type digits is taken. Raises FileNotFoundError naming the
    device and the names found.
    """
    if "/" in spec:
        return input_device(spec)
    seen = []
    for path in sorted(list_devices()):
        try:
            device = input_device(path)
        except OSError:
            continue   # unplugged meanwhile, or no permission: not ours to report
        if device.name == spec and _types_digits(device):
            return device
        seen.append(device.name)
        device.close()
    found = ", ".join(repr(n) for n in seen) or "none readable; is scannerd in group input?"
    raise FileNotFoundError(
        errno.ENOENT, f"no input device named {spec!r} that types digits (found: {found}); "
        "plug the scanner in, or fix scanner.devices")


class HidScanner(ReconnectingSource):
    """A keyboard-wedge scanner. ``suffix`` "none": a code ends after ``gap`` seconds without
    a key. ``opener(spec)`` returns an object with evdev.InputDevice's small surface
    (fileno, read, grab, ungrab, close, name, path): the seam for tests."""

    def __init__(self, path: str, layout: str = "us", suffix: str = "enter", grab: bool = True,
                 *, gap: float = 0.1, opener: Callable = open_input_device,
                 poll: float = 0.5, retry_initial: float = 0.5, retry_max: float = 10.0):
        super().__init__(poll=poll, retry_initial=retry_initial, retry_max=retry_max)
        self.spec = path
        self.grab = grab
        self.gap = gap
        self.decoder = KeyDecoder(layout, suffix)
        self._opener = opener
        self._device = None
        self._last_key = 0.0

    def describe(self) -> str:
        return f"evdev scanner {self.spec}"

    def _open(self) -> None:
        device = self._opener(self.spec)
        if self.grab:
            try:
                device.grab()
            except OSError as exc:
                device.close()
                raise OSError(exc.errno, f"{self.describe()} is grabbed by another program "
                              f"({exc.strerror}); stop it or set scanner.grab = false") from exc
        self._device = device
        self.decoder.reset()   # half a code from before an unplug is no code
        log.info("%s is %r at %s%s", self.describe(), device.name, device.path,
                 " (grabbed)" if self.grab else "")

    def _read(self, timeout: float) -> list[str]:
        decoder = self.decoder
        if decoder.pending and decoder.suffix == "none":
            timeout = max(0.0, min(timeout, self._last_key + self.gap - time.monotonic()))
        ready, _, _ = select.select([self._device], [], [], timeout)
        codes = []
        if ready:
            try:
                events = list(self._device.read())
            except BlockingIOError:
                events = []
            for event in events:
                code = decoder.feed(event)
                if code is not None:
                    codes.append(code)
            if events:
                self._last_key = time.monotonic()
        if (decoder.suffix == "none" and decoder.pending
                and time.monotonic() - self._last_key >= self.gap):
            codes.append(decoder.flush())
        for code in codes:
            if UNREADABLE_MARK in code:
                log.warning("%s typed %d key(s) the %s layout cannot translate in %r: check "
                            "the scanner's keyboard layout (scanner.keyboard_layout)",
                            self.describe(), code.count(UNREADABLE_MARK),
                            decoder.layout.name, code)
        return codes

    def _close(self) -> None:
        device, self._device = self._device, None
        if device is None:
            return
        if self.grab:
            try:
                device.ungrab()
            except OSError:
                pass   # unplugged: the grab went with the device
        try:
            device.close()
        except OSError as exc:
            log.debug("%s: close failed (%s)", self.describe(), exc)
