"""A box linked to a real mosquitto, for uplink tests: core (waitress in a thread, writing
the ledger), uplinkd as a real process, and a probe client that watches and talks as head
office would."""

import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from appliance.box import Box
from appliance.config import load
from appliance.master.catalog import Product
from appliance.orders import Actor
from conftest import free_port, wait_until
from loopback import LoopbackServer
from webui.app import create_app

ROOT = Path(__file__).resolve().parents[1]
TEA = "6901234567892"


class Probe:
    """A plain MQTT 5 client that records every message under the prefix."""

    def __init__(self, port, topic="pos/v1/#", username=None, password=None):
        self.messages: list[tuple[str, dict, bool]] = []
        self.lock = threading.Lock()
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"probe-{free_port()}",
                             protocol=mqtt.MQTTv5)
        if username:
            self.c.username_pw_set(username, password)
        self.c.on_message = self._on_message
        self.c.connect("127.0.0.1", port)
        self.c.subscribe(topic, qos=1)
        self.c.loop_start()
        time.sleep(0.2)

    def _on_message(self, _c, _u, msg):
        try:
            payload = json.loads(msg.payload) if msg.payload else {}
        except ValueError:
            payload = {"raw": msg.payload}
        with self.lock:
            self.messages.append((msg.topic, payload, msg.retain))

    def on(self, leaf):
        with self.lock:
            return [p for t, p, _r in self.messages if t.endswith("/" + leaf)]

    def publish(self, topic, payload, retain=False):
        self.c.publish(topic, json.dumps({"schema": 1, **payload}), qos=1,
                       retain=retain).wait_for_publish(5)

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()


class LinkedBox:
    def __init__(self, tmp: Path, broker_port: int, extra: str = "",
                 mqtt: dict | None = None):
        mqtt_lines = {"tls": "false", **(mqtt or {})}
        self.tmp = tmp
        tmp.mkdir(parents=True, exist_ok=True)
        self.cfg_path = tmp / "tillbox.toml"
        self.cfg_path.write_text(f"""
[paths]
data = "data"
secrets = "secrets.toml"
[web]
port = {free_port()}
[shop]
store_id = "hz-0012"
device_id = "till-1"
[mqtt]
host = "127.0.0.1"
port = {broker_port}
{chr(10).join(f"{k} = {v}" for k, v in mqtt_lines.items())}
keepalive = 5
heartbeat_seconds = 1
resend_after_seconds = 5
window = 50
[clock]
assume_synced = true
{extra}
""", encoding="utf-8")
        self.cfg = load(self.cfg_path, environ={})
        self.box = Box(self.cfg, background_checkpoints=True)
        self.cashier = self.box.master.staff.add("收银", "cashier", "1001")
        self.actor = Actor(self.cashier.id, "cashier", "counter")
        self.tea = self.box.master.catalog.save_product(Product(
            id="", sku="TEA-1", name="西湖龙井", category_id=None, unit="盒", price=6800,
            cost=0, barcodes=[TEA], stock_tracked=False))
        self.app = create_app(self.box)
        self.server = LoopbackServer(self.app, threads=6, port=self.cfg.web.port)
        self.proc = None
        self.log = tmp / "uplinkd.log"

    def start_uplinkd(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("TILLBOX_")}
        env["TILLBOX_CONFIG"] = str(self.cfg_path)
        self.proc = subprocess.Popen([sys.executable, "-m", "appliance.cli", "uplinkd"],
                                     cwd=ROOT, env=env, stdout=open(self.log, "a"),
                                     stderr=subprocess.STDOUT)

    def stop_uplinkd(self, signal_no=15):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal_no)
            self.proc.wait(15)

    def sales(self, n):
        e = self.box.orders
        for _ in range(n):
            o = e.open_order(self.actor)
            e.add_line(self.actor, o.id, barcode=TEA)
            e.add_payment(self.actor, o.id, "card", 6800, reference="T")

    def head(self):
        return self.box.ledger.head()[0]

    def acked(self):
        from appliance.durable import read_json
        return read_json(self.cfg.uplink_dir / "cursor.json", {"acked_seq": 0})["acked_seq"]

    def topic(self, leaf):
        return f"pos/v1/hz-0012/till-1/{leaf}"

    def close(self):
        self.stop_uplinkd()
        self.server.close()
        self.box.close()


__all__ = ["Probe", "LinkedBox", "TEA", "wait_until"]


def ts(**delta):
    """A command's ``expires``: now plus ``delta`` (timedelta keywords), in the contract's form."""
    return (datetime.now(timezone.utc) + timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.fixture
def linked(tmp_path, broker):
    """A box linked to the test broker (import this fixture into the test module)."""
    box = LinkedBox(tmp_path / "box", broker.port)
    yield box
    box.close()


@pytest.fixture
def probe(broker):
    """An MQTT client watching the box's topics (import this fixture into the test module)."""
    p = Probe(broker.port)
    yield p
    p.close()
