"""Helpers for the replacing-a-box tests: a box's config in a temp directory, head office's
database fed in-process (appliance.headoffice.ingest.accept_journal, as the ingest does per
message), and uplinkd's pump with a recording client instead of paho."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance import config as configmod
from appliance.headoffice.ingest import accept_journal
from appliance.headoffice.store import open_store
from appliance.ledger import open_readonly
from appliance.ledger.projections import replay, snapshot
from appliance.ledger.store import iter_records
from appliance.uplink import contract

STORE = "demo-store"
AT = "2026-11-27T01:00:00.000000Z"


def cfg_for(data: Path, device: str = "till-1", store: str = STORE):
    return configmod.load(None, environ={"TILLBOX_PATHS__DATA": str(data),
                                         "TILLBOX_SHOP__DEVICE_ID": device,
                                         "TILLBOX_SHOP__STORE_ID": store},
                          log_warnings=False)


def to_headoffice(db, records, store=STORE, device="till-1"):
    """Each record as its journal message, through the ingest's check and store."""
    outs = []
    with db.transaction():
        for rec in records:
            raw = contract.encode(contract.journal_payload(rec, store, device))
            outs.append(accept_journal(db, store, device, raw, at=AT))
    return outs


def ledger_records(path: Path):
    conn = open_readonly(path)
    try:
        return list(iter_records(conn))
    finally:
        conn.close()


def projections_match_replay(path: Path) -> bool:
    conn = open_readonly(path)
    try:
        conn.execute("BEGIN")
        stored = snapshot(conn)
        fresh = snapshot(replay(iter_records(conn)))
        conn.execute("COMMIT")
    finally:
        conn.close()
    return stored == fresh


def stored_projections(path: Path) -> dict:
    conn = open_readonly(path)
    try:
        return snapshot(conn)
    finally:
        conn.close()


class _Info:
    def __init__(self, mid):
        self.mid, self.rc = mid, 0


class RecordingClient:
    """What uplinkd's pump publishes: (topic, payload dict)."""

    def __init__(self):
        self.published: list[tuple[str, dict]] = []

    def publish(self, topic, payload, qos=0, retain=False):
        self.published.append((topic, contract.decode(payload)))
        return _Info(len(self.published))


def uplink_for(cfg):
    """uplinkd's Uplink over ``cfg``'s data directory with a recording client."""
    from services.daemon import Daemon
    from services.uplinkd import Uplink
    up = Uplink(cfg, None, Daemon("uplinkd-test"))
    up.client = RecordingClient()
    return up


@pytest.fixture
def db(tmp_path):
    """Head office's store, in SQLite."""
    with open_store(f"sqlite://{tmp_path}/ho.db") as store:
        yield store

