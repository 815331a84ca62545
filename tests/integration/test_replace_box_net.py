"""Rebuilding a box from head office over a real mosquitto: head office's store holds a dead
box's journal; `send-history` publishes it as cmd/journal.restore parts; the new box (empty
ledger, core in-process, uplinkd a real process) stores them, assembles and verifies them
("ready"); the box's answers reach head office's store through its ingest; then
tillbox-rebuild.service's steps (claim, stop, `tillbox ledger import --received` as a child,
start) give a ledger that verifies with head office's head."""

import os
import stat

from appliance.headoffice.ingest import Ingest, IngestSettings
from appliance.headoffice.store import open_store
from appliance.ledger import open_readonly, verify
from appliance.ledger.store import iter_records
from appliance.replace import received, send_history
from appliance.replace.apply import run_service
from appliance.uplink import contract
from uplink_rig import LinkedBox, wait_until

STORE = "hz-0012"


def test_head_office_sends_the_history_and_the_new_box_rebuilds_from_it(tmp_path, broker,
                                                                       monkeypatch):
    db = open_store(f"sqlite://{tmp_path}/ho.db")
    old = LinkedBox(tmp_path / "old", broker.port)       # the dead box: never started
    old.sales(3)
    records = old.box.ledger.records()
    head = old.box.ledger.head()
    old.close()
    with db.transaction():
        from appliance.headoffice.ingest import accept_journal
        for rec in records:
            raw = contract.encode(contract.journal_payload(rec, STORE, "till-1"))
            assert accept_journal(db, STORE, "till-1", raw, at="2026-11-27T01:00:00Z"
                                  ).status == "stored"
    ingest = Ingest(db, IngestSettings(host="127.0.0.1", port=broker.port,
                                       client_id="ingest-rebuild", session_expiry=0))
    ingest.start()
    # the new box still has the device id its first boot gave it
    (tmp_path / "new" / "data").mkdir(parents=True)
    (tmp_path / "new" / "data" / "setup.toml").write_text('[shop]\ndevice_id = "till-9f3a2b"\n')
    box = LinkedBox(tmp_path / "new", broker.port)
    try:
        assert ingest.wait_subscribed(5), broker.log()
        assert box.head() == 0 and box.cfg.shop.device_id == "till-9f3a2b"
        box.start_uplinkd()
        monkeypatch.setattr(send_history, "PART_BYTES", 3000)   # several parts
        settings = IngestSettings(host="127.0.0.1", port=broker.port, client_id="ho-test")
        wait_until(lambda: _online(db, "till-9f3a2b"), 10, "the new box online")
        sent = send_history.send_history(db, settings, STORE, "till-1", to="till-9f3a2b",
                                         wait=20)
        assert sent["parts"] >= 3 and sent["records"] == head[0]
        assert sent["answer"][0] == "done", sent["answer"]
        cfg = box.cfg
        wait_until(lambda: received.read_status(cfg).get("state") == "ready", 10, "ready")
        st = received.read_status(cfg)
        assert (st["head_seq"], st["head_hash"], st["device"], st["take_ids"]) == \
            (*head, "till-1", True)
        wait_until(lambda: any(i == sent["ids"][-1] and s == "done"
                               for i, s, _d in db.cmd_acks(STORE, "till-9f3a2b")), 5,
                   "the last part's ack stored at head office")

        # the owner's "Rebuild now", then tillbox-rebuild.service's steps
        received.request_rebuild(cfg, "owner", box.head())
        box.stop_uplinkd()                     # what `systemctl stop tillbox.target` does
        box.server.close()
        box.box.close()
        calls = tmp_path / "systemctl.log"
        fake = tmp_path / "systemctl"
        fake.write_text(f"#!/bin/sh\necho \"$@\" >> {calls}\n")
        fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
        for k in [k for k in os.environ if k.startswith("TILLBOX_")]:
            monkeypatch.delenv(k)
        assert run_service(cfg, config=str(box.cfg_path), systemctl=str(fake)) == 0
        assert calls.read_text().split("\n")[:2] == ["stop tillbox.target",
                                                     "start tillbox.target"]
        assert received.read_status(cfg)["state"] == "done"
        from appliance.config import load
        cfg = load(box.cfg_path, environ={})
        assert cfg.shop.device_id == "till-1"        # the box is the old device now
        conn = open_readonly(cfg.ledger_path)
        try:
            result = verify(iter_records(conn))
        finally:
            conn.close()
        assert result.ok and (result.head_seq, result.head_hash) == head
        assert (db.contiguous(STORE, "till-1"), db.record_hashes(STORE, "till-1", head[0])[1]
                ) == head
    finally:
        box.stop_uplinkd()
        try:
            box.server.close()
            box.box.close()
        except Exception:  # noqa: BLE001 - closed above already
            pass
        ingest.close()
        db.close()


def _online(db, device) -> bool:
    raw = db.latest(STORE, device, "status")
    return bool(raw) and contract.decode(raw.encode()).get("online") is True
