"""Checks across the device keys of the settings page (issue 11; docs/settings.md, section
"Printers, scanners and pins").

Each key is checked on its own by the config schema; what only makes sense together is
checked here, on the configuration as it would be after the change: one BCM pin used for two
things, a backend without what it needs to reach its device (usb without ids, network without
a host, ...), GPIO parts with no GPIO backend. A problem is reported only when the change
touches one of the keys involved, so an odd value already in /etc/tillbox/tillbox.toml never
blocks an unrelated change; the error names a changed key (the field the page marks).
"""

from __future__ import annotations

import os
from typing import Any, Iterable

from .errors import ValidationError
from .i18n import _

#: The GPIO (BCM) pins and when each one is in use.
PIN_KEYS = ("gpio.status_led_pin", "gpio.buzzer_pin", "gpio.button_pin", "gpio.door_pin",
            "drawer.relay_pin", "drawer.sensor_pin")
#: What each pin does, for the error message (marked for translation below).
PIN_NAMES = {"gpio.status_led_pin": "the status LED", "gpio.buzzer_pin": "the buzzer",
             "gpio.button_pin": "the reprint button", "gpio.door_pin": "the door counter",
             "drawer.relay_pin": "the drawer relay", "drawer.sensor_pin": "the drawer switch"}
_("the status LED")
_("the buzzer")
_("the reprint button")
_("the door counter")
_("the drawer relay")
_("the drawer switch")


def pins_in_use(v: dict[str, Any]) -> dict[str, int]:
    """{pin key: BCM number} of the pins the configuration uses (0 is "none")."""
    used = {}
    for key in PIN_KEYS:
        if not v.get(key):
            continue
        if key == "drawer.relay_pin" and v.get("drawer.kick") != "gpio":
            continue
        if key == "drawer.sensor_pin" and v.get("drawer.sensor") != "gpio":
            continue
        used[key] = v[key]
    return used


def _problems(v: dict[str, Any]) -> Iterable[tuple[tuple[str, ...], str]]:
    """(keys involved, message) for each thing wrong with the combination."""
    used = pins_in_use(v)
    seen: dict[int, str] = {}
    for key, pin in used.items():
        if pin in seen:
            other = seen[pin]
            yield ((key, other, "drawer.kick", "drawer.sensor"),
                   _("GPIO pin {pin} is already used for {other}; {this} needs a pin of its "
                     "own", pin=pin, other=_(PIN_NAMES[other]), this=_(PIN_NAMES[key])))
        else:
            seen[pin] = key
    gpio_parts = [k for k in used]
    if gpio_parts and v.get("gpio.backend") == "none":
        yield (tuple(gpio_parts) + ("gpio.backend", "drawer.kick", "drawer.sensor"),
               _("{this} is on a GPIO pin, but GPIO is off: set the GPIO backend to native "
                 "(or mock for a test box)", this=_(PIN_NAMES[gpio_parts[0]])))
    if v.get("drawer.kick") == "gpio" and not v.get("drawer.relay_pin"):
        yield (("drawer.kick", "drawer.relay_pin"),
               _("the drawer opens through a GPIO relay: give the relay's pin"))
    if v.get("drawer.sensor") == "gpio" and not v.get("drawer.sensor_pin"):
        yield (("drawer.sensor", "drawer.sensor_pin"),
               _("the drawer switch is on a GPIO input: give its pin"))
    for section in ("printer", "label_printer"):
        backend = v.get(f"{section}.backend")
        what = _("the receipt printer") if section == "printer" else _("the label printer")
        if backend == "usb" and not (v.get(f"{section}.usb_vendor")
                                     and v.get(f"{section}.usb_product")):
            yield ((f"{section}.backend", f"{section}.usb_vendor", f"{section}.usb_product"),
                   _("{what} on USB needs its vendor and product ids (lsusb shows them, "
                     "e.g. 0416:5011)", what=what))
        if backend == "network" and not (v.get(f"{section}.host") or "").strip():
            yield ((f"{section}.backend", f"{section}.host"),
                   _("{what} on the network needs its address", what=what))
    if v.get("printer.backend") == "serial" and not (v.get("printer.serial_device") or ""):
        yield (("printer.backend", "printer.serial_device"),
               _("a serial printer needs its serial port, e.g. /dev/ttyUSB0"))
    if v.get("printer.backend") == "file" and not (v.get("printer.device") or ""):
        yield (("printer.backend", "printer.device"),
               _("a printer device file is needed, e.g. /dev/usb/lp0"))
    if v.get("label_printer.backend") == "receipt" and v.get("printer.backend") == "none":
        yield (("label_printer.backend", "printer.backend"),
               _("labels are to print on the receipt printer, but no receipt printer is set "
                 "up"))
    if v.get("scanner.backend") in ("evdev", "serial") and \
            not [d for d in (v.get("scanner.devices") or "").split(",") if d.strip()]:
        yield (("scanner.backend", "scanner.devices"),
               _("name the scanner's device (a /dev/input/by-id/... or /dev/serial/by-id/... "
                 "path)"))


def check_profile(value: str) -> None:
    """The printer profile must be one python-escpos knows (printerd could not print)."""
    from drivers.printer.transport import check_profile as known
    try:
        known(value)
    except ValueError:
        raise ValidationError(_("unknown printer profile {name}: use a python-escpos profile "
                                "such as default, TM-T88V or POS-5890", name=repr(value)),
                              field="printer.profile") from None


#: Page keys naming device files the daemons open (printerd opens printer.device read-write).
DEVICE_PATH_KEYS = {"printer.device": "/dev/usb/lp0", "printer.serial_device": "/dev/ttyUSB0",
                    "scanner.devices": "/dev/input/by-id/usb-...-event-kbd"}


def is_device_path(path: str) -> bool:
    """Under /dev/, also once every symlink and ".." is resolved: never a file of the box's
    own (the ledger in paths.data, a configuration file), which printerd would write over."""
    return path.startswith("/dev/") and os.path.realpath(path).startswith("/dev/")


def check_device_paths(values: dict[str, Any], changed: set[str]) -> None:
    for key, example in DEVICE_PATH_KEYS.items():
        if key not in changed:
            continue
        raw = str(values.get(key) or "")
        paths = [p.strip() for p in raw.split(",")] if key == "scanner.devices" else [raw]
        for path in paths:
            if not path or (key == "scanner.devices" and "/" not in path):
                continue    # empty (checked above), or an evdev device's name
            if not is_device_path(path):
                raise ValidationError(_("{path} is not a device: give a path under /dev/, "
                                        "e.g. {example}", path=path, example=example), field=key)


def check_devices(values: dict[str, Any], changed: set[str]) -> None:
    """Refuse a combination that cannot work, naming a changed key; ``values`` is every page
    key as it would be after the change ({"section.key": value})."""
    if "printer.profile" in changed:
        check_profile(values["printer.profile"])
    check_device_paths(values, changed)
    for keys, message in _problems(values):
        touched = [k for k in keys if k in changed]
        if touched:
            raise ValidationError(message, field=touched[0])
