"""printerd's and scannerd's working code against a real core (waitress on loopback), the
simulated printer, a pty serial scanner and gpiozero mock pins: no job printed twice, a drawer
kick never repeated, the status LED and the drawer alert, the reprint button, the buzzer and
the door counter."""

import os
import threading
import time

import pytest

from appliance.box import Box
from appliance.config import load
from appliance.master.catalog import Product
from appliance.orders import Actor
from conftest import free_port
from loopback import LoopbackServer
from drivers.gpio import pin_factory
from drivers.printer import simulated
from drivers.scanner.serial_scanner import SerialScanner
from services.daemon import CoreClient, Daemon
from services.printerd import GpioParts, Printerd
from services.scannerd import Scannerd
from webui.app import create_app

TEA = "6901234567892"


class Rig:
    def __init__(self, tmp, extra=""):
        self.sim = simulated.SimulatedPrinter(tmp / "sim").start()
        cfg = tmp / "t.toml"
        cfg.write_text(f"""
[paths]
data = "d"
[printer]
backend = "simulated"
port = {self.sim.port}
timeout_ms = 500
[drawer]
open_alert_seconds = 1
[gpio]
backend = "mock"
status_led_pin = 17
button_pin = 27
buzzer_pin = 18
door_pin = 22
{extra}
""", encoding="utf-8")
        self.cfg = load(cfg, environ={})
        self.box = Box(self.cfg, background_checkpoints=True)
        self.cashier = self.box.master.staff.add("收银", "cashier", "1001")
        self.box.master.catalog.save_product(Product(
            id="", sku="T", name="西湖龙井", category_id=None, unit="盒", price=6800, cost=0,
            barcodes=[TEA]))
        self.app = create_app(self.box)
        self.server = LoopbackServer(self.app, threads=6)
        self.client = CoreClient(self.server.url,
                                 self.box.device_token, "test")
        self.actor = Actor(self.cashier.id, "cashier", "counter")
        self.factory = pin_factory("mock")

    def sale(self, method="cash"):
        e = self.box.orders
        o = e.open_order(self.actor)
        e.add_line(self.actor, o.id, barcode=TEA)
        return e.add_payment(self.actor, o.id, method, 6800,
                             reference="" if method == "cash" else "T-1").order

    def at_counter(self):
        """The cashier signed in at the counter, whose screen holds the scanner."""
        session = self.app.config["SESSIONS"].create(self.cashier.id, "counter")
        assert self.app.config["SCANS"].set_till(self.actor, None, session.token)
        return session

    def printerd(self):
        pins = GpioParts.from_config(self.cfg, self.factory)
        return Printerd(self.cfg, self.client, Daemon("printerd"), pins=pins)

    def close(self):
        self.server.close()
        self.box.close()
        self.sim.close()


@pytest.fixture
def rig(tmp_path):
    r = Rig(tmp_path)
    yield r
    r.close()


def receipts(rig):
    return [p for p in simulated.paper_roll(rig.sim.state_dir, 50) if p["cut"]]


def test_a_job_printed_before_core_heard_of_it_is_reported_not_printed_again(rig):
    rig.sale("card")
    worker = rig.printerd()
    job = rig.client.call("GET", "/device/print-jobs/next")[1]
    worker.printed.add(job["id"])    # printed, then the report was lost (power cut, restart)
    worker.handle(job)
    assert receipts(rig) == []
    assert rig.box.printing.get(job["id"])["state"] == "printed"
    # ... and the printed ids survive a restart of printerd.
    from services.printerd import PrintedIds
    assert job["id"] in PrintedIds(worker.printed.path)


def test_a_receipt_prints_once_and_is_confirmed_by_status(rig):
    order = rig.sale("card")
    worker = rig.printerd()
    worker.handle(rig.client.call("GET", "/device/print-jobs/next")[1])
    [paper] = receipts(rig)
    assert any(order.number in ln["text"] for ln in paper["lines"])
    assert [j["state"] for j in rig.box.printing.recent()] == ["printed"]


def test_a_drawer_kick_that_fails_is_reported_and_never_repeated(rig):
    simulated.write_faults(rig.sim.state_dir, offline=True)
    rig.sale("cash")
    worker = rig.printerd()
    kick = rig.client.call("GET", "/device/print-jobs/next")[1]
    assert kick["kind"] == "drawer"
    worker.handle(kick)
    job = rig.box.printing.get(kick["id"])
    assert job["state"] == "failed" and job["reason"]
    simulated.write_faults(rig.sim.state_dir, offline=False)
    assert rig.client.call("GET", "/device/print-jobs/next?kind=drawer")[0] == 204
    assert simulated.drawer_state(rig.sim.state_dir).get("kicks", 0) == 0


def test_the_drawer_opens_for_a_cash_sale_even_when_the_paper_is_out(rig):
    simulated.write_faults(rig.sim.state_dir, paper_out=True)
    rig.sale("cash")
    worker = rig.printerd()
    worker.handle(rig.client.call("GET", "/device/print-jobs/next")[1])
    assert simulated.drawer_state(rig.sim.state_dir)["open"] is True  # real-time pulse


def test_the_status_led_shows_what_is_wrong(rig):
    worker = rig.printerd()
    worker.check_status(force=True)
    assert worker.pins.light.pattern == "ready"
    simulated.write_faults(rig.sim.state_dir, cover_open=True)
    worker.check_status(force=True)
    assert worker.pins.light.pattern == "printer"
    assert rig.box.config and rig.app.config["DEVICES"].printer()["reason"] == "cover_open"
    simulated.write_faults(rig.sim.state_dir, cover_open=False)
    worker.client = CoreClient(f"http://127.0.0.1:{free_port()}", "t", "test")  # core is away
    worker.check_status(force=True)
    assert worker.pins.light.pattern == "error"


def test_a_drawer_left_open_raises_an_alert_on_the_screens(rig):
    simulated.write_faults(rig.sim.state_dir, drawer_close_after_s=0)
    rig.sale("cash")
    worker = rig.printerd()
    worker.handle(rig.client.call("GET", "/device/print-jobs/next")[1])
    worker.check_status(force=True)
    assert rig.app.config["DEVICES"].printer()["drawer"]["open"] is True
    time.sleep(1.2)
    worker.check_status(force=True)
    drawer = rig.app.config["DEVICES"].printer()["drawer"]
    assert drawer["alert"] is True and drawer["open_seconds"] >= 1
    simulated.close_drawer(rig.sim.state_dir)
    worker.check_status(force=True)
    assert rig.app.config["DEVICES"].printer()["drawer"] == {"open": False, "open_seconds": 0,
                                                             "alert": False}


def test_the_reprint_button_reprints_the_last_receipt(rig):
    order = rig.sale("card")
    rig.at_counter()
    worker = rig.printerd()
    button = rig.factory.pin(27)
    button.drive_low()   # pressed (wired to ground, pull-up)
    button.drive_high()
    assert worker.pins.take_reprint_press()
    worker._reprint_button()
    reprint = rig.box.ledger.records()[-1]
    assert reprint.type == "receipt.reprinted" and reprint.data["order_id"] == order.id


def beeps(pin):
    states = [s.state for s in pin.states]
    return sum(1 for a, b in zip(states, states[1:]) if not a and b)


def test_a_serial_scan_reaches_the_order_and_the_buzzer_says_how_it_went(rig):
    import pty
    master, slave = pty.openpty()
    rig.at_counter()
    from drivers.indicators.buzzer import Buzzer
    buzzer = Buzzer(18, rig.factory)
    daemon = Daemon("scannerd")
    worker = Scannerd(rig.cfg, rig.client, daemon, [SerialScanner(os.ttyname(slave))],
                      buzzer=buzzer)
    t = threading.Thread(target=worker.run, daemon=True)
    t.start()
    try:
        time.sleep(0.3)
        os.write(master, (TEA + "\r\n").encode())
        deadline = time.monotonic() + 5
        while not rig.box.orders.list_orders(status="open") and time.monotonic() < deadline:
            time.sleep(0.05)
        [order] = rig.box.orders.list_orders(status="open")
        assert [ln.name for ln in order.lines] == ["西湖龙井"]
        time.sleep(0.3)
        assert beeps(rig.factory.pin(18)) == 1
        os.write(master, b"6901234567890\r\n")   # bad check digit
        time.sleep(1.0)
        assert beeps(rig.factory.pin(18)) == 1 + 3
    finally:
        daemon.stop.set()
        t.join(5)
        worker.close()
        os.close(master)
        os.close(slave)


def test_the_door_counter_reports_visitors(rig):
    from drivers.indicators.door_counter import DoorCounter
    door = DoorCounter(22, rig.factory, bounce_time=None)
    worker = Scannerd(rig.cfg, rig.client, Daemon("scannerd"), [], door=door)
    pin = rig.factory.pin(22)
    for _ in range(3):
        pin.drive_low()
        pin.drive_high()
    worker._door_due = 0
    worker.report_door()
    with rig.box.ledger.reading() as conn:
        assert conn.execute("SELECT SUM(count) FROM visitors").fetchone()[0] == 3
    door.close()


def test_a_receipt_that_cannot_be_drawn_fails_with_a_reason_instead_of_crashing(rig):
    rig.sale("card")
    worker = rig.printerd()
    worker.printer.cfg.logo = "/nonexistent/logo.png"   # a logo path that went stale
    job = rig.client.call("GET", "/device/print-jobs/next")[1]
    worker.handle(job)
    done = rig.box.printing.get(job["id"])
    assert (done["state"], done["reason"]) == ("failed", "logo")
    assert receipts(rig) == []


def test_a_report_document_prints_through_the_same_queue(rig):
    """Shift reports (issue 9) queue a ready-laid-out document; printerd prints it as is."""
    import json
    lines = [{"text": "班次报表", "align": "center", "bold": True, "double": True},
             {"text": "现金  ￥1,234.00", "align": "left", "bold": False, "double": False}]
    with rig.box.ledger.transaction() as tx:
        seq = tx.one("SELECT MAX(seq) FROM journal")[0] or 0
        tx.conn.execute("INSERT INTO print_jobs (id, kind, payload, created_at, seq) VALUES"
                        " ('rep-1', 'report', ?, ?, ?)",
                        (json.dumps({"lines": lines, "cut": True, "paper_mm": 80}),
                         tx.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ"), seq))
    worker = rig.printerd()
    job = rig.client.call("GET", "/device/print-jobs/next")[1]
    assert job["kind"] == "report"
    worker.handle(job)
    [paper] = receipts(rig)
    assert [ln["text"] for ln in paper["lines"]][:2] == ["班次报表", "现金  ￥1,234.00"]
    assert rig.box.printing.get("rep-1")["state"] == "printed"
