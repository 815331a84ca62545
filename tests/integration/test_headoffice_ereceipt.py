"""`tillbox headoffice web` for real: the e-receipt page served from head office's database,
and its forms relayed to the box as cmd/customer.request through a real mosquitto, answered
"sent" only after the broker's PUBACK succeeded (docs/ereceipt.md)."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from appliance.headoffice.store import open_store
from appliance.orders import Actor
from appliance.printing.documents import ereceipt_token
from conftest import free_port, wait_until
from mqtt_broker import Broker

ROOT = Path(__file__).resolve().parents[2]
STORE, DEVICE = "hz-0012", "till-1"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kw):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def http(url, form=None):
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(url, data=data, headers={"Accept-Language": "en"})
    try:
        with OPENER.open(req, timeout=15) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


@pytest.fixture
def shop(web, tmp_path):
    box = web.box
    cashier = Actor(web.staff_ids["cashier"], "cashier", "counter")
    order = box.orders.open_order(cashier)
    box.orders.add_line(cashier, order.id, barcode="6901234567892")
    box.orders.add_payment(cashier, order.id, "cash", 6800)
    dsn = f"sqlite:///{tmp_path}/ho.db"
    db = open_store(dsn)

    def sync():
        for rec in box.ledger.records():
            db.insert_record(STORE, DEVICE, rec, rec.ts, "test")
    sync()
    yield {"box": box, "order": box.orders.get_order(order.id), "dsn": dsn, "sync": sync,
           "token": ereceipt_token(box.receipt_key, order.id)}
    db.close()


def start_web(dsn, broker_port, log_path):
    port = free_port()
    args = ["web", "--db", dsn, "--listen", f"127.0.0.1:{port}", "--broker",
            f"127.0.0.1:{broker_port}", "--shop-name", "龙井茶庄"]
    code = f"import sys; from services.headoffice import main; sys.exit(main({args!r}))"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILLBOX_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=open(log_path, "w"))

    def up():
        assert proc.poll() is None, Path(log_path).read_text()
        try:
            return http(f"http://127.0.0.1:{port}/healthz")[0] == 200
        except OSError:
            return False
    wait_until(up, timeout=15, what="headoffice web listening")
    return proc, f"http://127.0.0.1:{port}"


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0


def commands(port):
    """A subscriber standing in for the box's uplinkd: every cmd/customer.request."""
    got = []
    ready = threading.Event()
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="box-uplinkd",
                    protocol=mqtt.MQTTv5)
    c.on_connect = lambda cl, *_a: cl.subscribe(f"pos/v1/{STORE}/{DEVICE}/cmd/#", qos=1)
    c.on_subscribe = lambda *_a: ready.set()
    c.on_message = lambda _c, _u, msg: got.append((msg.topic, msg.qos, json.loads(msg.payload)))
    c.connect("127.0.0.1", port)
    c.loop_start()
    assert ready.wait(5)
    return c, got


def form_key(page):
    return re.search(r'name="form_key" value="([0-9a-f]+)"', page).group(1)


def test_the_page_and_its_feedback_go_through_the_broker_to_the_box(shop, device, tmp_path):
    broker = Broker(tmp_path / "broker")
    proc, base = start_web(shop["dsn"], broker.port, tmp_path / "web.log")
    sub, got = commands(broker.port)
    try:
        url = f"{base}/r/{STORE}/{DEVICE}/{shop['token']}"
        status, headers, page = http(url)
        assert status == 200 and "西湖龙井" in page and "龙井茶庄" in page
        assert headers["Cache-Control"] == "no-store"
        assert http(f"{base}/r/{STORE}/{DEVICE}/{shop['order'].id}.{'A' * 16}")[0] == 404
        status, headers, _ = http(url + "/feedback", {"form_key": form_key(page),
                                                      "rating": "5", "comment": "好茶"})
        assert status == 303 and "sent=relayed" in headers["Location"]
        wait_until(lambda: got, what="the command at the box")
        [(topic, qos, cmd)] = got
        assert topic == f"pos/v1/{STORE}/{DEVICE}/cmd/customer.request" and qos == 1
        assert set(cmd) >= {"id", "expires", "args"}
        assert cmd["args"] == {"order_id": shop["order"].id, "token": shop["token"],
                               "kind": "feedback", "rating": 5, "comment": "好茶"}
        # uplinkd hands the args to core (CORE_COMMANDS); the record comes back on journal.
        r = device.post("/api/v1/device/customer-requests", json=cmd["args"])
        assert r.status_code == 201, r.get_json()
        shop["sync"]()
        assert "Your rating: 5 of 5" in http(url)[2]
    finally:
        sub.loop_stop()
        sub.disconnect()
        stop(proc)
        broker.stop()
    assert "好茶" not in (tmp_path / "web.log").read_text()


def test_a_refused_or_missing_broker_is_not_reported_as_sent(shop, tmp_path):
    # The broker takes the connection but its ACL refuses the publish: PUBACK 0x87.
    broker = Broker(tmp_path / "broker", acl="topic read #\n")
    proc, base = start_web(shop["dsn"], broker.port, tmp_path / "web.log")
    try:
        url = f"{base}/r/{STORE}/{DEVICE}/{shop['token']}"
        page = http(url)[2]
        status, _, body = http(url + "/request", {"form_key": form_key(page),
                                                  "kind": "complaint", "comment": "坏了"})
        assert status == 503 and "cannot be reached" in body
        broker.stop()
        status, _, body = http(url + "/feedback", {"form_key": form_key(page), "rating": "3"})
        assert status == 503 and "cannot be reached" in body
        assert http(url)[0] == 200          # the page itself needs no broker
    finally:
        stop(proc)
        broker.stop()
    assert "refused" in (tmp_path / "web.log").read_text()
