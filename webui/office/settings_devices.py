"""The settings page's "Printers, scanners and pins" section (issue 11; docs/settings.md):
template _settings_devices.html, script js/settings_devices.js, API
webui/api/device_settings.py.

The form is laid out here from the configuration (appliance.config_changes.describe): one
group per device, each field labelled in the screen's language, shown only when it matters
for the chosen backend (``when``), locked when an environment variable sets it. USB ids are
typed as hexadecimal, as lsusb shows them.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from appliance.config_changes import describe

HEX_KEYS = ("printer.usb_vendor", "printer.usb_product", "label_printer.usb_vendor",
            "label_printer.usb_product")


def _groups() -> list[tuple[str, str, list[tuple[str, str, str, str]]]]:
    """(section, title, [(key, label, when, hint)]); ``when`` is "other.key=a|b" or ""."""
    pb = "printer.backend="
    lb = "label_printer.backend="
    return [
        ("printer", _("Receipt printer"), [
            ("printer.backend", _("Connection"), "", ""),
            ("printer.usb_vendor", _("USB vendor id"), pb + "usb",
             _("Hexadecimal, as lsusb shows it, e.g. 0416")),
            ("printer.usb_product", _("USB product id"), pb + "usb", _("e.g. 5011")),
            ("printer.serial_device", _("Serial port"), pb + "serial",
             _("Prefer a /dev/serial/by-id/... path")),
            ("printer.serial_baudrate", _("Serial speed"), pb + "serial", ""),
            ("printer.host", _("Printer address"), pb + "network|simulated",
             _("The printer's IP address, e.g. 192.168.1.50")),
            ("printer.port", _("Printer port"), pb + "network|simulated", ""),
            ("printer.device", _("Device file"), pb + "file", _("e.g. /dev/usb/lp0")),
            ("printer.profile", _("Printer model (profile)"),
             pb + "usb|serial|network|file|simulated",
             _("A python-escpos profile such as default, TM-T88V or POS-5890")),
            ("printer.chinese", _("Chinese text"), pb + "usb|serial|network|file|simulated",
             ""),
            ("printer.timeout_ms", _("Answer within (ms)"),
             pb + "usb|serial|network|file|simulated", ""),
        ]),
        ("drawer", _("Cash drawer"), [
            ("drawer.kick", _("Opened through"), "", ""),
            ("drawer.pin", _("Drawer connector pin"), "drawer.kick=printer", ""),
            ("drawer.on_ms", _("Pulse (ms)"), "drawer.kick=printer", ""),
            ("drawer.off_ms", _("Pause after the pulse (ms)"), "drawer.kick=printer", ""),
            ("drawer.relay_pin", _("Relay GPIO pin (BCM)"), "drawer.kick=gpio", ""),
            ("drawer.relay_pulse_ms", _("Relay pulse (ms)"), "drawer.kick=gpio", ""),
            ("drawer.sensor", _("Open or closed read from"), "", ""),
            ("drawer.sensor_pin", _("Drawer switch GPIO pin (BCM)"), "drawer.sensor=gpio", ""),
            ("drawer.open_when_high", _("The switch reads high when the drawer is open"),
             "drawer.sensor=gpio", ""),
            ("drawer.open_alert_seconds", _("Warn when left open for (seconds, 0: never)"),
             "drawer.sensor=printer|gpio", ""),
        ]),
        ("label_printer", _("Label printer"), [
            ("label_printer.backend", _("Connection"), "", ""),
            ("label_printer.usb_vendor", _("USB vendor id"), lb + "usb",
             _("Hexadecimal, as lsusb shows it, e.g. 2d37")),
            ("label_printer.usb_product", _("USB product id"), lb + "usb", ""),
            ("label_printer.host", _("Printer address"), lb + "network", ""),
            ("label_printer.port", _("Printer port"), lb + "network", ""),
            ("label_printer.width_mm", _("Label width (mm)"), lb + "usb|network|simulated", ""),
            ("label_printer.height_mm", _("Label height (mm)"), lb + "usb|network|simulated",
             ""),
            ("label_printer.gap_mm", _("Gap between labels (mm)"),
             lb + "usb|network|simulated", ""),
        ]),
        ("scanner", _("Barcode scanners"), [
            ("scanner.backend", _("Connection"), "", ""),
            ("scanner.devices", _("Scanner devices"), "scanner.backend=evdev|serial|simulated",
             _("Comma separated: /dev/input/by-id/... (USB) or /dev/serial/by-id/... paths")),
            ("scanner.keyboard_layout", _("Keyboard layout"), "scanner.backend=evdev", ""),
            ("scanner.suffix", _("Key after each code"), "scanner.backend=evdev", ""),
            ("scanner.grab", _("Keep scans out of the console"), "scanner.backend=evdev", ""),
            ("scanner.serial_baudrate", _("Serial speed"), "scanner.backend=serial|simulated",
             ""),
        ]),
        ("gpio", _("GPIO pins (BCM numbers, 0: none)"), [
            ("gpio.backend", _("GPIO"), "", ""),
            ("gpio.status_led_pin", _("Status LED"), "gpio.backend=native|mock", ""),
            ("gpio.buzzer_pin", _("Buzzer"), "gpio.backend=native|mock", ""),
            ("gpio.button_pin", _("Reprint button"), "gpio.backend=native|mock", ""),
            ("gpio.door_pin", _("Door counter"), "gpio.backend=native|mock", ""),
        ]),
    ]


def _choice_labels() -> dict:
    return {
        "none": _("None"), "usb": _("USB"), "serial": _("Serial port"),
        "network": _("Network (port 9100)"), "file": _("Device file"),
        "simulated": _("Simulated (development)"), "receipt": _("On the receipt printer"),
        "native": _("This Raspberry Pi's pins"), "mock": _("Simulated pins (development)"),
        "evdev": _("USB (keyboard mode)"), "printer": _("The receipt printer"),
        "gpio": _("A GPIO pin"), "native-no-fs": _("Chinese font, printer starts in Chinese"),
        "raster": _("As an image (printer without a Chinese font)"),
        "enter": _("Enter"), "tab": _("Tab"), "us": _("US"), "de": _("German"),
    }


def _choice_label(key: str, choice: str, labels: dict) -> str:
    if key == "printer.chinese" and choice == "native":
        return _("Chinese font (GB18030)")
    return labels.get(choice, choice)


def script_strings() -> dict:
    """Strings js/settings_devices.js shows; keys start with ``st_devices_``."""
    return {
        "st_devices_saved": _("Saved: the devices use it within a few seconds"),
        "st_devices_unchanged": _("Nothing changed"),
        "st_devices_saving": _("Saving…"),
        "st_devices_fix": _("Check the marked field"),
        "st_devices_hex": _("Type the id in hexadecimal, e.g. 0416"),
        "st_devices_print_queued": _("Test page sent to the printer…"),
        "st_devices_print_printed": _("The test page printed"),
        "st_devices_print_waiting": _("The printer is not ready: {reason}"),
        "st_devices_print_failed": _("The test page did not print: {reason}"),
        "st_devices_print_expired": _("The test page was not printed in time"),
        "st_devices_scan_waiting": _("Scan a code with any scanner now ({seconds} s)…"),
        "st_devices_scan_timed_out": _("No scan arrived in 15 seconds: is the scanner "
                                       "connected and set up here?"),
        "st_devices_scan_cancelled": _("Scan test stopped"),
        "st_devices_scan_code": _("Code"),
        "st_devices_scan_device": _("Scanner"),
        "st_devices_scan_symbology": _("Symbology"),
        "st_devices_scan_match": _("Matches"),
        "st_devices_match_product": _("product: {name}"),
        "st_devices_match_scale_label": _("scale label of {name}"),
        "st_devices_match_member": _("member card of {name}"),
        "st_devices_match_order": _("order {name}"),
        "st_devices_match_nothing": _("nothing in this shop"),
        "st_devices_unreadable": _("not a valid code ({why})"),
        "st_devices_test_sent": _("Asking the box…"),
        "st_devices_test_done": _("Done"),
        "st_devices_led_done": _("The status LED blinks fast for 3 seconds"),
        "st_devices_buzzer_done": _("The buzzer beeped once"),
        "st_devices_test_failed": _("Test failed: {reason}"),
        "st_devices_input_button": _("Reprint button: {state}"),
        "st_devices_input_drawer": _("Drawer: {state}"),
        "st_devices_input_door": _("Door sensor: {state}, {count} visitors since start"),
        "st_devices_pressed": _("pressed"),
        "st_devices_released": _("not pressed"),
        "st_devices_open": _("open"),
        "st_devices_closed": _("closed"),
        "st_devices_active": _("active"),
        "st_devices_idle": _("idle"),
        "st_devices_no_inputs": _("No input pins are set"),
        # Reasons printerd and the page's tests give (machine codes on the wire).
        "st_devices_reason_paper_out": _("out of paper"),
        "st_devices_reason_paper_near_end": _("paper nearly out"),
        "st_devices_reason_cover_open": _("the cover is open"),
        "st_devices_reason_offline": _("the printer is offline"),
        "st_devices_reason_refused": _("the printer refused the connection (wrong address "
                                       "or port?)"),
        "st_devices_reason_timeout": _("the printer did not answer in time"),
        "st_devices_reason_unreachable": _("the printer cannot be reached on the network"),
        "st_devices_reason_not_found": _("the printer is not plugged in (device not found)"),
        "st_devices_reason_permission": _("the box may not open the printer device"),
        "st_devices_reason_no_reply": _("the printer does not answer status queries"),
        "st_devices_reason_no_printer": _("no printer is set up"),
        "st_devices_reason_disconnected": _("the printer connection dropped"),
        "st_devices_reason_layout": _("the page could not be laid out for this printer"),
        "st_devices_reason_too_old": _("it waited too long"),
        "st_devices_reason_no_led": _("no status LED pin is set"),
        "st_devices_reason_no_buzzer": _("no buzzer pin is set"),
        "st_devices_reason_not_collected": _("the device service is not running"),
        "st_devices_reason_no_answer": _("the device service did not answer"),
    }


def context() -> dict:
    """The device form: groups of fields with their values, choices and whether locked."""
    box = current_app.config["BOX"]
    described = describe(box.config)
    labels = _choice_labels()
    groups = []
    for section, title, fields in _groups():
        rows = []
        for key, label, when, hint in fields:
            d = described[key]
            value = d["value"]
            kind = "hex" if key in HEX_KEYS else d["type"]
            rows.append({
                "key": key, "label": label, "when": when, "hint": hint, "kind": kind,
                "value": f"{value:04x}" if kind == "hex" else value,
                "choices": [(c, _choice_label(key, c, labels)) for c in d["choices"]],
                "minimum": d["minimum"], "maximum": d["maximum"], "locked": d["locked"]})
        groups.append({"section": section, "title": title, "fields": rows})
    return {"device_groups": groups}
