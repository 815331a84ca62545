"""/api/v1/settings/devices: printers, scanners and GPIO pins from the settings page (issue 11;
docs/settings.md "Printers, scanners and pins", docs/api.md).

Reading and changing go through appliance.config_changes (the setup overlay and one
``config.changed`` journal record); the daemons owning the devices notice the change within
about a second and reopen them (services/live_devices.py). The tests never touch a device
here: a test page is a job on the durable print queue, a scan test takes the next scan in
core's scan route, and LED, buzzer and input tests are requests the owning daemon collects
(appliance.device_commands). The page polls each one's outcome.
"""

from __future__ import annotations

import logging
import re

from flask import current_app, g, jsonify, request

from appliance.config_changes import change_config, describe
from appliance.device_commands import ACTIONS, DeviceCommands
from appliance.device_config import pins_in_use
from appliance.errors import Conflict, NotFound, ValidationError
from appliance.i18n import _
from appliance.printing import test_page
from appliance.scan_test import ScanTest
from appliance.scans import rules_from_config

from ..access import DEVICE, access
from . import body, box, bp, field_str, publish
from .device import job_json

log = logging.getLogger(__name__)

#: The config sections this section of the settings page shows, in its order.
SECTIONS = ("printer", "label_printer", "drawer", "scanner", "gpio")
HEX_KEYS = ("printer.usb_vendor", "printer.usb_product", "label_printer.usb_vendor",
            "label_printer.usb_product")
#: The page's GPIO tests: which request goes to which daemon(s).
TESTS = {"led": "blink", "buzzer": "beep", "inputs": "inputs"}


def _scan_test() -> ScanTest:
    return current_app.extensions.setdefault("tillbox_scan_test", ScanTest())


def _commands() -> DeviceCommands:
    return current_app.extensions.setdefault("tillbox_device_commands", DeviceCommands())


def take_test_scan(code: str, device: str, scan_id: str = "") -> dict | None:
    """For core's scan route: the scan test's result when a test is armed, or when it took
    this scan id before (scannerd retrying after a lost answer); the scan then goes no
    further: it never lands in an order. Else None."""
    test = current_app.extensions.get("tillbox_scan_test")
    if test is None or not (test.armed() or test.took(scan_id)):
        return None
    real = current_app.config["BOX"]
    result = test.take(real, rules_from_config(real.config), code, device, scan_id)
    if result is not None:
        log.info("scan from %s taken by the scan test", device)
    return result


def _view() -> dict:
    cfg = box().config
    settings = {k: v for k, v in describe(cfg).items() if k.split(".")[0] in SECTIONS}
    return {"settings": settings, "sections": list(SECTIONS),
            "pins": {k: v for k, v in pins_in_use(
                {k: s["value"] for k, s in settings.items()}).items()}}


def _hex(key: str, value):
    """USB ids as the page types them: "0x0416", "0416" (hex, as lsusb shows) or a number."""
    if isinstance(value, str):
        text = value.strip().lower()
        if not re.fullmatch(r"(0x)?[0-9a-f]{1,4}", text):
            raise ValidationError(_("{key} must be a hexadecimal id like 0x0416", key=key),
                                  field=key)
        return int(text, 16)
    return value


@bp.get("/settings/devices")
@access("settings.edit")
def device_settings():
    return jsonify(_view())


@bp.patch("/settings/devices")
@access("settings.edit")
def change_device_settings():
    data = body()
    values = {}
    for key, value in data.items():
        if key.split(".")[0] not in SECTIONS:
            raise ValidationError(_("there is no setting named {key}", key=repr(key)),
                                  field=key)
        values[key] = _hex(key, value) if key in HEX_KEYS else value
    changes = change_config(box(), g.actor, values)
    if changes:
        publish("settings", {"keys": sorted(changes)})
    return jsonify({**_view(), "changed": changes})


# -- the test page ---------------------------------------------------------------------------

@bp.post("/settings/devices/test-print")
@access("settings.edit")
def test_print():
    real = box()
    if real.config.printer.backend == "none":
        raise Conflict(_("no receipt printer is set up: choose how it is connected first"))
    job_id = test_page.enqueue(real, g.actor.staff_id)
    job = real.printing.get(job_id)
    publish("print_job", job_json(job))
    log.info("test page queued (job %s) by %s", job_id, g.actor.staff_id)
    return jsonify({"job_id": job_id, "job": job_json(job)}), 201


@bp.get("/settings/devices/print-jobs/<job_id>")
@access("settings.edit")
def test_print_job(job_id: str):
    """A test page's state: queued, printing, waiting (reason), printed, failed (reason)."""
    if not job_id.startswith("test-"):
        raise NotFound(_("no print job {id}", id=job_id))
    return jsonify({"job": job_json(box().printing.get(job_id))})


# -- the scan test -------------------------------------------------------------------------

@bp.post("/settings/devices/scan-test")
@access("settings.edit")
def arm_scan_test():
    if box().config.scanner.backend == "none":
        raise Conflict(_("no scanner is set up: choose how it is connected first"))
    # A cashier's next scan would go to the test: not while the counter has a sale open.
    till = current_app.config["SCANS"].till()
    if till is not None and till.order_id:
        order = current_app.config["SCANS"].box.orders.get_order(till.order_id)
        if order.status == "open":
            raise Conflict(_("the counter has order {number} open: finish or park it first, "
                             "then test the scanner", number=order.number))
    test = _scan_test().arm(g.actor.staff_id)
    return jsonify({"test": test}), 201


@bp.get("/settings/devices/scan-test/<test_id>")
@access("settings.edit")
def scan_test_state(test_id: str):
    try:
        return jsonify({"test": _scan_test().get(test_id)})
    except NotFound:
        raise NotFound(_("no scan test {id}", id=test_id)) from None


@bp.post("/settings/devices/scan-test/<test_id>/cancel")
@access("settings.edit")
def cancel_scan_test(test_id: str):
    try:
        return jsonify({"test": _scan_test().cancel(test_id)})
    except NotFound:
        raise NotFound(_("no scan test {id}", id=test_id)) from None


# -- LED, buzzer and inputs ------------------------------------------------------------------

@bp.post("/settings/devices/gpio-test")
@access("settings.edit")
def gpio_test():
    part = field_str(body(), "part", required=True)
    if part not in TESTS:
        raise ValidationError(_("part must be one of {choices}", choices=", ".join(TESTS)),
                              field="part")
    cfg = box().config
    if cfg.gpio.backend == "none":
        raise Conflict(_("GPIO is off on this box: set the GPIO backend first"))
    pin = {"led": cfg.gpio.status_led_pin, "buzzer": cfg.gpio.buzzer_pin}.get(part, 1)
    if not pin:
        raise Conflict(_("no pin is set for this part"))
    action = TESTS[part]
    daemons = ACTIONS[action]
    daemons = (daemons,) if isinstance(daemons, str) else daemons
    commands = [_commands().add(d, action) for d in daemons]
    return jsonify({"commands": commands}), 202


@bp.get("/settings/devices/commands/<command_id>")
@access("settings.edit")
def gpio_test_state(command_id: str):
    return jsonify({"command": _commands().get(command_id)})


@bp.get("/device/commands")
@access(DEVICE)
def device_commands():
    """printerd and scannerd collect the page's device tests here (about once a second)."""
    daemon = request.args.get("daemon", "")
    if daemon not in ("printerd", "scannerd"):
        raise ValidationError(_("daemon must be printerd or scannerd"), field="daemon")
    return jsonify({"commands": _commands().take(daemon)})


@bp.post("/device/commands/<command_id>")
@access(DEVICE)
def device_command_done(command_id: str):
    data = body()
    inputs = data.get("inputs") or {}
    if not isinstance(inputs, dict):
        raise ValidationError(_("inputs must be an object"), field="inputs")
    command = _commands().report(command_id, field_str(data, "state", required=True),
                                 field_str(data, "detail", default=""), inputs)
    return jsonify({"command": command})
