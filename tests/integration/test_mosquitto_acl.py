"""docs/headoffice/ on a real mosquitto: a box writes only its own topics and reads only its
own ack and commands; head office's ingest reads what boxes send and writes ack and cmd.

Most tests log in with passwords on plain TCP: with ``use_identity_as_username`` the client
certificate's CN becomes the same user name, and the ACL's ``%u`` patterns see nothing else.
The last tests run docs/headoffice/mosquitto.conf itself, with certificates made by openssl.
The ACLs are read from the docs, so the docs are what is tested.
"""

from __future__ import annotations

import os
import re
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from appliance.ledger.records import GENESIS_HASH, Record, compute_hash
from appliance.uplink import contract
from conftest import free_port, wait_until
from mqtt_broker import MOSQUITTO, Broker

HEADOFFICE = Path(__file__).resolve().parents[2] / "docs" / "headoffice"
PREFIX = "pos/v1"
STORE = "hz-0012"
USERS = {"till-1": "pw1", "till-2": "pw2", "ingest": "pw3"}
NOT_AUTHORIZED = 0x87
UP_LEAVES = ("status", "journal", "hb", "cmd_ack")


def t(device: str, leaf: str, store: str = STORE) -> str:
    return contract.topic(PREFIX, store, device, leaf)


def shared(leaf: str) -> str:
    return f"$share/{contract.SHARE_GROUP}/{PREFIX}/+/+/{leaf}"


def journal_record(seq: int = 1, prev_hash: str = GENESIS_HASH) -> Record:
    fields = dict(seq=seq, id="5f0c2a7e-3b1d-4c8e-9a6f-1d2e3f405162",
                  ts="2026-11-26T02:30:00.000000Z", clock_synced=True, type="order.paid",
                  actor={"device": "till-1", "role": "cashier", "staff": "s-cashier",
                         "terminal": "counter"},
                  data={"number": "20261126-0001", "paid": 6800, "total": 6800,
                        "tenders": [{"amount": 6800, "method": "cash"}]},
                  prev_hash=prev_hash)
    return Record(**fields, hash=compute_hash(**fields))


class Peer:
    """One MQTT 5 client that records everything the broker answers and delivers."""

    def __init__(self, port: int, user: str, password: str | None = None, *, tls=None):
        self.user = user
        self.messages: list[tuple[str, dict, bool]] = []   # (topic, payload, retained)
        self.pubacks: dict[int, mqtt.ReasonCode] = {}
        self.subacks: dict[int, list] = {}
        self.connack = None
        self.gone = threading.Event()
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-{user.replace('/', '-')}",
                        protocol=mqtt.MQTTv5)
        if password is not None:
            c.username_pw_set(user, password)
        if tls:
            c.tls_set(**tls)
        c.reconnect_delay_set(0.1, 0.5)   # close() waits out paho's reconnect pause
        c.on_connect = self._on_connect
        c.on_disconnect = lambda *_: self.gone.set()
        c.on_message = lambda _c, _u, m: self.messages.append(
            (m.topic, contract.decode(m.payload), bool(m.retain)))
        c.on_publish = lambda _c, _u, mid, rc, _p: self.pubacks.__setitem__(mid, rc)
        c.on_subscribe = lambda _c, _u, mid, rcs, _p: self.subacks.__setitem__(mid, rcs)
        self.client = c
        self.port = port
        c.connect("127.0.0.1", port, keepalive=10)
        c.loop_start()
        wait_until(lambda: self.connack is not None or self.gone.is_set(), 5,
                   f"{user}'s CONNACK")

    def _on_connect(self, _c, _u, _flags, rc, _props) -> None:
        self.connack = rc

    def publish(self, topic: str, payload: dict, qos: int = 1, retain: bool = False):
        """The PUBACK reason code for QoS 1; None for QoS 0 (the broker answers nothing)."""
        info = self.client.publish(topic, contract.encode(payload), qos=qos, retain=retain)
        assert info.rc == mqtt.MQTT_ERR_SUCCESS, f"{self.user} could not send on {topic}"
        if qos == 0:
            return None
        return wait_until(lambda: self.pubacks.get(info.mid), 5, f"PUBACK of {topic}")

    def subscribe(self, *filters: str) -> list:
        """One SUBACK reason code per filter."""
        _rc, mid = self.client.subscribe([(f, 1) for f in filters])
        return wait_until(lambda: self.subacks.get(mid), 5, f"SUBACK of {filters}")

    def got(self, topic: str) -> list[dict]:
        return [payload for top, payload, _ in self.messages if top == topic]

    def topics(self) -> set[str]:
        return {top for top, _, _ in self.messages}

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def broker(tmp_path):
    b = Broker(tmp_path / "broker", acl=(HEADOFFICE / "acl").read_text(), users=USERS)
    yield b
    b.stop()


@pytest.fixture
def connect(broker):
    peers = []

    def make(user: str, password: str | None = None) -> Peer:
        peer = Peer(broker.port, user, password or USERS[user])
        assert peer.connack is not None and not peer.connack.is_failure, broker.log()
        peers.append(peer)
        return peer
    yield make
    for peer in peers:
        peer.close()


def test_a_box_sends_on_its_own_topics_and_ingest_reads_them_through_the_shared_group(connect):
    ingest = connect("ingest")
    codes = ingest.subscribe(*(shared(leaf) for leaf in UP_LEAVES))
    assert [c.value for c in codes] == [1, 1, 1, 1], codes   # granted, QoS 1
    till = connect("till-1")
    record = journal_record()

    assert till.publish(t("till-1", "status"), {"online": True, "session": 3},
                        retain=True).value == 0
    assert till.publish(t("till-1", "journal"),
                        contract.journal_payload(record, STORE, "till-1")).value == 0
    assert till.publish(t("till-1", "cmd_ack"), {"id": "c-1", "status": "done",
                                                 "detail": ""}).value == 0
    till.publish(t("till-1", "hb"), {"session": 3, "backlog": 0}, qos=0)

    wait_until(lambda: len(ingest.topics()) == 4, 5, "ingest to get all four")
    [received] = ingest.got(t("till-1", "journal"))
    assert received["seq"] == 1 and received["device"] == "till-1"
    assert compute_hash(*(received[k] for k in ("seq", "id", "ts", "clock_synced", "type",
                                                "actor", "data", "prev_hash"))) \
        == received["hash"] == record.hash


def test_a_box_cannot_send_as_another_box(connect):
    ingest = connect("ingest")
    ingest.subscribe(*(shared(leaf) for leaf in UP_LEAVES))
    till = connect("till-1")

    for leaf in ("status", "journal", "cmd_ack"):
        rc = till.publish(t("till-2", leaf), {"device": "till-2", "seq": 1})
        assert rc.value == NOT_AUTHORIZED, (leaf, rc)
    till.publish(t("till-2", "hb"), {"session": 1}, qos=0)   # dropped without a word
    # Messages from one client reach a subscriber in the order sent: once this one is in,
    # anything refused above would have arrived before it.
    till.publish(t("till-1", "journal"), contract.journal_payload(journal_record(), STORE,
                                                                  "till-1"))
    wait_until(lambda: ingest.got(t("till-1", "journal")), 5, "ingest to get till-1's record")
    assert ingest.topics() == {t("till-1", "journal")}


def test_a_box_cannot_write_head_office_topics_even_its_own(connect):
    till = connect("till-1")
    till.subscribe(t("till-1", "ack"), t("till-1", "cmd/+"))
    ingest = connect("ingest")

    assert till.publish(t("till-1", "ack"), {"seq": 999}, retain=True).value == NOT_AUTHORIZED
    assert till.publish(t("till-1", "cmd/resend"), {"id": "forged", "args": {"from_seq": 1}}
                        ).value == NOT_AUTHORIZED
    assert ingest.publish(t("till-1", "ack"), {"seq": 4}, retain=True).value == 0
    wait_until(lambda: till.got(t("till-1", "ack")), 5, "till-1's ack")
    assert [p for _, p, _ in till.messages] == [{"schema": 1, "seq": 4}]


def test_a_box_reads_only_its_own_ack_and_commands(connect):
    ingest = connect("ingest")
    # Retained acks waiting for both boxes before either subscribes.
    assert not ingest.publish(t("till-2", "ack"), {"seq": 5}, retain=True).is_failure
    assert not ingest.publish(t("till-1", "ack"), {"seq": 7}, retain=True).is_failure
    other = connect("till-2")
    other.subscribe(t("till-2", "ack"), t("till-2", "cmd/+"))
    till = connect("till-1")
    codes = till.subscribe(f"{PREFIX}/+/+/ack", f"{PREFIX}/+/till-2/cmd/#",
                           t("till-1", "cmd/+"))

    cmd = {"id": "c-42", "expires": "2026-11-26T08:00:00.000000Z", "args": {}}
    ingest.publish(t("till-2", "cmd/rebirth"), cmd)
    ingest.publish(t("till-1", "cmd/rebirth"), cmd)
    wait_until(lambda: till.got(t("till-1", "cmd/rebirth")), 5, "till-1's command")
    wait_until(lambda: other.got(t("till-2", "cmd/rebirth")), 5, "till-2's command")

    assert till.got(t("till-1", "ack")) == [{"schema": 1, "seq": 7}]
    assert other.got(t("till-2", "ack")) == [{"schema": 1, "seq": 5}]
    # A broker may refuse the subscription or grant it and never deliver (2.0.11 grants).
    delivered = till.topics()
    for flt, code in zip((f"{PREFIX}/+/+/ack", f"{PREFIX}/+/till-2/cmd/#"), codes):
        assert code.is_failure or not any(
            mqtt.topic_matches_sub(flt, top) and "/till-2/" in top for top in delivered), flt
    assert delivered == {t("till-1", "ack"), t("till-1", "cmd/rebirth")}


def test_ingest_cannot_send_as_a_box(connect):
    ingest = connect("ingest")
    for leaf in ("status", "journal", "cmd_ack"):
        rc = ingest.publish(t("till-1", leaf), {"device": "till-1"})
        assert rc.value == NOT_AUTHORIZED, (leaf, rc)


def test_the_store_level_is_not_bound_by_the_device_id_alone(connect):
    """The limitation docs/headoffice/acl states: any store, same device id."""
    till = connect("till-1")
    assert not till.publish(t("till-1", "journal", store="hz-0099"), {"seq": 1}).is_failure


# -- the example broker configuration itself, with TLS client certificates ------------------

def _openssl(cwd: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _file_name(cn: str) -> str:
    return cn.replace("/", "_")


def _certificates(d: Path, *cns: str) -> None:
    """A CA, a broker certificate for 127.0.0.1, and a client certificate per CN (the
    commands of docs/headoffice/README.md)."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    _openssl(d, "req", "-x509", "-new", *ec, "-days", "2", "-subj", "/CN=test CA",
             "-keyout", "ca.key", "-out", "ca.crt")
    (d / "broker.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    for name, cn, ext in (("broker", "localhost", ["-extfile", "broker.ext"]),
                          *((_file_name(cn), cn, []) for cn in cns)):
        # In -subj a "/" separates name parts; an escaped one stays inside the CN.
        _openssl(d, "req", "-new", *ec, "-subj", "/CN=" + cn.replace("/", "\\/"),
                 "-keyout", f"{name}.key", "-out", f"{name}.csr")
        _openssl(d, "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                 "-CAcreateserial", "-days", "2", *ext, "-out", f"{name}.crt")


def _example_conf(d: Path, port: int, acl: Path) -> str:
    """docs/headoffice/mosquitto.conf with this test's port, files and log."""
    overrides = {"listener": f"listener {port} 127.0.0.1", "cafile": f"cafile {d / 'ca.crt'}",
                 "certfile": f"certfile {d / 'broker.crt'}",
                 "keyfile": f"keyfile {d / 'broker.key'}", "acl_file": f"acl_file {acl}",
                 "persistence": "persistence false", "persistence_location": "",
                 "log_dest": f"log_dest file {d / 'mosquitto.log'}"}
    lines, seen = [], set()
    for line in (HEADOFFICE / "mosquitto.conf").read_text().splitlines():
        key = line.split(" ", 1)[0]
        if key in overrides:
            if key not in seen:
                lines.append(overrides[key])
            seen.add(key)
        else:
            lines.append(line)
    assert seen == set(overrides), f"the example lost {set(overrides) - seen}"
    if os.geteuid() == 0:
        lines.append("user root")
    return "\n".join(lines) + "\n"


@pytest.fixture
def example_broker(tmp_path):
    """start(acl_path, *cns) runs the example configuration with certificates for the CNs and
    returns a function making Peers that log in with those certificates."""
    procs, peers = [], []

    def start(acl: Path, *cns: str):
        _certificates(tmp_path, *cns)
        port = free_port()
        conf = tmp_path / "mosquitto.conf"
        conf.write_text(_example_conf(tmp_path, port, acl))
        proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        procs.append(proc)

        def listening():
            assert proc.poll() is None, proc.stderr.read().decode()
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) == 0
        wait_until(listening, 10, "the example broker to listen")

        def peer(cn: str | None) -> Peer:
            tls = {"ca_certs": str(tmp_path / "ca.crt")}
            if cn:
                tls.update(certfile=str(tmp_path / f"{_file_name(cn)}.crt"),
                           keyfile=str(tmp_path / f"{_file_name(cn)}.key"))
            p = Peer(port, cn or "no certificate", tls=tls)
            peers.append(p)
            return p
        return peer
    yield start
    for p in peers:
        p.close()
    for proc in procs:
        proc.terminate()
        proc.wait(10)


def test_the_example_config_names_each_box_by_its_certificate(example_broker):
    peer = example_broker(HEADOFFICE / "acl", "till-1", "ingest")
    ingest, till = peer("ingest"), peer("till-1")
    assert not ingest.connack.is_failure and not till.connack.is_failure
    ingest.subscribe(shared("journal"))

    assert till.publish(t("till-2", "journal"), {"seq": 1}).value == NOT_AUTHORIZED
    assert till.publish(t("till-1", "journal"), {"seq": 1}).value == 0
    wait_until(lambda: ingest.got(t("till-1", "journal")), 5, "till-1's record")
    assert ingest.topics() == {t("till-1", "journal")}


def test_the_example_config_refuses_a_client_without_a_certificate(example_broker):
    peer = example_broker(HEADOFFICE / "acl")
    try:
        anonymous = peer(None)
    except (ssl.SSLError, OSError):
        return   # refused in the handshake (TLS 1.2)
    # TLS 1.3: the client finishes first and the broker then cuts it off.
    wait_until(anonymous.gone.is_set, 5, "the broker to drop a client without a certificate")
    assert anonymous.connack is None


def test_store_device_names_bind_the_store_as_readme_shows(example_broker, tmp_path):
    readme = (HEADOFFICE / "README.md").read_text(encoding="utf-8")
    [acl] = re.findall(r"```acl\n(.*?)```", readme, re.S)
    (tmp_path / "store-bound.acl").write_text(acl)
    peer = example_broker(tmp_path / "store-bound.acl", "hz-0012/till-1", "ingest")
    till, ingest = peer("hz-0012/till-1"), peer("ingest")
    assert not ingest.connack.is_failure and not till.connack.is_failure
    till.subscribe(t("till-1", "ack"), t("till-1", "cmd/+"))
    ingest.subscribe(shared("journal"))

    assert till.publish(t("till-1", "journal", store="hz-0099"), {"seq": 1}
                        ).value == NOT_AUTHORIZED
    assert till.publish(t("till-2", "journal"), {"seq": 1}).value == NOT_AUTHORIZED
    assert till.publish(t("till-1", "journal"), {"seq": 1}).value == 0
    assert ingest.publish(t("till-1", "ack"), {"seq": 1}, retain=True).value == 0
    wait_until(lambda: till.got(t("till-1", "ack")), 5, "the ack")
    assert ingest.topics() == {t("till-1", "journal")}


def test_uplinkd_sends_over_tls_with_its_client_certificate(example_broker, tmp_path):
    """The box as configured for the example broker: TLS, the CA file and a client
    certificate whose CN is its device id; head office receives its birth and its journal."""
    from uplink_rig import LinkedBox
    peer = example_broker(HEADOFFICE / "acl", "till-1", "ingest")
    ingest = peer("ingest")
    ingest.subscribe(t("till-1", "status"), shared("journal"))
    box = LinkedBox(tmp_path / "box", ingest.port, mqtt={
        "tls": "true", "ca_file": f'"{tmp_path / "ca.crt"}"',
        "client_cert": f'"{tmp_path / "till-1.crt"}"',
        "client_key": f'"{tmp_path / "till-1.key"}"'})
    try:
        box.sales(2)
        box.start_uplinkd()
        wait_until(lambda: ingest.got(t("till-1", "status")), 15, "the box's birth")
        wait_until(lambda: len(ingest.got(t("till-1", "journal"))) >= box.head(), 15,
                   "the journal over TLS")
        assert ingest.got(t("till-1", "status"))[-1]["online"] is True
    finally:
        box.close()
