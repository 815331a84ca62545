"""The same store on PostgreSQL: a throwaway cluster started and stopped by these tests.

Needs the PostgreSQL server binaries (Debian's postgresql package, in
dev/system-packages.txt) and psycopg 3 (the test extra): `make test` installs both.
"""

import glob
import json
import os
import shutil
import subprocess
import tempfile
import uuid

import pytest

from appliance.headoffice.ingest import Ingest, IngestSettings, accept_journal
from appliance.headoffice.report import sales_by_day
from appliance.headoffice.store import open_store
from appliance.ledger import verify
from appliance.uplink import contract
from conftest import free_port, wait_until

import psycopg  # noqa: E402,F401  (the test extra)

PG_BIN = next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)), None)
if PG_BIN is None:
    pytest.fail("PostgreSQL server binaries are missing: run `make sysdeps`", pytrace=False)

STORE, DEVICE = "s-01", "till-1"


def _as_postgres(cmd):
    # The server refuses to run as root; CI runs as root.
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                   timeout=60)


@pytest.fixture(scope="module")
def cluster():
    base = tempfile.mkdtemp(prefix="tillbox-pg-")
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    data, port = os.path.join(base, "data"), free_port()
    _as_postgres([f"{PG_BIN}/initdb", "-D", data, "-A", "trust", "-U", "postgres",
                  "--no-sync"])
    _as_postgres([f"{PG_BIN}/pg_ctl", "-D", data, "-l", os.path.join(base, "log"), "-w",
                  "-o", f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off",
                  "start"])
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        _as_postgres([f"{PG_BIN}/pg_ctl", "-D", data, "-m", "immediate", "stop"])
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def dsn(cluster):
    name = f"ho_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{cluster}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return f"{cluster}/{name}"


@pytest.fixture
def db(dsn):
    with open_store(dsn) as store:
        yield store


def raw(rec, **changes):
    return contract.encode({**contract.journal_payload(rec, STORE, DEVICE), **changes})


def accept(db, payload):
    with db.transaction():
        return accept_journal(db, STORE, DEVICE, payload, at="2026-11-26T02:31:00.000000Z")


def test_records_are_stored_once_verified_and_rejects_counted(db, shop):
    shop.sale("6901234567892")
    records = shop.ledger.records()
    assert [accept(db, raw(r)).status for r in records + records[:2]] == \
        ["stored"] * len(records) + ["duplicate"] * 2
    bad = raw(records[0], data={"forged": 1})
    assert accept(db, bad).reason == accept(db, bad).reason == "bad_hash"
    stored = db.records(STORE, DEVICE)
    assert [r.to_dict() for r in stored] == [r.to_dict() for r in records]
    assert verify(stored).ok
    assert db.contiguous(STORE, DEVICE) == len(records)
    assert [(r["reason"], r["times"]) for r in db.rejects()] == [("bad_hash", 2)]
    [day] = sales_by_day(db)
    assert (day.store, day.sales, day.total) == (STORE, 1, 6800)


def test_the_next_record_must_link_back(db, shop):
    shop.sale("6901234567892")
    a, b, c = shop.ledger.records()[:3]
    accept(db, raw(c))
    from appliance.ledger import compute_hash
    h = compute_hash(b.seq, b.id, b.ts, b.clock_synced, b.type, b.actor, {"x": 1}, b.prev_hash)
    assert accept(db, raw(b, data={"x": 1}, hash=h)).reason == "bad_next_link"
    assert accept(db, raw(a)).status == accept(db, raw(b)).status == "stored"
    assert db.contiguous(STORE, DEVICE) == 3


def test_journal_rows_are_append_only(db, shop, dsn):
    shop.sale("6901234567892")
    accept(db, raw(shop.ledger.records()[0]))
    with psycopg.connect(dsn, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.RaiseException, match="never changed or deleted"):
            conn.execute("UPDATE journal SET data = '{}'")
        with pytest.raises(psycopg.errors.RaiseException):
            conn.execute("DELETE FROM journal")


def test_progress_latest_and_cmd_acks_upserts(db):
    with db.transaction():
        db.save_progress(STORE, DEVICE, 5, "t1")
        db.save_progress(STORE, DEVICE, 3, "t2")
        db.set_latest(STORE, DEVICE, "hb", json.dumps({"backlog": 1}), "t1")
        db.set_latest(STORE, DEVICE, "hb", json.dumps({"backlog": 2}), "t2")
        assert db.add_cmd_ack(STORE, DEVICE, "c", "done", "", "{}", "t1")
        assert not db.add_cmd_ack(STORE, DEVICE, "c", "done", "", "{}", "t1")
    assert db._x("SELECT seq FROM progress").fetchone()[0] == 5
    assert json.loads(db.latest(STORE, DEVICE, "hb")) == {"backlog": 2}


def test_two_replicas_on_one_postgres_database_store_a_stream_once(dsn, tmp_path, make_shop):
    from mqtt_broker import Broker
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    shop = make_shop()
    for _ in range(6):
        shop.sale("6901234567892")
    records = shop.ledger.records()
    broker = Broker(tmp_path / "broker")
    replicas = []
    acks = []
    dev = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="dev", protocol=mqtt.MQTTv5)
    try:
        for name in ("ingest-a", "ingest-b"):
            store = open_store(dsn)
            ingest = Ingest(store, IngestSettings(host="127.0.0.1", port=broker.port,
                                                  client_id=name, session_expiry=0,
                                                  gap_grace=5))
            replicas.append((ingest, store))
            ingest.start()
            assert ingest.wait_subscribed(5)
        dev.on_message = lambda _c, _u, m: acks.append(json.loads(m.payload)["seq"])
        dev.connect("127.0.0.1", broker.port)
        dev.subscribe(contract.topic("pos/v1", STORE, DEVICE, "ack"), qos=1)
        dev.loop_start()
        for r in records + records[:5]:
            dev.publish(contract.topic("pos/v1", STORE, DEVICE, "journal"), raw(r),
                        qos=1).wait_for_publish(5)
        wait_until(lambda: acks and acks[-1] == len(records), timeout=10, what="the last ack")
    finally:
        dev.disconnect()
        dev.loop_stop()
        for ingest, store in replicas:
            ingest.close()
            store.close()
        broker.stop()
    with open_store(dsn) as db:
        stored = db.records(STORE, DEVICE)
        by = set(db.ingested_by(STORE, DEVICE).values())
    assert [r.hash for r in stored] == [r.hash for r in records] and verify(stored).ok
    assert by == {"ingest-a", "ingest-b"}
    assert acks == sorted(acks)  # replicas never publish an ack below an earlier one
