"""Head-office ingest against a real mosquitto: stored once, acked after commit, holes asked
for again, tampered records refused, and two replicas sharing the journal with one killed."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from appliance.clock import FixedClock, parse_ts
from appliance.headoffice.ingest import Ingest, IngestSettings
from appliance.headoffice.store import open_store
from appliance.ledger import Ledger, verify
from appliance.uplink import contract
from conftest import wait_until

ROOT = Path(__file__).resolve().parents[2]
STORE, DEVICE = "hz-0012", "till-1"


def ledger_records(path, n):
    clock = FixedClock(datetime(2026, 11, 26, 2, 30, tzinfo=timezone.utc))
    with Ledger(path, device_id=DEVICE, store_id=STORE, clock=clock) as ledger:
        for i in range(n):
            with ledger.transaction() as tx:
                tx.append("test.note", {"staff_id": "s-1", "device": "counter"}, {"n": i})
            clock.advance(seconds=1)
        return ledger.records()


class FakeDevice:
    """A box's uplink reduced to the wire: publishes journal payloads, hears ack and cmd."""

    def __init__(self, port, store=STORE, device=DEVICE):
        self.store, self.device = store, device
        self.acks: list[int] = []
        self.cmds: list[tuple[float, str, dict]] = []
        self.lock = threading.Lock()
        subscribed = threading.Event()
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"dev-{uuid.uuid4()}",
                             protocol=mqtt.MQTTv5)
        self.c.on_message = self._on_message
        self.c.on_subscribe = lambda *_a: subscribed.set()
        self.c.connect("127.0.0.1", port)
        self.c.subscribe([(self.topic("ack"), 1), (self.topic("cmd/+"), 1)])
        self.c.loop_start()
        assert subscribed.wait(5)

    def topic(self, leaf):
        return contract.topic("pos/v1", self.store, self.device, leaf)

    def _on_message(self, _c, _u, msg):
        body = json.loads(msg.payload)
        with self.lock:
            if msg.topic.endswith("/ack"):
                self.acks.append(body["seq"])
            else:
                self.cmds.append((time.monotonic(), msg.topic.rsplit("/", 1)[1], body))

    @property
    def acked(self):
        with self.lock:
            return max(self.acks, default=0)

    def resends(self):
        with self.lock:
            return [(t, body) for t, name, body in self.cmds if name == "resend"]

    def send(self, *records):
        for r in records:
            raw = r if isinstance(r, bytes) else contract.encode(
                contract.journal_payload(r, self.store, self.device))
            self.c.publish(self.topic("journal"), raw, qos=1).wait_for_publish(5)

    def publish(self, leaf, body, retain=False):
        qos = 0 if leaf == "hb" else 1
        self.c.publish(self.topic(leaf), contract.encode(body), qos=qos,
                       retain=retain).wait_for_publish(5)

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()


def retained(port, topic):
    """The retained message on a topic, as a new subscriber gets it: (payload, retain)."""
    got = []
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"look-{uuid.uuid4()}",
                    protocol=mqtt.MQTTv5)
    c.on_message = lambda _c, _u, m: got.append((json.loads(m.payload), m.retain))
    c.connect("127.0.0.1", port)
    c.subscribe(topic, qos=1)
    c.loop_start()
    try:
        return wait_until(lambda: got and got[0], timeout=3, what=f"retained {topic}")
    finally:
        c.disconnect()
        c.loop_stop()


@pytest.fixture
def dsn(tmp_path):
    return f"sqlite://{tmp_path}/headoffice.db"


@pytest.fixture
def db(dsn):
    with open_store(dsn) as store:
        yield store


@pytest.fixture
def start_ingest(broker, dsn):
    started = []

    def start(client_id="ingest-b", **kw):
        settings = IngestSettings(host="127.0.0.1", port=broker.port, client_id=client_id,
                                  session_expiry=0, **{"gap_grace": 0, **kw})
        store = open_store(dsn)
        ingest = Ingest(store, settings)
        started.append((ingest, store))
        ingest.start()
        assert ingest.wait_subscribed(5), broker.log()
        return ingest
    yield start
    for ingest, store in started:
        ingest.close()
        store.close()


@pytest.fixture
def device(broker):
    d = FakeDevice(broker.port)
    yield d
    d.close()


@pytest.fixture
def records(tmp_path):
    return ledger_records(tmp_path / "box" / "ledger.db", 40)


def test_records_sent_twice_are_stored_once_and_the_retained_ack_is_the_contiguous_seq(
        start_ingest, device, db, records, broker):
    ingest = start_ingest()
    device.send(*records[:5])
    device.send(*records[:5])
    wait_until(lambda: ingest.stats["duplicate"] == 5, what="the second copies")
    assert db.count_records() == 5
    assert verify(db.records(STORE, DEVICE)).ok
    wait_until(lambda: device.acked == 5, what="ack 5")
    assert retained(broker.port, device.topic("ack")) == ({"schema": 1, "seq": 5}, True)


def test_a_hole_asks_the_device_to_resend_from_the_first_missing_seq(
        start_ingest, device, db, records, broker):
    start_ingest(resend_every=0.6)
    device.send(*records[:3])
    wait_until(lambda: device.acked == 3, what="ack 3")
    device.send(records[5])  # 4 and 5 lost on the way
    first = wait_until(lambda: device.resends(), what="a resend command")[0]
    body = first[1]
    assert body["args"] == {"from_seq": 4} and body["schema"] == 1
    assert str(uuid.UUID(body["id"])) == body["id"]
    expires = parse_ts(body["expires"]) - datetime.now(timezone.utc)
    assert timedelta(minutes=4) < expires <= timedelta(minutes=5)
    assert db.count_records() == 4
    assert retained(broker.port, device.topic("ack"))[0]["seq"] == 3
    # The device does not answer: asked again, but not more often than resend_every.
    second = wait_until(lambda: device.resends()[1:], what="a second resend")[0]
    assert second[1]["args"] == {"from_seq": 4} and second[1]["id"] != body["id"]
    assert second[0] - first[0] >= 0.5
    device.send(records[3], records[4])
    wait_until(lambda: device.acked == 6, what="ack 6 once the hole is filled")


def test_a_missing_tail_shows_in_the_heartbeat_and_is_asked_for(start_ingest, device,
                                                                records):
    start_ingest()
    device.send(*records[:2])
    wait_until(lambda: device.acked == 2, what="ack 2")
    device.publish("hb", {"ts": "2026-11-26T02:31:00.000000Z", "last_seq": 4, "acked_seq": 2})
    resend = wait_until(lambda: device.resends(), what="a resend after the heartbeat")[0]
    assert resend[1]["args"] == {"from_seq": 3}


def test_a_tampered_record_is_refused_and_the_real_one_still_taken(start_ingest, device, db,
                                                                    records):
    ingest = start_ingest()
    r = records[1]
    forged = contract.journal_payload(r, STORE, DEVICE)
    forged["data"] = {"n": 1000}
    device.send(records[0], contract.encode(forged))
    wait_until(lambda: ingest.stats["rejected"] == 1, what="the reject")
    [reject] = db.rejects()
    assert (reject["seq"], reject["reason"]) == (2, "bad_hash")
    assert db.count_records() == 1 and device.acked == 1
    device.send(r)
    wait_until(lambda: device.acked == 2, what="ack 2")
    assert db.records(STORE, DEVICE)[1].data == r.data


def test_status_heartbeat_and_command_acks_are_kept(start_ingest, device, db):
    start_ingest()
    device.publish("status", {"online": True, "session": 3, "store": STORE,
                              "device": DEVICE}, retain=True)
    device.publish("hb", {"backlog": 7, "last_seq": 0})
    device.publish("cmd_ack", {"id": "c-1", "status": "done", "detail": ""})
    wait_until(lambda: db.latest(STORE, DEVICE, "status") and db.latest(STORE, DEVICE, "hb")
               and db.cmd_acks(STORE, DEVICE), what="status, hb and cmd_ack stored")
    assert json.loads(db.latest(STORE, DEVICE, "status"))["session"] == 3
    assert json.loads(db.latest(STORE, DEVICE, "hb"))["backlog"] == 7
    assert db.cmd_acks(STORE, DEVICE) == [("c-1", "done", "")]


def test_relayed_messages_are_stored_once_for_head_offices_sender(start_ingest, device, db):
    start_ingest()
    msg = {"id": "n-1", "channel": "sms", "to": "13800138000", "language": "zh_CN",
           "subject": "欢迎", "text": "【茶叶店】欢迎加入会员", "event": "member_welcome"}
    device.publish("notify", msg)
    device.publish("notify", msg)                      # the box was not sure: sent again
    device.publish("notify", {"id": "n-2", "channel": "sms"})   # no text: not kept
    device.publish("notify", {**msg, "id": "n-3", "channel": "wechat"})
    got = wait_until(lambda: len(db.notify_messages(STORE, DEVICE)) >= 2
                     and db.notify_messages(STORE, DEVICE), what="relayed messages stored")
    assert [(m["id"], m["channel"], m["to"], m["sent_at"]) for m in got] == [
        ("n-1", "sms", "13800138000", None), ("n-3", "wechat", "13800138000", None)]
    assert got[0]["text"] == "【茶叶店】欢迎加入会员"


def start_replica_process(broker, dsn, client_id, log_path, env_extra=None):
    args = ["run", "--db", dsn, "--broker", f"127.0.0.1:{broker.port}", "--client-id",
            client_id, "--session-expiry", "0", "--gap-grace", "0.5", "--resend-every", "1"]
    code = f"import sys; from services.headoffice import main; sys.exit(main({args!r}))"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILLBOX_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(env_extra or {})
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=open(log_path, "w"))
    wait_until(lambda: f"Sending SUBACK to {client_id}" in broker.log() or proc.poll(),
               timeout=10, what=f"{client_id} subscribed")
    assert proc.poll() is None, Path(log_path).read_text()
    return proc


def test_two_replicas_one_killed_mid_stream_store_every_record_exactly_once(
        start_ingest, device, db, records, broker, dsn, tmp_path):
    survivor = start_ingest("ingest-b", gap_grace=0.5, resend_every=1)
    doomed = start_replica_process(broker, dsn, "ingest-a", tmp_path / "ingest-a.log")
    try:
        device.send(*records[:20])
        wait_until(lambda: db.count_records() == 20, what="the first 20 records")
        by = db.ingested_by(STORE, DEVICE)
        assert set(by.values()) == {"ingest-a", "ingest-b"}  # the broker split the stream
        sender = threading.Thread(target=device.send, args=records[20:])
        sender.start()
        wait_until(lambda: db.count_records() >= 24, what="the stream under way")
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(5)
        sender.join(10)
        # What uplinkd does when the ack stalls: send everything above it again.
        for _ in range(10):
            try:
                wait_until(lambda: device.acked == 40, timeout=1.0, what="ack 40")
                break
            except AssertionError:
                device.send(*records[device.acked:])
    finally:
        if doomed.poll() is None:
            doomed.kill()
            doomed.wait(5)
    assert device.acked == 40, (tmp_path / "ingest-a.log").read_text()
    stored = db.records(STORE, DEVICE)
    assert [r.seq for r in stored] == list(range(1, 41))
    assert [r.hash for r in stored] == [r.hash for r in records]
    assert verify(stored).ok and db.rejects() == []
    assert survivor.stats["stored"] == list(db.ingested_by(STORE, DEVICE).values()).count(
        "ingest-b")
    assert retained(broker.port, device.topic("ack"))[0]["seq"] == 40


def test_a_real_box_uplink_reaches_head_office_and_its_cursor_follows_the_ack(
        tmp_path, broker, start_ingest, db, dsn, capsys):
    from services.headoffice import main
    from uplink_rig import LinkedBox

    start_ingest()
    box = LinkedBox(tmp_path / "box", broker.port)
    try:
        box.sales(3)
        box.start_uplinkd()
        head = box.head()
        wait_until(lambda: box.acked() == head, timeout=15, what="the box's cursor at its head")
        stored = db.records(box.cfg.shop.store_id, box.cfg.shop.device_id)
        assert [r.to_dict() for r in stored] == [r.to_dict() for r in box.box.ledger.records()]
    finally:
        box.close()
    assert main(["report", "--db", dsn, "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert (row["store"], row["sales"], row["total"], row["net"]) == ("hz-0012", 3, "204.00",
                                                                       "204.00")


def test_no_ack_before_the_records_are_committed(start_ingest, device, db, records, tmp_path):
    import sqlite3
    start_ingest()
    blocker = sqlite3.connect(tmp_path / "headoffice.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the database
    try:
        device.send(*records[:3])
        time.sleep(0.5)
        assert device.acked == 0 and db.count_records() == 0
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    wait_until(lambda: device.acked == 3, what="ack 3 after the commit")
    assert db.count_records() == 3


def test_the_daemon_stops_cleanly_on_sigterm_and_never_logs_the_password(broker, dsn,
                                                                          tmp_path):
    log = tmp_path / "ingest.log"
    proc = start_replica_process(broker, dsn, "ingest-t", log, {
        "TILLBOX_HEADOFFICE_USERNAME": "ingest", "TILLBOX_HEADOFFICE_PASSWORD": "hunter2",
        "TILLBOX_HEADOFFICE_LOG_LEVEL": "DEBUG"})
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
    text = log.read_text()
    assert "ingest ingest-t connected to broker" in text and "ingest ingest-t stopped" in text
    assert "hunter2" not in text
