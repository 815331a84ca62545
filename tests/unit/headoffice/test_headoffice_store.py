"""Head office stores each journal record once, verified by hash and by its neighbours."""

import json
import sqlite3
from datetime import datetime, timezone

import pytest

from appliance.clock import FixedClock
from appliance.headoffice.ingest import accept_journal
from appliance.headoffice.store import open_store, parse_dsn
from appliance.ledger import Ledger, verify
from appliance.uplink import contract

STORE, DEVICE = "s-01", "till-1"


def ledger_records(path, n):
    """n real records from a box's ledger (hash-chained by appliance.ledger)."""
    clock = FixedClock(datetime(2026, 11, 26, 2, 30, tzinfo=timezone.utc))
    with Ledger(path, device_id=DEVICE, store_id=STORE, clock=clock) as ledger:
        for i in range(n):
            with ledger.transaction() as tx:
                tx.append("test.note", {"staff_id": "s-owner", "device": "counter"},
                          {"n": i, "text": "龙井"})
            clock.advance(seconds=1)
        return ledger.records()


def payload(rec, **changes):
    body = contract.journal_payload(rec, STORE, DEVICE)
    body.update(changes)
    return contract.encode(body)


@pytest.fixture
def db(tmp_path):
    with open_store(f"sqlite://{tmp_path}/ho.db") as store:
        yield store


@pytest.fixture
def records(tmp_path):
    return ledger_records(tmp_path / "box" / "ledger.db", 6)


def accept(db, raw, store=STORE, device=DEVICE):
    with db.transaction():
        return accept_journal(db, store, device, raw, at="2026-11-26T02:31:00.000000Z",
                              ingested_by="ingest-a")


def test_records_are_stored_once_and_verify_as_a_chain(db, records):
    outcomes = [accept(db, payload(r)).status for r in records + records[:3]]
    assert outcomes == ["stored"] * 6 + ["duplicate"] * 3
    assert db.count_records() == 6
    stored = db.records(STORE, DEVICE)
    assert [r.to_dict() for r in stored] == [r.to_dict() for r in records]
    assert verify(stored).ok
    assert db.contiguous(STORE, DEVICE) == 6


def test_a_tampered_record_is_rejected_and_counted_and_the_real_one_still_stored(db, records):
    rec = records[0]
    bad = payload(rec, data={**rec.data, "n": 999})
    assert accept(db, bad).reason == "bad_hash"
    assert accept(db, bad).reason == "bad_hash"
    assert db.count_records() == 0
    [row] = db.rejects()
    assert (row["seq"], row["reason"], row["times"]) == (1, "bad_hash", 2)
    assert accept(db, payload(rec)).status == "stored"


def test_a_rehashed_record_that_does_not_link_to_the_stored_previous_is_rejected(db, records):
    from appliance.ledger import compute_hash
    accept(db, payload(records[0]))
    r = records[1]
    forged_prev = "f" * 64
    h = compute_hash(r.seq, r.id, r.ts, r.clock_synced, r.type, r.actor, r.data, forged_prev)
    out = accept(db, payload(r, prev_hash=forged_prev, hash=h))
    assert (out.status, out.reason) == ("rejected", "bad_prev_link")
    assert db.count_records() == 1


def test_a_record_the_stored_next_one_does_not_link_to_is_rejected(db, records):
    from appliance.ledger import compute_hash
    accept(db, payload(records[2]))  # seq 3 arrives first: stored, its previous unknown yet
    r = records[1]
    data = {**r.data, "n": 42}
    h = compute_hash(r.seq, r.id, r.ts, r.clock_synced, r.type, r.actor, data, r.prev_hash)
    out = accept(db, payload(r, data=data, hash=h))
    assert (out.status, out.reason) == ("rejected", "bad_next_link")
    assert accept(db, payload(r)).status == "stored"


def test_record_one_must_start_from_the_genesis_hash(db, records):
    from appliance.ledger import compute_hash
    r = records[0]
    h = compute_hash(1, r.id, r.ts, r.clock_synced, r.type, r.actor, r.data, "a" * 64)
    assert accept(db, payload(r, prev_hash="a" * 64, hash=h)).reason == "bad_prev_link"


def test_another_record_under_a_stored_seq_is_a_conflict(db, tmp_path, records):
    other = ledger_records(tmp_path / "other" / "ledger.db", 1)[0]  # seq 1 of another box
    accept(db, payload(records[0]))
    assert accept(db, payload(other)).reason == "conflict"
    assert db.records(STORE, DEVICE)[0].id == records[0].id


def test_payload_naming_another_device_than_its_topic_is_rejected(db, records):
    out = accept(db, payload(records[0]), device="till-2")
    assert out.reason == "topic_mismatch"
    assert db.count_records() == 0


@pytest.mark.parametrize("raw", [b"not json", b"[1]", b'{"schema":1,"seq":1}',
                                 b'{"schema":1,"seq":"1","id":"x"}'])
def test_malformed_payloads_are_rejected(db, raw):
    assert accept(db, raw).reason == "malformed"
    assert db.rejects()[0]["reason"] == "malformed"


def test_a_float_in_the_data_is_malformed_even_with_a_matching_hash(db, records):
    from appliance.ledger import compute_hash
    r = records[0]
    data = {**r.data, "total": 12.5}
    h = compute_hash(1, r.id, r.ts, r.clock_synced, r.type, r.actor, data, r.prev_hash)
    assert accept(db, payload(r, data=data, hash=h)).reason == "malformed"


def test_contiguous_stops_at_the_first_hole_and_its_hint_never_goes_down(db, records):
    for r in (records[0], records[1], records[3], records[4]):
        accept(db, payload(r))
    assert db.contiguous(STORE, DEVICE) == 2
    assert db.max_seq(STORE, DEVICE) == 5
    with db.transaction():
        db.save_progress(STORE, DEVICE, 2, "t1")
        db.save_progress(STORE, DEVICE, 1, "t2")  # a slower replica's older view
    accept(db, payload(records[2]))
    assert db.contiguous(STORE, DEVICE) == 5


def test_same_device_id_in_two_stores_are_two_journals(db, records):
    accept(db, payload(records[0]))
    body = contract.journal_payload(records[0], "s-02", DEVICE)
    assert accept(db, contract.encode(body), store="s-02").status == "stored"
    assert db.count_records(store="s-01") == db.count_records(store="s-02") == 1


def test_stored_journal_rows_cannot_be_changed_or_deleted(db, records, tmp_path):
    accept(db, payload(records[0]))
    conn = sqlite3.connect(tmp_path / "ho.db")
    with pytest.raises(sqlite3.IntegrityError, match="never changed"):
        conn.execute("UPDATE journal SET data = '{}'")
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        conn.execute("DELETE FROM journal")
    conn.close()


def test_sqlite_is_opened_in_wal_mode(db, tmp_path):
    conn = sqlite3.connect(tmp_path / "ho.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_latest_status_and_cmd_acks_are_kept_once(db):
    with db.transaction():
        db.set_latest(STORE, DEVICE, "status", json.dumps({"online": True}), "t1")
        db.set_latest(STORE, DEVICE, "status", json.dumps({"online": False}), "t2")
        assert db.add_cmd_ack(STORE, DEVICE, "c1", "done", "", "{}", "t1")
        assert not db.add_cmd_ack(STORE, DEVICE, "c1", "done", "", "{}", "t2")
    assert json.loads(db.latest(STORE, DEVICE, "status")) == {"online": False}
    assert db.cmd_acks(STORE, DEVICE) == [("c1", "done", "")]


@pytest.mark.parametrize("dsn,expected", [
    ("sqlite:///var/lib/x/ho.db", ("sqlite", "/var/lib/x/ho.db")),
    ("postgresql://ho@db.example/ho", ("postgresql", "postgresql://ho@db.example/ho")),
    ("postgres://ho@db/ho", ("postgresql", "postgres://ho@db/ho")),
])
def test_dsn_kinds(dsn, expected):
    assert parse_dsn(dsn) == expected


@pytest.mark.parametrize("dsn", ["/var/lib/ho.db", "mysql://x/y", "sqlite://", "sqlite:///tmp/"])
def test_bad_dsns_are_refused_by_name(dsn):
    with pytest.raises(ValueError, match="sqlite:///path/to/file.db"):
        parse_dsn(dsn)
