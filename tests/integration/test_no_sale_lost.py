"""Every sale reaches head office exactly once: the box (core + uplinkd), a real mosquitto
and head office's ingest (`tillbox headoffice run`), through a broker outage, a SIGKILLed
uplinkd and a record lost at head office."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from appliance.headoffice.store import open_store
from appliance.ledger import verify
from mqtt_broker import Broker
from uplink_rig import LinkedBox, wait_until

ROOT = Path(__file__).resolve().parents[2]


class HeadOffice:
    def __init__(self, tmp: Path, broker_port: int):
        self.tmp, self.broker_port = tmp, broker_port
        self.dsn = f"sqlite:///{tmp / 'headoffice.db'}"
        self.start()

    def start(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("TILLBOX_")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "appliance.cli", "headoffice", "run", "--db", self.dsn,
             "--broker", f"127.0.0.1:{self.broker_port}", "--client-id", "ho-test",
             "--resend-every", "1", "--gap-grace", "1"],
            cwd=ROOT, env=env, stdout=open(self.tmp / "headoffice.log", "a"),
            stderr=subprocess.STDOUT)

    def db(self):
        return open_store(self.dsn)

    def holds(self):
        db = self.db()
        try:
            return db.records("hz-0012", "till-1")
        finally:
            db.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(15)


@pytest.fixture
def world(tmp_path):
    broker = Broker(tmp_path / "broker")
    box = LinkedBox(tmp_path / "box", broker.port)
    ho = HeadOffice(tmp_path, broker.port)
    yield broker, box, ho
    ho.stop()
    box.close()
    broker.stop()


def assert_holds_everything(ho, box):
    records = ho.holds()
    seqs = [r.seq for r in records]
    assert seqs == list(range(1, box.head() + 1))           # all, once, contiguous
    assert verify(iter(records)).ok                          # the chain verifies
    assert [r.hash for r in records] == [r.hash for r in box.box.ledger.records()]


def test_a_broker_outage_loses_nothing(world):
    broker, box, ho = world
    box.start_uplinkd()
    box.sales(5)
    wait_until(lambda: box.acked() == box.head(), 30, "first sales acked")
    broker.stop()
    box.sales(1000)                                          # the shop keeps selling
    broker.start()
    wait_until(lambda: box.acked() == box.head(), 180, "everything acked")
    assert_holds_everything(ho, box)


def test_uplinkd_killed_mid_drain_loses_and_duplicates_nothing(world):
    _broker, box, ho = world
    box.sales(400)
    box.start_uplinkd()
    wait_until(lambda: box.acked() > 50, 60, "draining")
    box.stop_uplinkd(signal.SIGKILL)
    assert box.acked() < box.head()
    box.start_uplinkd()
    wait_until(lambda: box.acked() == box.head(), 120, "drained after the restart")
    assert_holds_everything(ho, box)


def test_a_record_lost_at_head_office_is_detected_and_resent(world):
    _broker, box, ho = world
    box.sales(10)
    box.start_uplinkd()
    wait_until(lambda: box.acked() == box.head(), 30, "acked")
    ho.stop()
    # A record lost at head office (a restore from an older backup, a bad migration).
    import sqlite3
    conn = sqlite3.connect(ho.dsn[len("sqlite:///"):])
    with conn:
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                                    " AND tbl_name = 'journal'").fetchall():
            conn.execute(f"DROP TRIGGER {name}")  # head office restores it on start
        conn.execute("DELETE FROM journal WHERE device = 'till-1' AND seq = 7")
        conn.execute("UPDATE progress SET seq = MIN(seq, 6) WHERE device = 'till-1'")
    conn.close()
    ho.start()
    box.sales(1)                                             # the next record shows the gap
    wait_until(lambda: len(ho.holds()) == box.head(), 60, "the gap repaired")
    assert_holds_everything(ho, box)
