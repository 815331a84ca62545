"""Device settings, issue 11 review: device paths the page may set, a receipt waiting across
a printer change, and printerd's pins across a drawer or GPIO change."""

from __future__ import annotations

import os

import pytest


def refused(owner, values):
    r = owner.patch("/api/v1/settings/devices", json=values)
    return r.status_code, (r.get_json() or {}).get("field")


@pytest.mark.parametrize("values, field", [
    ({"printer.backend": "file", "printer.device": "LEDGER"}, "printer.device"),
    ({"printer.backend": "file", "printer.device": "/dev/../var/lib/tillbox/ledger.db"},
     "printer.device"),
    ({"printer.backend": "file", "printer.device": "LINK"}, "printer.device"),
    ({"printer.backend": "serial", "printer.serial_device": "/etc/tillbox/tillbox.toml"},
     "printer.serial_device"),
    ({"scanner.backend": "evdev", "scanner.devices": "/dev/input/event3,LEDGER"},
     "scanner.devices"),
])
def test_a_device_path_outside_dev_is_refused(web, tmp_path, values, field):
    ledger = str(web.box.config.ledger_path)
    link = tmp_path / "lp-link"
    os.symlink(ledger, link)
    values = {k: v.replace("LEDGER", ledger).replace("LINK", str(link))
              for k, v in values.items()}
    owner = web.as_role("owner")
    assert refused(owner, values) == (400, field)
    assert not [r for r in web.box.ledger.records() if r.type == "config.changed"]


def test_device_paths_under_dev_and_scanner_names_are_taken(web):
    owner = web.as_role("owner")
    assert refused(owner, {"printer.backend": "file", "printer.device": "/dev/usb/lp1"})[0] \
        == 200
    assert refused(owner, {"scanner.backend": "evdev", "scanner.devices":
                           "/dev/input/by-id/usb-scanner-event-kbd, Honeywell Scanner"})[0] \
        == 200


@pytest.fixture
def live(tmp_path, monkeypatch):
    import services.live_devices
    import services.printerd
    from test_device_settings_live import Rig
    monkeypatch.setattr(services.printerd, "POLL_WAIT", 0.2)
    monkeypatch.setattr(services.live_devices, "CHECK_EVERY", 0.2)
    monkeypatch.setattr(services.live_devices, "RETRY_AFTER", 0.2)
    r = Rig(tmp_path)
    yield r
    r.close()


def test_a_waiting_receipt_is_drawn_again_for_the_changed_printer(live):
    from conftest import wait_until
    from drivers.printer import simulated
    simulated.write_faults(live.sim_a.state_dir, cover_open=True)
    worker, _factory = live.start_printerd()
    owner = live.api("owner")
    job_id = owner.post("/api/v1/settings/devices/test-print").get_json()["job_id"]
    wait_until(lambda: live.job(owner, job_id)["state"] == "waiting", 10, "the job waiting")
    # Drawn with Chinese as GB18030 text; the owner switches to raster meanwhile.
    assert owner.patch("/api/v1/settings/devices",
                       json={"printer.chinese": "raster"}).status_code == 200
    wait_until(lambda: worker.printer.cfg.chinese == "raster", 10, "printerd on raster")
    simulated.write_faults(live.sim_a.state_dir, cover_open=False)
    wait_until(lambda: live.job(owner, job_id)["state"] == "printed", 10, "printed")
    [page] = simulated.paper_roll(live.sim_a.state_dir)
    text = "\n".join(ln["text"] for ln in page["lines"])
    assert "西湖龙井" not in text and page["images"]      # lines with Chinese as images now


def test_a_drawer_change_reopens_only_the_relay_and_a_kick_waits_for_its_retry(live):
    import threading

    from gpiozero import LED

    from conftest import wait_until
    worker, factory = live.start_printerd()
    owner = live.api("owner")
    light = worker.pins.light
    assert owner.patch("/api/v1/settings/devices", json={
        "drawer.kick": "gpio", "drawer.relay_pin": 22}).status_code == 200
    wait_until(lambda: worker.pins.relay is not None, 10, "the relay on GPIO22")
    assert worker.pins.light is light           # the LED was left alone
    # The relay moves to a pin something else still holds: the change waits for a retry.
    other = LED(23, pin_factory=factory)
    assert owner.patch("/api/v1/settings/devices",
                       json={"drawer.relay_pin": 23}).status_code == 200
    wait_until(lambda: worker.live.retry_at is not None, 10, "the first attempt failing")
    assert worker.pins.relay is None and worker.pins.light is light
    cashier = live.api("cashier")
    r = cashier.post("/api/v1/drawer/open", json={"reason": "change for the float"})
    assert r.status_code == 201, r.get_json()
    job_id = r.get_json()["job_id"]
    threading.Timer(0.6, other.close).start()   # the pin is let go meanwhile
    done = wait_until(lambda: (lambda j: j if j["state"] in ("printed", "failed") else None)(
        live.box.printing.get(job_id)), 15, "the kick done")
    assert done["state"] == "printed", done
    assert any(s.state for s in factory.pin(23).states)
    assert worker.pins.light is light


def test_a_new_gpio_backend_closes_the_old_pin_factory(live):
    from conftest import wait_until
    worker, factory = live.start_printerd()
    owner = live.api("owner")
    assert owner.patch("/api/v1/settings/devices", json={"gpio.backend": "none",
                                                          "gpio.status_led_pin": 0,
                                                          "gpio.buzzer_pin": 0}
                       ).status_code == 200
    wait_until(lambda: worker.pin_factory is None, 10, "the factory let go")
    assert worker.pins.light is None
    assert not factory.pins            # every pin of the old factory released
