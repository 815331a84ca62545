"""The settings page's "Printers, scanners and pins": reading and changing device settings
(appliance.config_changes through /api/v1/settings/devices)."""

from __future__ import annotations

import pytest

from appliance.box import Box
from appliance.config import load, read_overlay
from appliance.config_changes import change_config
from appliance.errors import ValidationError
from appliance.orders import Actor


def records_of(box, kind):
    return [r for r in box.ledger.records() if r.type == kind]


def test_the_section_lists_device_keys_with_choices_and_limits(web):
    owner = web.as_role("owner")
    r = owner.get("/api/v1/settings/devices")
    assert r.status_code == 200
    settings = r.get_json()["settings"]
    assert settings["printer.backend"]["value"] == "none"
    assert "network" in settings["printer.backend"]["choices"]
    assert settings["gpio.buzzer_pin"]["maximum"] == 27
    assert settings["printer.port"]["locked"] is None
    # Only this section's keys: no paths, web, shop or head-office keys.
    assert {k.split(".")[0] for k in settings} == {"printer", "label_printer", "drawer",
                                                    "scanner", "gpio"}


def test_a_change_is_written_to_the_overlay_journalled_and_read_back(web):
    owner = web.as_role("owner")
    r = owner.patch("/api/v1/settings/devices",
                    json={"printer.backend": "usb", "printer.usb_vendor": "0x0416",
                          "printer.usb_product": "5011", "printer.profile": "POS-5890"})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["changed"]["printer.usb_vendor"] == {"from": 0, "to": 0x0416}
    assert body["settings"]["printer.usb_product"]["value"] == 0x5011
    cfg = web.box.config
    assert read_overlay(cfg.overlay_path)["printer"] == {
        "backend": "usb", "usb_vendor": 0x0416, "usb_product": 0x5011, "profile": "POS-5890"}
    again = load(cfg.source, environ={})
    assert (again.printer.backend, again.printer.usb_vendor) == ("usb", 0x0416)
    assert again.origins["printer.backend"] == str(cfg.overlay_path)
    [record] = records_of(web.box, "config.changed")
    assert record.data["changes"]["printer.backend"] == {"from": "none", "to": "usb"}
    assert record.actor["staff"] == web.staff_ids["owner"]
    # Setting the same values again changes nothing and writes no record.
    r = owner.patch("/api/v1/settings/devices", json={"printer.backend": "usb"})
    assert r.get_json()["changed"] == {}
    assert len(records_of(web.box, "config.changed")) == 1


def test_only_the_owner_changes_devices(web):
    r = web.as_role("manager").patch("/api/v1/settings/devices",
                                     json={"printer.backend": "simulated"})
    assert r.status_code == 403
    assert not records_of(web.box, "config.changed")


@pytest.mark.parametrize("values, field", [
    ({"printer.backend": "usb"}, "printer.backend"),
    ({"printer.backend": "network", "printer.host": ""}, "printer.backend"),
    ({"printer.backend": "serial", "printer.serial_device": ""}, "printer.backend"),
    ({"label_printer.backend": "network"}, "label_printer.backend"),
    ({"label_printer.backend": "receipt"}, "label_printer.backend"),
    ({"scanner.backend": "evdev"}, "scanner.backend"),
    ({"drawer.kick": "gpio", "gpio.backend": "mock"}, "drawer.kick"),
    ({"gpio.status_led_pin": 17}, "gpio.status_led_pin"),        # GPIO is off
    ({"printer.profile": "NO-SUCH-PRINTER"}, "printer.profile"),
    ({"printer.usb_vendor": "0xZZ"}, "printer.usb_vendor"),
    ({"printer.port": 70000}, "printer.port"),
    ({"web.port": 9000}, "web.port"),                             # not on this page
    ({"mqtt.host": "broker.example.com"}, "mqtt.host"),           # the head-office section's
])
def test_combinations_that_cannot_work_are_refused_naming_the_field(web, values, field):
    owner = web.as_role("owner")
    r = owner.patch("/api/v1/settings/devices", json=values)
    assert r.status_code == 400, r.get_json()
    assert r.get_json()["field"] == field
    assert not records_of(web.box, "config.changed")
    assert not web.box.config.overlay_path.exists() or \
        "printer" not in read_overlay(web.box.config.overlay_path)


def test_one_pin_is_never_used_for_two_things(web):
    owner = web.as_role("owner")
    assert owner.patch("/api/v1/settings/devices", json={
        "gpio.backend": "mock", "gpio.status_led_pin": 17, "gpio.buzzer_pin": 27,
    }).status_code == 200
    r = owner.patch("/api/v1/settings/devices", json={"gpio.door_pin": 17})
    assert r.status_code == 400
    assert r.get_json()["field"] == "gpio.door_pin"
    assert "17" in r.get_json()["error"] and "status LED" in r.get_json()["error"]
    # The drawer switch counts only once the drawer is read from GPIO.
    assert owner.patch("/api/v1/settings/devices",
                       json={"drawer.sensor_pin": 27}).status_code == 200
    r = owner.patch("/api/v1/settings/devices", json={"drawer.sensor": "gpio"})
    assert r.status_code == 400 and r.get_json()["field"] == "drawer.sensor"
    # Moving the buzzer away frees the pin for the switch, in one change.
    assert owner.patch("/api/v1/settings/devices", json={
        "drawer.sensor": "gpio", "gpio.buzzer_pin": 22}).status_code == 200
    assert web.box.config.drawer.sensor_pin == 27 and web.box.config.gpio.buzzer_pin == 22


def test_a_key_set_in_the_environment_is_locked(tmp_path):
    cfg_file = tmp_path / "t.toml"
    cfg_file.write_text('[paths]\ndata = "d"\n', encoding="utf-8")
    box = Box(load(cfg_file, environ={"TILLBOX_PRINTER__PORT": "9200"}))
    try:
        owner = Actor("s-owner", "owner", "counter")
        from appliance.config_changes import describe
        assert describe(box.config)["printer.port"]["locked"] == "TILLBOX_PRINTER__PORT"
        with pytest.raises(ValidationError) as err:
            change_config(box, owner, {"printer.port": 9300})
        assert err.value.field == "printer.port"
        assert "TILLBOX_PRINTER__PORT" in str(err.value)
        assert not box.config.overlay_path.exists()
    finally:
        box.close()


def test_the_overlay_is_put_back_when_the_record_cannot_be_written(web, monkeypatch):
    owner = Actor(web.staff_ids["owner"], "owner", "counter")
    change_config(web.box, owner, {"printer.backend": "simulated"})
    before = web.box.config.overlay_path.read_bytes()

    from appliance.ledger import store as ledger_mod

    def refuse(*_a, **_k):
        raise OSError("disk full")
    monkeypatch.setattr(ledger_mod.Transaction, "append", refuse)
    with pytest.raises(OSError):
        change_config(web.box, owner, {"printer.port": 9300})
    monkeypatch.undo()
    assert web.box.config.overlay_path.read_bytes() == before
    assert web.box.config.printer.port == 9100
    assert load(web.box.config.source, environ={}).printer.port == 9100
    assert len(records_of(web.box, "config.changed")) == 1
