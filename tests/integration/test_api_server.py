"""core over real HTTP (waitress on a free loopback port): SSE reaches a second screen live."""

import socket
import time

import pytest

from appliance.box import Box
from appliance.config import load
from appliance.master.catalog import Product
from conftest import HttpScreen
from loopback import LoopbackServer
from webui.app import create_app


@pytest.fixture
def server(tmp_path):
    cfg = tmp_path / "t.toml"
    cfg.write_text('[paths]\ndata = "d"\n[web]\nthreads = 8\n', encoding="utf-8")
    box = Box(load(cfg, environ={}), background_checkpoints=True)
    box.master.staff.add("导购", "assistant", "2001")
    box.master.staff.add("收银", "cashier", "1001")
    box.master.catalog.save_product(Product(id="", sku="T", name="大红袍", category_id=None,
                                            unit="罐", price=19800, cost=9000,
                                            barcodes=["6901234567892"]))
    srv = LoopbackServer(create_app(box), threads=8)
    yield srv.port
    srv.close()
    box.close()


def test_a_parked_order_reaches_the_counter_live(server):
    phone, counter = HttpScreen(server, "2001"), HttpScreen(server, "1001")
    sock = socket.create_connection(("127.0.0.1", server), timeout=10)
    sock.sendall(f"GET /api/v1/events HTTP/1.1\r\nHost: x\r\nCookie: {counter.cookie}\r\n"
                 "Accept: text/event-stream\r\n\r\n".encode())
    received = b""
    deadline = time.monotonic() + 5
    while b"retry: 3000" not in received and time.monotonic() < deadline:
        received += sock.recv(4096)
    assert b"text/event-stream" in received

    status, order, _ = phone.call("POST", "/api/v1/orders", {})
    assert status == 201
    phone.call("POST", f"/api/v1/orders/{order['id']}/lines", {"barcode": "6901234567892"})
    phone.call("POST", f"/api/v1/orders/{order['id']}/park")
    # Well inside the 15 s heartbeat: the event was pushed, not picked up on a later tick.
    deadline = time.monotonic() + 5
    while b'"status": "parked"' not in received and time.monotonic() < deadline:
        received += sock.recv(4096)
    sock.close()
    assert b"event: order" in received
    assert f'"id": "{order["id"]}"'.encode() in received
    assert b'"status": "parked"' in received, received[-500:]

    status, paid, _ = counter.call("POST", f"/api/v1/orders/{order['id']}/recall")
    status, paid, _ = counter.call("POST", f"/api/v1/orders/{order['id']}/payments",
                                   {"method": "cash", "amount": "200.00"})
    assert status == 201 and paid["change"] == "2.00" and paid["completed"]
