"""Device settings reach the running daemons, and the page's tests reach the devices:
printerd and scannerd in-process against a real core on loopback, the simulated printer,
the simulated scanner's FIFO and gpiozero's mock pins."""

from __future__ import annotations

import threading

import pytest

from appliance.box import Box
from appliance.config import load
from appliance.master.catalog import Category, Product
from conftest import PINS, Api, wait_until
from drivers.gpio import pin_factory
from drivers.printer import simulated
from drivers.scanner.simulated import feed_fifo
from loopback import LoopbackServer
from services.daemon import CoreClient, Daemon
from services.printerd import GpioParts, Printerd
from services.scannerd import Scannerd, gpio_parts, sources_from_config
from webui.app import create_app

TEA = "6901234567892"


class Rig:
    """A box whose printer is simulated printer A (B stands by), with mock GPIO and the
    simulated scanner; core served on loopback for the daemons."""

    def __init__(self, tmp):
        self.sim_a = simulated.SimulatedPrinter(tmp / "sim-a").start()
        self.sim_b = simulated.SimulatedPrinter(tmp / "sim-b").start()
        cfg = tmp / "t.toml"
        cfg.write_text(f"""
[paths]
data = "d"
[printer]
backend = "simulated"
port = {self.sim_a.port}
timeout_ms = 500
[drawer]
kick = "printer"
[scanner]
backend = "simulated"
[gpio]
backend = "mock"
status_led_pin = 17
buzzer_pin = 27
""", encoding="utf-8")
        self.cfg = load(cfg, environ={})
        self.box = Box(self.cfg)
        for role, pin in PINS.items():
            self.box.master.staff.add(f"{role} 张", role, pin)
        cat = self.box.master.catalog.save_category(Category(id="", name="绿茶"))
        self.tea = self.box.master.catalog.save_product(Product(
            id="", sku="TEA-1", name="西湖龙井", category_id=cat.id, unit="盒", price=6800,
            cost=4000, barcodes=[TEA]))
        self.app = create_app(self.box)
        self.server = LoopbackServer(self.app, threads=4)
        self.client = CoreClient(self.server.url, self.box.device_token, "test")
        self.threads: list[tuple[threading.Thread, Daemon, object]] = []

    def api(self, role):
        api = Api(self.app)
        assert api.login(role).status_code == 200
        return api

    def start_printerd(self):
        factory = pin_factory("mock")
        daemon = Daemon("printerd")
        worker = Printerd(self.cfg, self.client, daemon,
                          pins=GpioParts.from_config(self.cfg, factory), pin_factory=factory)
        self._start(worker, daemon)
        return worker, factory

    def start_scannerd(self):
        factory = pin_factory("mock")
        daemon = Daemon("scannerd")
        buzzer, door = gpio_parts(self.cfg, factory)
        worker = Scannerd(self.cfg, self.client, daemon, sources_from_config(self.cfg),
                          buzzer=buzzer, door=door, pin_factory=factory)
        self._start(worker, daemon)
        return worker, factory

    def _start(self, worker, daemon):
        t = threading.Thread(target=worker.run, daemon=True)
        t.start()
        self.threads.append((t, daemon, worker))

    def job(self, api, job_id):
        r = api.get(f"/api/v1/settings/devices/print-jobs/{job_id}")
        assert r.status_code == 200, r.get_json()
        return r.get_json()["job"]

    def close(self):
        for t, daemon, worker in self.threads:
            daemon.stop.set()
            t.join(10)
            worker.close()
            assert not t.is_alive()
        self.server.close()
        self.box.close()
        self.sim_a.close()
        self.sim_b.close()


@pytest.fixture
def rig(tmp_path, monkeypatch):
    import services.live_devices
    import services.printerd
    # Shorter long polls and checks than on the box, so the daemons stop and notice quickly.
    monkeypatch.setattr(services.printerd, "POLL_WAIT", 0.2)
    monkeypatch.setattr(services.live_devices, "CHECK_EVERY", 0.2)
    r = Rig(tmp_path)
    yield r
    r.close()


def test_the_test_page_prints_with_the_configuration_and_never_opens_the_drawer(rig):
    rig.start_printerd()
    owner = rig.api("owner")
    r = owner.post("/api/v1/settings/devices/test-print")
    assert r.status_code == 201, r.get_json()
    job_id = r.get_json()["job_id"]
    assert wait_until(lambda: rig.job(owner, job_id)["state"] == "printed", 10,
                      "the test page printed")
    [page] = simulated.paper_roll(rig.sim_a.state_dir)
    text = "\n".join(ln["text"] for ln in page["lines"])
    assert rig.box.ledger.device_id in text
    assert f"simulated 127.0.0.1:{rig.sim_a.port}" in text
    assert "中文：西湖龙井" in text and "English: Longjing tea" in text
    assert "123456789012345678901234567890123456789012345678" in text   # 80 mm: 48 columns
    assert page["barcodes"] and page["barcodes"][0]["data"].startswith("690123456789")
    assert page["qr"] and page["qr"][0].startswith("tillbox test ")
    assert simulated.drawer_state(rig.sim_a.state_dir)["kicks"] == 0
    assert not [r for r in rig.box.ledger.records() if "print_jobs" in r.data]   # paper only


def test_a_printer_that_cannot_print_shows_why(rig):
    simulated.write_faults(rig.sim_a.state_dir, cover_open=True)
    rig.start_printerd()
    owner = rig.api("owner")
    job_id = owner.post("/api/v1/settings/devices/test-print").get_json()["job_id"]
    job = wait_until(lambda: (lambda j: j if j["state"] == "waiting" else None)(
        rig.job(owner, job_id)), 10, "the job waiting")
    assert job["reason"] == "cover_open"
    simulated.write_faults(rig.sim_a.state_dir, cover_open=False)
    assert wait_until(lambda: rig.job(owner, job_id)["state"] == "printed", 10,
                      "printed once the cover is shut")


def test_printerd_switches_printer_without_a_restart(rig):
    worker, _factory = rig.start_printerd()
    owner = rig.api("owner")
    r = owner.patch("/api/v1/settings/devices", json={"printer.port": rig.sim_b.port})
    assert r.status_code == 200, r.get_json()
    assert wait_until(lambda: worker.printer.cfg.port == rig.sim_b.port, 10,
                      "printerd on the new port")
    job_id = owner.post("/api/v1/settings/devices/test-print").get_json()["job_id"]
    assert wait_until(lambda: rig.job(owner, job_id)["state"] == "printed", 10, "printed")
    assert len(simulated.paper_roll(rig.sim_b.state_dir)) == 1
    assert simulated.paper_roll(rig.sim_a.state_dir) == []
    # Switching the printer off: the next test page fails at once with the reason.
    assert owner.patch("/api/v1/settings/devices",
                       json={"printer.backend": "none"}).status_code == 200
    assert wait_until(lambda: worker.printer is None, 10, "printerd without a printer")
    r = owner.post("/api/v1/settings/devices/test-print")
    assert r.status_code == 409


def test_the_led_test_blinks_the_pin_printerd_now_owns(rig):
    worker, factory = rig.start_printerd()
    owner = rig.api("owner")
    # Move the LED to another pin while printerd runs; the test then blinks the new one.
    assert owner.patch("/api/v1/settings/devices",
                       json={"gpio.status_led_pin": 22}).status_code == 200
    wait_until(lambda: worker.pins.light is not None and worker.pins.light.name.endswith(
        "GPIO22"), 10, "the LED on GPIO22")
    r = owner.post("/api/v1/settings/devices/gpio-test", json={"part": "led"})
    assert r.status_code == 202, r.get_json()
    [command] = r.get_json()["commands"]

    def state():
        return owner.get(f"/api/v1/settings/devices/commands/{command['id']}"
                         ).get_json()["command"]
    done = wait_until(lambda: (lambda c: c if c["state"] != "sent" and c["state"] != "queued"
                               else None)(state()), 10, "the LED test done")
    assert done["state"] == "done", done
    pin = factory.pin(22)
    wait_until(lambda: sum(1 for s in pin.states if s.state) >= 2, 5, "GPIO22 blinking")
    assert worker.pins.light.pattern == "printer"


def test_a_pin_that_cannot_be_taken_yet_is_tried_again(rig, monkeypatch):
    import services.live_devices
    from gpiozero import LED
    monkeypatch.setattr(services.live_devices, "RETRY_AFTER", 0.2)
    worker, factory = rig.start_printerd()
    # Something else holds GPIO5 (on the box: the other daemon, before it lets go).
    other = LED(5, pin_factory=factory)
    owner = rig.api("owner")
    assert owner.patch("/api/v1/settings/devices",
                       json={"gpio.status_led_pin": 5}).status_code == 200
    wait_until(lambda: worker.live.retry_at is not None, 10, "the first attempt failing")
    assert worker.cfg.gpio.status_led_pin == 17        # not applied yet
    other.close()
    wait_until(lambda: worker.cfg.gpio.status_led_pin == 5 and worker.pins.light is not None
               and worker.pins.light.name.endswith("GPIO5"), 10, "the LED on GPIO5")
    assert worker.live.retry_at is None


def test_a_scan_during_the_scan_test_lands_in_no_order(rig):
    scannerd, factory = rig.start_scannerd()
    owner = rig.api("owner")
    cashier = rig.api("cashier")
    # While the counter has an open order on its screen, the test is refused: a cashier's
    # next scan would go to it.
    order = cashier.post("/api/v1/orders", json={}).get_json()
    assert cashier.post(f"/api/v1/orders/{order['id']}/lines",
                        json={"barcode": TEA}).status_code in (200, 201)
    assert cashier.client.put("/api/v1/till", json={"order_id": order["id"]},
                              headers={"X-CSRF-Token": cashier.csrf}).status_code == 200
    r = owner.post("/api/v1/settings/devices/scan-test")
    assert r.status_code == 409 and order["number"] in r.get_json()["error"]
    assert cashier.post(f"/api/v1/orders/{order['id']}/park", json={}).status_code == 200
    events = rig.app.config["EVENTS"].subscribe()
    test = owner.post("/api/v1/settings/devices/scan-test").get_json()["test"]
    assert test["state"] == "waiting" and test["seconds_left"] == 15   # parked: allowed
    assert cashier.client.put("/api/v1/till", json={"order_id": None},
                              headers={"X-CSRF-Token": cashier.csrf}).status_code == 200
    wait_until(lambda: (rig.cfg.sim_dir / "scanner.fifo").exists(), 5, "the scanner FIFO")
    wait_until(lambda: _fed(rig, TEA), 5, "the code fed")

    def result():
        t = owner.get(f"/api/v1/settings/devices/scan-test/{test['id']}").get_json()["test"]
        return t if t["state"] != "waiting" else None
    done = wait_until(result, 10, "the scan test's result")
    assert done["state"] == "scanned"
    assert (done["code"], done["match"], done["symbology"]) == (TEA, "product", "ean13")
    assert done["name"] == "西湖龙井"
    assert "scanner.fifo" in done["device"]
    assert [o.id for o in rig.box.orders.list_orders(limit=10)] == [order["id"]]
    assert len(rig.box.orders.get_order(order["id"]).lines) == 1     # not a second tea
    # The counter is told where the scan went, and the buzzer does not say "good" (one
    # beep) but beeps three times, as for a refused scan (scannerd owns it).
    seen = []
    while (e := events.get(timeout=0.5)) is not None:
        seen.append(e)
    [scan] = [e["data"] for e in seen if e["event"] == "scan"]
    assert (scan["ok"], scan["error"], scan["code"]) == (False, "scan_test", TEA)
    events.close()
    wait_until(lambda: sum(1 for s in factory.pin(27).states if s.state) >= 3, 5,
               "three beeps")
    # The next scan goes to the counter as usual.
    wait_until(lambda: _fed(rig, TEA), 5, "the code fed")
    wait_until(lambda: len(rig.box.orders.list_orders(limit=10)) == 2, 10,
               "an order from the scan")


def test_the_buzzer_test_beeps_through_scannerd_on_the_pin_now_set(rig):
    scannerd, factory = rig.start_scannerd()
    owner = rig.api("owner")
    assert owner.patch("/api/v1/settings/devices",
                       json={"gpio.buzzer_pin": 23}).status_code == 200
    wait_until(lambda: scannerd.buzzer is not None and scannerd.buzzer.name.endswith(
        "GPIO23"), 10, "scannerd's buzzer on GPIO23")
    [command] = owner.post("/api/v1/settings/devices/gpio-test",
                           json={"part": "buzzer"}).get_json()["commands"]
    assert command["daemon"] == "scannerd"
    done = wait_until(lambda: (lambda c: c if c["state"] in ("done", "failed") else None)(
        owner.get(f"/api/v1/settings/devices/commands/{command['id']}").get_json()["command"]),
        10, "the buzzer test done")
    assert done["state"] == "done"
    wait_until(lambda: any(s.state for s in factory.pin(23).states), 5, "a beep")


def _fed(rig, code):
    try:
        feed_fifo(rig.cfg.sim_dir / "scanner.fifo", code, timeout=0.5)
        return True
    except (OSError, TimeoutError):
        return False
