"""Label printing end to end: the API queues a durable job (a journal record), printerd
prints it on the simulated label printer or the receipt printer, in-store EAN-13 codes, and
the status LED's low-stock pattern. Core runs for real (waitress on loopback)."""

import socket
import threading

import pytest

from appliance.box import Box
from appliance.config import load
from appliance.master.catalog import Category, Product, Variant
from appliance.master.ean import is_valid_ean13
from conftest import PINS, Api, wait_until
from loopback import LoopbackServer
from drivers.gpio import pin_factory
from drivers.indicators.status_light import pattern_for
from drivers.labels import simulated as sim_labels
from drivers.labels.transport import PrinterUnavailable, open_label_printer
from drivers.printer import simulated
from services.daemon import CoreClient, Daemon
from services.printerd import GpioParts, Printerd
from webui.app import create_app

TEA = "6901234567892"


class Rig:
    def __init__(self, tmp, label_backend="simulated"):
        self.sim = simulated.SimulatedPrinter(tmp / "sim").start()
        cfg = tmp / "t.toml"
        cfg.write_text(f"""
[paths]
data = "d"
[printer]
backend = "simulated"
port = {self.sim.port}
timeout_ms = 500
[label_printer]
backend = "{label_backend}"
width_mm = 50
height_mm = 30
[gpio]
backend = "mock"
status_led_pin = 17
""", encoding="utf-8")
        self.cfg = load(cfg, environ={})
        self.box = Box(self.cfg)
        for role, pin in PINS.items():
            self.box.master.staff.add(f"{role} 张", role, pin)
        cat = self.box.master.catalog.save_category(Category(id="", name="绿茶"))
        self.tea = self.box.master.catalog.save_product(Product(
            id="", sku="TEA-1", name="西湖龙井", category_id=cat.id, unit="盒", price=6800,
            cost=4000, barcodes=[TEA]))
        self.cup = self.box.master.catalog.save_product(Product(
            id="", sku="CUP-1", name="汝窑茶杯", category_id=cat.id, unit="只", price=3500,
            cost=1500, variants=[
                Variant(id="", spec={"颜色": "天青"}, sku="CUP-1-B", barcodes=["2000000000015"]),
                Variant(id="", spec={"颜色": "月白"}, sku="CUP-1-W", price=3900)]))
        self.plain = self.box.master.catalog.save_product(Product(
            id="", sku="PLAIN", name="散装茶", category_id=cat.id, unit="克", price=50, cost=0))
        self.app = create_app(self.box)
        self.server = LoopbackServer(self.app, threads=4)
        self.client = CoreClient(self.server.url,
                                 self.box.device_token, "test")
        self.labels_dir = self.cfg.sim_dir / "label_printer"

    def api(self, role):
        api = Api(self.app)
        assert api.login(role).status_code == 200
        return api

    def printerd(self):
        pins = GpioParts.from_config(self.cfg, pin_factory("mock"))
        return Printerd(self.cfg, self.client, Daemon("printerd"), pins=pins)

    def next_job(self, kind="label"):
        code, job = self.client.call("GET", f"/device/print-jobs/next?kind={kind}")
        assert code == 200, job
        return job

    def close(self):
        self.server.close()
        self.box.close()
        self.sim.close()


@pytest.fixture
def rig(tmp_path):
    r = Rig(tmp_path)
    yield r
    r.close()


def test_shelf_labels_print_on_the_label_printer_from_a_durable_job(rig):
    api = rig.api("assistant")
    r = api.post("/api/v1/labels", json={"kind": "shelf", "items": [
        {"product_id": rig.tea.id, "copies": 3},
        {"product_id": rig.cup.id, "variant_id": rig.cup.variants[0].id}]})
    assert r.status_code == 201, r.get_json()
    [job_id] = r.get_json()["job_ids"]
    record = rig.box.ledger.records()[-1]
    assert record.type == "labels.printed"
    assert record.data["print_jobs"][0]["id"] == job_id
    assert rig.box.printing.get(job_id)["state"] == "queued"  # queued with the record
    job = rig.next_job()
    assert job["id"] == job_id
    rig.printerd().handle(job)
    assert rig.box.printing.get(job_id)["state"] == "printed"
    cup, tea = sim_labels.printed_labels(rig.labels_dir)  # newest first
    assert tea["size"] == "50 mm,30 mm" and tea["copies"] == 3
    assert [t["text"] for t in tea["texts"]] == ["西湖龙井", "￥68.00/盒"]
    assert tea["barcodes"][0]["type"] == "EAN13" and tea["barcodes"][0]["data"] == TEA[:12]
    assert [t["text"] for t in cup["texts"]] == ["汝窑茶杯", "天青", "￥35.00/只"]


def test_an_offline_label_printer_fails_the_job_with_the_reason(rig):
    sim_labels.write_faults(rig.labels_dir, offline=True)
    api = rig.api("assistant")
    job_id = api.post("/api/v1/labels", json={"kind": "product", "items": [
        {"product_id": rig.tea.id}]}).get_json()["job_ids"][0]
    rig.printerd().handle(rig.next_job())
    job = rig.box.printing.get(job_id)
    assert (job["state"], job["reason"]) == ("failed", "refused")
    assert sim_labels.printed_labels(rig.labels_dir) == []


def test_labels_refused_when_a_product_cannot_have_one(rig):
    api = rig.api("assistant")
    r = api.post("/api/v1/labels", json={"items": [{"product_id": rig.plain.id}]})
    assert r.status_code == 400 and "barcode" in r.get_json()["error"]
    r = api.post("/api/v1/labels", json={"items": [{"product_id": rig.cup.id}]})
    assert r.status_code == 400 and r.get_json()["field"] == "variant_id"
    r = api.post("/api/v1/labels", json={"items": [{"product_id": rig.tea.id, "copies": 0}]})
    assert r.status_code == 400 and r.get_json()["field"] == "copies"
    assert api.post("/api/v1/labels", json={"items": [{"product_id": "nope"}]}).status_code \
        == 404
    assert rig.box.printing.recent() == []


def test_the_printer_state_says_which_printer_and_size(rig):
    state = rig.api("cashier").get("/api/v1/labels/printer").get_json()
    assert (state["backend"], state["width_mm"], state["height_mm"], state["gap_mm"]) == \
        ("simulated", 50, 30, 2)
    assert rig.api("cashier").get("/api/v1/sim/label-printer").get_json()["labels"] == []


def test_an_in_store_code_is_the_next_free_number_and_valid(rig):
    manager = rig.api("manager")
    r = manager.post(f"/api/v1/products/{rig.plain.id}/barcode")
    assert r.status_code == 200, r.get_json()
    code = r.get_json()["barcode"]
    assert code == "2000000000022" and is_valid_ean13(code)  # after 20...0001 in use
    assert r.get_json()["barcodes"] == [code]
    r = manager.post(f"/api/v1/products/{rig.cup.id}/barcode",
                     json={"variant_id": rig.cup.variants[1].id})
    assert r.get_json()["barcode"] == "2000000000039"
    assert manager.post(f"/api/v1/products/{rig.plain.id}/barcode").status_code == 409
    assert rig.api("assistant").post(
        f"/api/v1/products/{rig.tea.id}/barcode").status_code == 403
    codes = [c for p in rig.box.master.catalog.list_products(include_inactive=True)
             for c in [*p.barcodes, *(c for v in p.variants for c in v.barcodes)]]
    assert len(codes) == len(set(codes))


def test_the_prefix_setting_picks_the_code_range(rig):
    rig.box.master.settings.set("labels.ean_prefix", "2712")
    r = rig.api("manager").post(f"/api/v1/products/{rig.plain.id}/barcode")
    assert r.get_json()["barcode"].startswith("271200000001")
    assert is_valid_ean13(r.get_json()["barcode"])


def test_concurrent_requests_never_get_the_same_code(rig):
    plain = [rig.box.master.catalog.save_product(Product(
        id="", sku=f"P{i}", name=f"散装{i}", category_id=None, unit="克", price=50, cost=0))
        for i in range(6)]
    phones = [rig.api("manager") for _ in plain]  # one signed-in phone per request
    got, lock = [], threading.Lock()

    def give(api, p):
        res = api.post(f"/api/v1/products/{p.id}/barcode")
        with lock:
            got.append(res.get_json()["barcode"])
    threads = [threading.Thread(target=give, args=(a, p)) for a, p in zip(phones, plain)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(got)) == 6 and all(is_valid_ean13(c) for c in got)


def test_with_backend_receipt_labels_print_on_the_receipt_printer(tmp_path):
    rig = Rig(tmp_path, label_backend="receipt")
    try:
        api = rig.api("assistant")
        job_id = api.post("/api/v1/labels", json={"kind": "product", "items": [
            {"product_id": rig.tea.id}]}).get_json()["job_ids"][0]
        rig.printerd().handle(rig.next_job())
        assert rig.box.printing.get(job_id)["state"] == "printed"
        [paper] = simulated.paper_roll(rig.sim.state_dir)
        assert paper["cut"] and [ln["text"] for ln in paper["lines"] if ln["text"]][:2] == \
            ["西湖龙井", "￥68.00"]
        assert paper["barcodes"] == [{"kind": 67, "data": TEA}]
    finally:
        rig.close()


def test_with_backend_none_a_label_request_is_refused_clearly(tmp_path):
    rig = Rig(tmp_path, label_backend="none")
    try:
        r = rig.api("assistant").post("/api/v1/labels", json={"items": [
            {"product_id": rig.tea.id}]})
        assert r.status_code == 409 and "[label_printer]" in r.get_json()["error"]
        assert rig.box.printing.recent() == []
    finally:
        rig.close()


def test_the_status_led_shows_low_stock_only_when_nothing_worse_is_showing(rig):
    assert pattern_for(True, True, False, low_stock=True) == "stock"
    assert pattern_for(True, False, False, low_stock=True) == "offline"
    assert pattern_for(False, True, False, low_stock=True) == "printer"
    assert pattern_for(True, True, True, low_stock=True) == "error"
    worker = rig.printerd()
    worker.check_status(force=True)
    assert worker.pins.light.pattern == "ready" and worker.low_stock == 0
    rig.box.master.settings.set("stock.low_stock_default", 5)  # every item at 0 is now low
    worker.check_status(force=True)
    assert worker.low_stock > 0 and worker.pins.light.pattern == "stock"
    simulated.write_faults(rig.sim.state_dir, cover_open=True)
    worker.check_status(force=True)
    assert worker.pins.light.pattern == "printer"


# -- transports ---------------------------------------------------------------------------------

def test_the_network_backend_sends_tspl_to_port_9100_style_printers():
    server = socket.create_server(("127.0.0.1", 0))
    got = bytearray()

    def accept():
        conn, _ = server.accept()
        with conn:
            while chunk := conn.recv(4096):
                got.extend(chunk)
    t = threading.Thread(target=accept, daemon=True)
    t.start()
    printer = open_label_printer("network", host="127.0.0.1", port=server.getsockname()[1],
                                 timeout=2)
    printer._raw(b"CLS\r\nPRINT 1,1\r\n")
    printer.close()
    printer.close()  # idempotent
    t.join(timeout=5)
    server.close()
    assert bytes(got) == b"CLS\r\nPRINT 1,1\r\n"


def test_unreachable_or_unconfigured_label_printers_say_what_to_fix():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(PrinterUnavailable) as err:
        open_label_printer("network", host="127.0.0.1", port=port, timeout=1)
    assert err.value.reason == "refused" and f"127.0.0.1:{port}" in str(err.value)
    with pytest.raises(ValueError, match="usb_vendor"):
        open_label_printer("usb")
    with pytest.raises(ValueError, match="host"):
        open_label_printer("network")


def test_labels_print_while_a_receipt_waits_for_paper(rig):
    simulated.write_faults(rig.sim.state_dir, paper_out=True)
    cashier = rig.api("cashier")
    order = cashier.post("/api/v1/orders", json={}).get_json()
    cashier.post(f"/api/v1/orders/{order['id']}/lines", json={"barcode": TEA})
    cashier.post(f"/api/v1/orders/{order['id']}/payments",
                 json={"method": "card", "amount": "68.00", "reference": "T1"})
    worker = rig.printerd()
    receipt = rig.next_job("receipt")
    waiting = threading.Thread(target=worker.handle, args=(receipt,), daemon=True)
    waiting.start()                        # loops: no paper
    r = rig.api("assistant").post("/api/v1/labels", json={
        "kind": "shelf", "items": [{"product_id": rig.tea.id}]})
    [job_id] = r.get_json()["job_ids"]
    wait_until(lambda: rig.box.printing.get(job_id)["state"] == "printed", 10,
               "the label printed while the receipt waits")
    assert rig.box.printing.get(receipt["id"])["state"] == "waiting"
    worker.daemon.stop.set()
    waiting.join(10)
    assert not waiting.is_alive()
