"""The small parts behind the devices section: the daemons' config watch, the scan test's
window and the device requests' time-out."""

from __future__ import annotations

from appliance.config import load
from appliance.device_commands import TIMEOUT, DeviceCommands
from appliance.device_config import pins_in_use
from appliance.provisioning import write_overlay
from appliance.scan_test import WINDOW, ScanTest
from appliance.config_watch import SectionWatch


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_the_watch_reports_only_changes_to_its_own_sections(tmp_path):
    cfg_file = tmp_path / "t.toml"
    cfg_file.write_text('[paths]\ndata = "d"\n[printer]\nbackend = "simulated"\n',
                        encoding="utf-8")
    cfg = load(cfg_file, environ={})
    cfg.data_dir.mkdir(parents=True)
    watch = SectionWatch(cfg, ("printer", "drawer"), environ={})
    assert watch.poll(force=True) is None                       # nothing changed
    write_overlay(cfg.overlay_path, {"scanner": {"backend": "simulated"}})
    assert watch.poll(force=True) is None                       # not ours
    write_overlay(cfg.overlay_path, {"printer": {"port": 9200}})
    new = watch.poll(force=True)
    assert new is not None and new.printer.port == 9200 and watch.cfg is new
    # A broken overlay (edited by hand) is logged; the daemon keeps what it has.
    cfg.overlay_path.write_text("[printer\n", encoding="utf-8")
    assert watch.poll(force=True) is None and watch.cfg.printer.port == 9200


def test_a_scan_test_ends_after_its_window_and_then_scans_flow_again(web):
    clock = Clock()
    test = ScanTest(clock)
    armed = test.arm("s-owner")
    assert armed["state"] == "waiting" and armed["seconds_left"] == WINDOW
    clock.now += WINDOW + 1
    assert not test.armed()
    assert test.take(web.box, None, "6901234567892", "scanner") is None
    assert test.get(armed["id"])["state"] == "timed_out"


def test_a_new_scan_test_replaces_the_one_waiting(web):
    from appliance.scans import rules_from_config
    test = ScanTest(Clock())
    first = test.arm("s-owner")
    second = test.arm("s-owner")
    assert test.get(first["id"])["state"] == "cancelled"
    taken = test.take(web.box, rules_from_config(web.box.config), "6901234567894", "x")
    assert taken["id"] == second["id"]
    assert (taken["kind"], taken["error"]) == ("invalid", "bad_check_digit")
    assert not test.armed()


def test_a_device_request_nobody_collects_fails_with_the_reason():
    clock = Clock()
    commands = DeviceCommands(clock)
    c = commands.add("scannerd", "beep")
    assert commands.take("printerd") == []                      # not printerd's
    clock.now += TIMEOUT + 1
    assert commands.get(c["id"]) | {} == {**c, "state": "failed", "detail": "not_collected"}
    d = commands.add("printerd", "blink")
    [taken] = commands.take("printerd")
    assert taken["id"] == d["id"] and commands.take("printerd") == []   # handed out once
    done = commands.report(d["id"], "done")
    assert done["state"] == "done"


def test_drawer_pins_count_only_when_the_drawer_uses_gpio():
    values = {"gpio.status_led_pin": 17, "drawer.kick": "printer", "drawer.relay_pin": 17,
              "drawer.sensor": "gpio", "drawer.sensor_pin": 22}
    assert pins_in_use(values) == {"gpio.status_led_pin": 17, "drawer.sensor_pin": 22}


def test_a_retried_test_scan_is_still_the_test_s(web, device):
    """scannerd sends a scan again with the same id when core's answer was lost: the code
    the test took must not reach the counter then either."""
    owner = web.as_role("owner")
    web.box.config.scanner.backend = "simulated"      # the test needs a scanner set up
    cashier = web.as_role("cashier")
    assert cashier.client.put("/api/v1/till", json={"order_id": None},
                              headers={"X-CSRF-Token": cashier.csrf}).status_code == 200
    test = owner.post("/api/v1/settings/devices/scan-test").get_json()["test"]
    scan = {"code": "6901234567892", "device": "usb-scanner", "scan_id": "a1"}
    first = device.post("/api/v1/device/scans", json=scan).get_json()
    again = device.post("/api/v1/device/scans", json=scan).get_json()
    # Not ok: scannerd beeps as for a refused scan, never the good-scan beep.
    assert first == again and first["kind"] == "test" and first["ok"] is False
    assert first["error"] == "scan_test"
    assert web.box.orders.list_orders(limit=5) == []
    done = owner.get(f"/api/v1/settings/devices/scan-test/{test['id']}").get_json()["test"]
    assert (done["state"], done["match"], done["device"]) == ("scanned", "product",
                                                              "usb-scanner")
    # A new scan (new id) goes to the counter again.
    r = device.post("/api/v1/device/scans", json={**scan, "scan_id": "a2"}).get_json()
    assert r["ok"] and r["kind"] == "product" and r["order_id"]
