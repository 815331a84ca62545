"""Configuration changes from the settings page (issue 11 review): two saves at once are
checked one after the other, and removing an uploaded certificate lets the one named in
tillbox.toml apply again."""

from __future__ import annotations

import threading
import time

import appliance.provisioning
from appliance.config import read_overlay
from appliance.config_changes import change_config, reload
from appliance.errors import ValidationError
from appliance.headoffice_link import store_tls
from appliance.orders.permissions import Actor
from test_headoffice_settings_api import make_pair

OWNER = Actor("owner-1", "owner", "settings")


def test_two_saves_at_once_cannot_put_two_parts_on_one_pin(web, tmp_path, monkeypatch):
    (tmp_path / "t.toml").write_text('[paths]\ndata = "d"\n[gpio]\nbackend = "mock"\n'
                                     'status_led_pin = 5\nbuzzer_pin = 6\n')
    web.box.config = reload(web.box.config)
    real = appliance.provisioning.write_overlay

    def slow_write(path, updates):      # a slow SD card: the window where both were checked
        time.sleep(0.3)
        return real(path, updates)
    monkeypatch.setattr(appliance.provisioning, "write_overlay", slow_write)
    outcome: dict = {}
    start = threading.Barrier(2)

    def save(key):
        start.wait()
        try:
            outcome[key] = change_config(web.box, OWNER, {key: 17})
        except ValidationError as exc:
            outcome[key] = exc
    threads = [threading.Thread(target=save, args=(k,))
               for k in ("gpio.status_led_pin", "gpio.buzzer_pin")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    refused = [k for k, v in outcome.items() if isinstance(v, ValidationError)]
    assert len(refused) == 1, outcome
    assert "17" in outcome[refused[0]].message
    gpio = web.box.config.gpio
    assert sorted([gpio.status_led_pin, gpio.buzzer_pin]) == sorted([17, {
        "gpio.status_led_pin": 5, "gpio.buzzer_pin": 6}[refused[0]]])
    records = [r for r in web.box.ledger.records() if r.type == "config.changed"]
    assert len(records) == 1


def test_removing_an_uploaded_ca_lets_tillbox_toml_apply_again(web, tmp_path):
    ca_pem, _key = make_pair("Shop CA")
    system_ca = tmp_path / "system-ca.pem"
    system_ca.write_text(ca_pem)
    (tmp_path / "t.toml").write_text(f'[paths]\ndata = "d"\n[mqtt]\nca_file = "{system_ca}"\n')
    web.box.config = reload(web.box.config)
    uploaded, _ = make_pair("Head office CA")
    assert store_tls(web.box, OWNER, {"ca_file": uploaded})
    assert web.box.config.mqtt.ca_file != str(system_ca)
    changes = store_tls(web.box, OWNER, {"ca_file": ""})
    assert "ca_file" not in read_overlay(web.box.config.overlay_path).get("mqtt", {})
    assert web.box.config.mqtt.ca_file == str(system_ca)
    assert changes["mqtt.ca_file"]["to"] == str(system_ca)
    rec = [r for r in web.box.ledger.records() if r.type == "config.changed"][-1]
    assert rec.data["changes"]["mqtt.ca_file"]["to"] == str(system_ca)
    # tillbox.toml's own file is not the page's to remove: nothing changes.
    assert store_tls(web.box, OWNER, {"ca_file": ""}) == {}
    assert web.box.config.mqtt.ca_file == str(system_ca) and system_ca.exists()
