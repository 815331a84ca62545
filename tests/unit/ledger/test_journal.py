"""The journal: append-only in the database itself, hash-chained, gap-free, time never back."""

import sqlite3
from datetime import datetime, timezone

import pytest

from appliance.clock import FixedClock
from appliance.ledger import GENESIS_HASH, Ledger, LedgerError
from appliance.ledger.records import canonical_json

ACTOR = {"staff": "s-1", "role": "owner", "device": "till-1", "terminal": "t"}


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc))


@pytest.fixture
def ledger(tmp_path, clock):
    with Ledger(tmp_path / "ledger.db", clock=clock) as led:
        yield led


def append(ledger, n=1, type_="test.event"):
    with ledger.transaction() as tx:
        return [tx.append(type_, ACTOR, {"i": i, "名": "茶"}) for i in range(n)]


def test_records_chain_from_genesis_with_gap_free_seq(ledger, clock):
    for _ in range(3):
        append(ledger, 2)
        clock.advance(seconds=1)
    recs = ledger.records()
    assert [r.seq for r in recs] == list(range(1, 7))
    assert recs[0].prev_hash == GENESIS_HASH
    for a, b in zip(recs, recs[1:]):
        assert b.prev_hash == a.hash
    for r in recs:
        assert r.recomputed_hash() == r.hash
    assert ledger.head() == (6, recs[-1].hash)


def test_database_refuses_update_and_delete(ledger):
    append(ledger, 2)
    conn = sqlite3.connect(ledger.path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE journal SET data = '{}' WHERE seq = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM journal WHERE seq = 2")
    conn.close()


def test_database_refuses_gaps_forks_and_replace(ledger):
    (rec,) = append(ledger)
    conn = sqlite3.connect(ledger.path)
    conn.execute("PRAGMA recursive_triggers = ON")
    row = (rec.id, rec.ts, 1, "x", "{}", "{}", rec.hash, "h")
    with pytest.raises(sqlite3.IntegrityError, match="gap-free"):
        conn.execute("INSERT INTO journal VALUES (3,?,?,?,?,?,?,?,?)", row)
    with pytest.raises(sqlite3.IntegrityError, match="prev_hash"):
        conn.execute("INSERT INTO journal VALUES (2,?,?,?,?,?,?,?,?)",
                     (rec.id, rec.ts, 1, "x", "{}", "{}", "f" * 64, "h"))
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT OR REPLACE INTO journal VALUES (1,?,?,?,?,?,?,?,?)",
                     (rec.id, rec.ts, 1, "x", "{}", "{}", GENESIS_HASH, "h"))
    with pytest.raises(sqlite3.IntegrityError, match="backwards"):
        conn.execute("INSERT INTO journal VALUES (2,?,?,?,?,?,?,?,?)",
                     (rec.id, "2000-01-01T00:00:00.000000Z", 1, "x", "{}", "{}", rec.hash, "h"))
    conn.close()
    assert [r.seq for r in ledger.records()] == [1]


def test_time_never_goes_backwards_when_the_clock_does(ledger, clock):
    append(ledger)
    first = ledger.records()[-1].ts
    clock.advance(hours=-5)
    clock._synced = False
    append(ledger)
    second = ledger.records()[-1]
    assert second.ts == first
    assert second.clock_synced is False


def test_a_failed_transaction_leaves_nothing(ledger):
    append(ledger)
    with pytest.raises(RuntimeError):
        with ledger.transaction() as tx:
            tx.append("test.event", ACTOR, {"i": 99})
            raise RuntimeError("crash in the middle")
    assert [r.seq for r in ledger.records()] == [1]
    append(ledger)
    assert [r.seq for r in ledger.records()] == [1, 2]


def test_floats_are_refused_in_records(ledger):
    with pytest.raises(TypeError, match="float"):
        with ledger.transaction() as tx:
            tx.append("test.event", ACTOR, {"amount": 12.5})
    assert ledger.records() == []


def test_stored_data_is_the_canonical_json_that_was_hashed(ledger):
    append(ledger)
    conn = sqlite3.connect(ledger.path)
    data = conn.execute("SELECT data FROM journal").fetchone()[0]
    conn.close()
    assert data == canonical_json({"i": 0, "名": "茶"})


def test_wal_and_full_sync(ledger):
    conn = ledger._conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_a_ledger_belongs_to_one_device(tmp_path, clock):
    Ledger(tmp_path / "l.db", device_id="till-1", clock=clock).close()
    with pytest.raises(LedgerError, match="belongs to device"):
        Ledger(tmp_path / "l.db", device_id="till-2", clock=clock)


def test_nested_transactions_commit_together_and_roll_back_their_own_part(ledger):
    with ledger.transaction():
        append(ledger)
        with pytest.raises(RuntimeError):
            with ledger.transaction() as tx:
                tx.append("test.event", ACTOR, {"inner": 1})
                raise RuntimeError("inner failure")
        append(ledger)
    recs = ledger.records()
    assert [r.seq for r in recs] == [1, 2]
    assert all("inner" not in r.data for r in recs)
    assert recs[1].prev_hash == recs[0].hash


def test_outer_transaction_can_append_after_an_inner_one(ledger):
    with ledger.transaction() as outer:
        outer.append("test.event", ACTOR, {"n": 1})
        append(ledger)
        outer.append("test.event", ACTOR, {"n": 3})
    assert [r.seq for r in ledger.records()] == [1, 2, 3]


def test_projections_see_the_record_as_stored_not_as_the_caller_built_it(ledger):
    seen = []
    from appliance.ledger import projections
    projections.HANDLERS["test.shape"] = lambda conn, rec: seen.append(rec.data)
    try:
        with ledger.transaction() as tx:
            tx.append("test.shape", ACTOR, {"z": 1, "a": (1, 2)})
    finally:
        del projections.HANDLERS["test.shape"]
    assert list(seen[0]) == ["a", "z"] and seen[0]["a"] == [1, 2]
    assert ledger.records()[0].data == seen[0]


def test_data_directory_with_uri_characters_opens_the_right_file(tmp_path, clock):
    from appliance.ledger import open_readonly
    odd = tmp_path / "shop #1 ?50%41"
    with Ledger(odd / "ledger.db", clock=clock) as led:
        append(led, 3)
    conn = open_readonly(odd / "ledger.db")
    assert conn.execute("SELECT COUNT(*) FROM journal").fetchone()[0] == 3
    conn.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shop #1 ?50%41"]


def test_ledger_errors_are_errors_for_people(tmp_path, clock):
    from appliance.errors import TillboxError
    led = Ledger(tmp_path / "l.db", clock=clock)
    led.close()
    with pytest.raises(TillboxError) as err:
        led.head()
    assert err.value.status == 503


def test_background_checkpoints_keep_the_wal_small_and_lose_nothing(tmp_path, clock):
    import time

    def wal_after_commits(name, interval):
        led = Ledger(tmp_path / name, clock=clock)
        led.start_background_checkpoints(interval=interval)
        for i in range(400):
            append(led)
            if i % 50 == 49:
                # Idle moments, as in a shop: the checkpoint completes and the WAL restarts.
                # Often enough that a loaded CI machine still shows the difference clearly.
                time.sleep(0.2)
        size = (tmp_path / f"{name}-wal").stat().st_size
        led.close()
        with Ledger(tmp_path / name, clock=clock) as again:
            assert [r.seq for r in again.records()] == list(range(1, 401))
        return size

    assert wal_after_commits("bg.db", 0.05) * 3 < wal_after_commits("never.db", 1000)
