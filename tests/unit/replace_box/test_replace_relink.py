"""A new device id with a linking record (``tillbox ledger relink``): one unbroken chain on
the box, the old device's records never sent again, head office tying the new device to the
old one's last record, not double counting, and refusing the old id's new records."""

from __future__ import annotations

import sqlite3

import pytest

from appliance.config import read_overlay
from appliance.headoffice.ingest import BAD_LINK, SUPERSEDED
from appliance.headoffice.report import sales_by_day
from appliance.ledger import Ledger, open_readonly, verify
from appliance.ledger.records import Record, canonical_json
from appliance.orders import OrderEngine
from appliance.replace.headoffice_export import export_device
from appliance.replace.rebuild import import_journal
from appliance.replace.relink import RelinkRefused, relink
from appliance.uplink.state import UplinkState
from replace_box_rig import (db,  # noqa: F401 - fixture
                             STORE, cfg_for, ledger_records, projections_match_replay,
                             to_headoffice, uplink_for)

TEA = "6901234567892"


@pytest.fixture
def linked(shop, db, tmp_path):
    """Two sales as till-1 (all at head office), then the box stopped and relinked."""
    shop.sale(TEA)
    shop.sale(TEA, TEA)
    old = shop.ledger.records()
    to_headoffice(db, old)
    shop.ledger.close()
    summary = relink(cfg_for(tmp_path), "till-2", "old box stolen")
    cfg = cfg_for(tmp_path, device="till-2")
    shop.ledger = Ledger(cfg.ledger_path, device_id="till-2", store_id=STORE,
                         clock=shop.clock)
    shop.engine = OrderEngine(shop.ledger, shop.master)
    return shop, cfg, old, summary


def test_link_record_follows_the_old_head_and_the_chain_still_verifies(linked):
    shop, cfg, old, summary = linked
    records = ledger_records(cfg.ledger_path)
    link = records[-1]
    assert (link.seq, link.type, link.prev_hash) == (len(old) + 1, "device.linked", old[-1].hash)
    assert link.data == {"predecessor": {"store": STORE, "device": "till-1",
                                         "seq": old[-1].seq, "hash": old[-1].hash},
                         "reason": "old box stolen"}
    assert verify(iter(records)).ok
    assert projections_match_replay(cfg.ledger_path)
    conn = open_readonly(cfg.ledger_path)
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    conn.close()
    assert (meta["device_id"], meta["first_seq"]) == ("till-2", str(link.seq))
    assert read_overlay(cfg.overlay_path)["shop"]["device_id"] == "till-2"
    assert UplinkState(cfg.uplink_dir).acked_seq == old[-1].seq


def test_new_device_keeps_stock_and_order_numbering(linked, tmp_path):
    shop, cfg, old, _summary = linked
    with shop.ledger.reading() as conn:
        before = conn.execute("SELECT qty FROM stock_levels").fetchall()
        numbers = [r[0] for r in conn.execute("SELECT number FROM orders ORDER BY number")]
    paid = shop.sale(TEA)
    with shop.ledger.reading() as conn:
        after = conn.execute("SELECT qty FROM stock_levels").fetchall()
        number = conn.execute("SELECT number FROM orders WHERE id = ?",
                              (paid.order.id,)).fetchone()[0]
    assert after[0][0] == before[0][0] - 1
    assert number > max(numbers) and number not in numbers


def test_only_the_new_devices_records_go_up_and_head_office_counts_each_sale_once(linked,
                                                                                  db):
    shop, cfg, old, summary = linked
    shop.sale(TEA)
    up = uplink_for(cfg)
    up.next_seq = 1       # even a resend from seq 1 (head office asking) ...
    up.pump()             # ... never sends the old device's records under the new id
    sent = [body for _topic, body in up.client.published]
    head = ledger_records(cfg.ledger_path)[-1].seq
    assert [b["seq"] for b in sent] == list(range(summary["seq"], head + 1))
    assert sent[0]["type"] == "device.linked"
    assert {t.split("/")[3] for t, _b in up.client.published} == {"till-2"}
    records = [Record.from_dict({k: b[k] for k in Record.__dataclass_fields__}) for b in sent]
    assert {o.status for o in to_headoffice(db, records, device="till-2")} == {"stored"}
    assert db.contiguous(STORE, "till-2") == head                  # the ack the box gets
    assert db.count_records() == len(old) + len(sent)              # nothing stored twice
    sales = sum(row.sales for row in sales_by_day(db, STORE))
    assert sales == 3


def test_head_office_refuses_a_link_to_a_record_it_does_not_hold_until_it_arrives(
        shop, db, tmp_path):
    shop.sale(TEA)
    old = shop.ledger.records()
    to_headoffice(db, old[:-1])           # the old box died before sending its last record
    shop.ledger.close()
    relink(cfg_for(tmp_path), "till-2")
    link = ledger_records(tmp_path / "ledger.db")[-1]
    out = to_headoffice(db, [link], device="till-2")[0]
    assert (out.status, out.reason) == ("rejected", BAD_LINK)
    assert db.contiguous(STORE, "till-2") == 0
    to_headoffice(db, old[-1:])           # the old device's last record reaches head office
    assert to_headoffice(db, [link], device="till-2")[0].status == "stored"
    assert db.link_of(STORE, "till-2")["device"] == "till-1"


def test_the_old_device_id_coming_back_is_refused_after_the_link(linked, db, tmp_path):
    shop, cfg, old, summary = linked
    link = ledger_records(cfg.ledger_path)[-1]
    to_headoffice(db, [link], device="till-2")
    # the old box comes back online and sells on under till-1 (a fork)
    with Ledger(tmp_path / "oldbox.db", device_id="till-1", store_id=STORE) as other:
        with other.transaction() as tx:
            for rec in old:
                tx.conn.execute(
                    "INSERT INTO journal (seq, id, ts, clock_synced, type, actor, data, "
                    "prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?)",
                    (rec.seq, rec.id, rec.ts, int(rec.clock_synced), rec.type,
                     canonical_json(rec.actor), canonical_json(rec.data), rec.prev_hash,
                     rec.hash))
            fork = tx.append("test.note", {"staff": "s-owner"}, {"n": 1})
    out = to_headoffice(db, [fork], device="till-1")[0]
    assert (out.status, out.reason) == ("rejected", SUPERSEDED)


def test_a_second_link_from_the_same_old_device_is_refused(linked, db, tmp_path):
    shop, cfg, old, summary = linked
    link = ledger_records(cfg.ledger_path)[-1]
    to_headoffice(db, [link], device="till-2")
    out = to_headoffice(db, [link], device="till-3")[0]
    assert (out.status, out.reason) == ("rejected", BAD_LINK)
    assert "already continued" in out.detail


def test_a_linked_device_is_rebuilt_from_head_office_with_its_predecessors_records(
        linked, db, tmp_path):
    shop, cfg, old, summary = linked
    shop.sale(TEA)
    mine = ledger_records(cfg.ledger_path)[len(old):]
    to_headoffice(db, mine, device="till-2")
    head = export_device(db, STORE, "till-2", tmp_path / "till-2.jsonl")
    assert (head["first_seq"], head["head_seq"]) == (summary["seq"], mine[-1].seq)
    new_cfg = cfg_for(tmp_path / "newbox", device="till-2")
    import_journal(new_cfg, tmp_path / "till-2.jsonl")
    rebuilt = ledger_records(new_cfg.ledger_path)
    assert [r.hash for r in rebuilt] == [r.hash for r in ledger_records(cfg.ledger_path)]
    up = uplink_for(new_cfg)
    up.pump()
    assert up.client.published == []      # head office holds all of them
    assert up.floor == summary["seq"]     # and a resend never goes below the link


@pytest.mark.parametrize("device, words", [("till-1", "already belongs"),
                                           ("till 2", "letters, digits")])
def test_bad_relinks_are_refused(shop, tmp_path, device, words):
    shop.sale(TEA)
    shop.ledger.close()
    with pytest.raises(RelinkRefused, match=words):
        relink(cfg_for(tmp_path), device)


def test_relink_of_an_empty_ledger_or_a_running_box_is_refused(shop, tmp_path):
    with pytest.raises(RelinkRefused, match="empty"):
        relink(cfg_for(tmp_path), "till-2")
    shop.sale(TEA)            # the shop's ledger is open: core is running
    from appliance.backup import RestoreRefused
    with pytest.raises(RestoreRefused, match="in use"):
        relink(cfg_for(tmp_path), "till-2")


def test_restore_with_a_new_device_id_links_it_and_the_box_starts_as_that_device(tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[3]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILLBOX_")}

    def tillbox(conf, *args):
        return subprocess.run([sys.executable, "-m", "appliance.cli", "--config", str(conf),
                               *args], cwd=root, capture_output=True, text=True, env=env,
                              timeout=60)
    confs = {}
    for name in ("old", "new"):
        confs[name] = tmp_path / f"{name}.toml"
        confs[name].write_text(f'[paths]\ndata = "{tmp_path / name}"\n', encoding="utf-8")
    assert tillbox(confs["old"], "demo", "load").returncode == 0
    r = tillbox(confs["old"], "backup", "--to", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    backup = next((tmp_path / "out").glob("tillbox-backup-*"))
    r = tillbox(confs["new"], "restore", str(backup), "--new-device", "till-9",
                "--reason", "旧机维修")
    assert r.returncode == 0 and "continues as till-9" in r.stdout, r.stderr
    r = tillbox(confs["new"], "ledger", "verify", "--projections")
    assert r.returncode == 0, r.stdout
    r = tillbox(confs["new"], "config", "check")
    assert json.loads(r.stdout)["shop"]["device_id"] == "till-9"
    r = tillbox(confs["new"], "restore", str(backup), "--check", "--new-device", "x")
    assert r.returncode == 2 and "--new-device" in r.stderr


def test_the_dead_boxs_missing_records_are_carried_to_head_office_and_the_link_is_taken(
        shop, db, tmp_path):
    import io

    from appliance.ledger.export import write_jsonl
    from appliance.replace.headoffice_export import import_device
    shop.sale(TEA)
    shop.sale(TEA)
    old = shop.ledger.records()
    to_headoffice(db, old[:3])            # most of the old box's day never arrived
    shop.ledger.close()
    relink(cfg_for(tmp_path), "till-2")
    relinked = ledger_records(tmp_path / "ledger.db")
    link = relinked[-1]
    assert to_headoffice(db, [link], device="till-2")[0].reason == BAD_LINK
    # `tillbox ledger export` on the new box, carried to head office: the whole file,
    # link included; only the old device's own records are taken under the old id
    text = io.StringIO()
    write_jsonl(relinked, text)
    text.seek(0)
    counts = import_device(db, STORE, "till-1", text, at="x")
    assert (counts["stored"], counts["duplicate"], counts["rejected"]) == \
        (len(old) - 3, 3, 0)
    assert db.contiguous(STORE, "till-1") == len(old) == db.max_seq(STORE, "till-1")
    assert to_headoffice(db, [link], device="till-2")[0].status == "stored"


def test_the_old_training_ledger_is_kept_aside_so_training_mode_starts_afresh(shop, tmp_path):
    shop.sale(TEA)
    shop.ledger.close()
    with Ledger(tmp_path / "training.db", device_id="till-1-training", store_id=STORE) as t:
        with t.transaction() as tx:
            tx.append("test.note", {"staff": "s-owner"}, {"n": 1})
    summary = relink(cfg_for(tmp_path), "till-2")
    assert not (tmp_path / "training.db").exists()
    from pathlib import Path
    assert (Path(summary["training_kept_in"]) / "training.db").is_file()
    with Ledger(tmp_path / "training.db", device_id="till-2-training", store_id=STORE) as t:
        assert t.head()[0] == 0


def test_a_link_from_an_older_backup_than_head_office_holds_is_refused(shop, db, tmp_path):
    shop.sale(TEA)
    at_backup = len(shop.ledger.records())
    shop.sale(TEA)                        # sold after the backup, and sent to head office
    to_headoffice(db, shop.ledger.records())
    shop.ledger.close()
    # the new box is the backup: its ledger ends at the backup's head (made here by
    # cutting a copy back to it)
    conn = sqlite3.connect(tmp_path / "ledger.db")
    older = tmp_path / "older"
    older.mkdir()
    dst = sqlite3.connect(older / "ledger.db")
    conn.backup(dst)
    conn.close()
    dst.execute("DROP TRIGGER journal_no_delete")
    dst.execute("DELETE FROM journal WHERE seq > ?", (at_backup,))
    dst.commit()
    dst.close()
    relink(cfg_for(older), "till-2")
    link = ledger_records(older / "ledger.db")[-1]
    out = to_headoffice(db, [link], device="till-2")[0]
    assert (out.status, out.reason) == ("rejected", BAD_LINK)
    assert f"up to seq {db.contiguous(STORE, 'till-1')}" in out.detail
