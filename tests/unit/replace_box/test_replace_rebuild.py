"""Rebuilding a box from head office's copy of its journal (``tillbox headoffice
export-device`` then ``tillbox ledger import``): same chain, same projections, nothing printed
again, the uplink cursor at the head; every unsound file or ledger refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.ledger import Ledger, open_readonly, verify
from appliance.ledger.records import canonical_json
from appliance.replace.headoffice_export import ExportRefused, export_device
from appliance.replace.rebuild import ImportRefused, import_journal
from appliance.uplink import contract
from appliance.uplink.state import UplinkState
from replace_box_rig import (db,  # noqa: F401 - fixture
                             STORE, cfg_for, ledger_records, projections_match_replay,
                             stored_projections, to_headoffice, uplink_for)

TEA = "6901234567892"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def old_box(shop):
    """The old box: three sales (receipts and drawer kicks queued), all at head office."""
    shop.sale(TEA)
    shop.sale(TEA, TEA, method="wechat", reference="4200001234")
    shop.sale(TEA)
    return shop


@pytest.fixture
def exported(old_box, db, tmp_path):
    records = old_box.ledger.records()
    assert all(o.status == "stored" for o in to_headoffice(db, records))
    head = export_device(db, STORE, "till-1", tmp_path / "till-1.jsonl")
    return tmp_path / "till-1.jsonl", head, records


def test_rebuilt_ledger_verifies_matches_head_office_and_the_old_projections(
        exported, old_box, db, tmp_path):
    path, head, records = exported
    cfg = cfg_for(tmp_path / "new")
    summary = import_journal(cfg, path)
    assert summary["records"] == len(records)
    rebuilt = ledger_records(cfg.ledger_path)
    assert [(r.seq, r.id, r.ts, r.hash) for r in rebuilt] == \
        [(r.seq, r.id, r.ts, r.hash) for r in records]
    result = verify(iter(rebuilt))
    assert result.ok and (result.head_seq, result.head_hash) == \
        (db.contiguous(STORE, "till-1"), db.record_hashes(STORE, "till-1", len(records))[1])
    assert projections_match_replay(cfg.ledger_path)
    assert stored_projections(cfg.ledger_path) == stored_projections(old_box.ledger.path)
    # and core starts on it as it is (no migration of "old" data, same device and head)
    from appliance.box import Box
    from appliance.migrations import DATA_FORMAT, current_format
    assert current_format(cfg.data_dir) == DATA_FORMAT
    box = Box(cfg)
    try:
        assert box.ledger.head() == (result.head_seq, result.head_hash)
        assert not (cfg.data_dir / "backups").exists()
    finally:
        box.close()


def test_no_receipt_or_drawer_kick_of_the_old_records_is_queued_again(exported, old_box,
                                                                     tmp_path):
    path, _head, _records = exported
    with old_box.ledger.reading() as conn:
        assert conn.execute("SELECT COUNT(*) FROM print_jobs WHERE state = 'queued'"
                            ).fetchone()[0] >= 3   # the old box did queue them
    cfg = cfg_for(tmp_path / "new")
    summary = import_journal(cfg, path)
    conn = open_readonly(cfg.ledger_path)
    states = conn.execute("SELECT DISTINCT state, reason FROM print_jobs").fetchall()
    conn.close()
    assert states == [("expired", "too_old")]
    assert summary["print_jobs_skipped"] >= 3


def test_uplink_resumes_after_the_imported_head_and_the_next_sale_reaches_head_office(
        exported, db, tmp_path):
    path, head, records = exported
    cfg = cfg_for(tmp_path / "new")
    import_journal(cfg, path)
    assert UplinkState(cfg.uplink_dir).acked_seq == head["head_seq"]
    with Ledger(cfg.ledger_path, device_id="till-1", store_id=STORE) as ledger:
        with ledger.transaction() as tx:
            nxt = tx.append("test.note", {"staff": "s-owner", "device": "counter"}, {"n": 1})
    assert nxt.seq == head["head_seq"] + 1
    up = uplink_for(cfg)
    up.pump()
    sent = [body for _topic, body in up.client.published]
    assert [b["seq"] for b in sent] == [nxt.seq]     # nothing old again, nothing skipped
    with db.transaction():
        from appliance.headoffice.ingest import accept_journal
        out = accept_journal(db, STORE, "till-1", contract.encode(sent[0]), at="x")
    assert out.status == "stored" and db.contiguous(STORE, "till-1") == nxt.seq


def test_import_into_a_ledger_with_records_is_refused(exported, tmp_path):
    path, _head, _records = exported
    cfg = cfg_for(tmp_path / "new")
    with Ledger(cfg.ledger_path, device_id="till-1", store_id=STORE) as ledger:
        with ledger.transaction() as tx:
            tx.append("test.note", {"staff": "s-owner"}, {"n": 1})
    with pytest.raises(ImportRefused, match="already holds 1 records"):
        import_journal(cfg, path)
    assert len(ledger_records(cfg.ledger_path)) == 1


def test_import_of_another_devices_journal_names_both(exported, tmp_path):
    path, _head, _records = exported
    cfg = cfg_for(tmp_path / "new", device="till-2")
    with pytest.raises(ImportRefused, match="device 'till-1'.*device 'till-2'"):
        import_journal(cfg, path)
    assert not cfg.ledger_path.exists()


def _rewrite(path: Path, change) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(change(lines)) + "\n", encoding="utf-8")


def test_a_changed_record_is_refused_and_nothing_is_imported(exported, tmp_path):
    path, _head, _records = exported

    def tamper(lines):
        rec = json.loads(lines[3])
        rec["data"]["tampered"] = 1
        lines[3] = canonical_json(rec)
        return lines
    _rewrite(path, tamper)
    cfg = cfg_for(tmp_path / "new")
    with pytest.raises(ImportRefused, match="does not verify.*changed"):
        import_journal(cfg, path)
    assert not cfg.ledger_path.exists()


def test_a_truncated_file_is_refused(exported, tmp_path):
    path, _head, _records = exported
    _rewrite(path, lambda lines: lines[:-2])
    cfg = cfg_for(tmp_path / "new")
    with pytest.raises(ImportRefused, match="truncated"):
        import_journal(cfg, path)


def test_a_plain_ledger_export_without_header_is_refused(old_box, tmp_path):
    path = tmp_path / "plain.jsonl"
    path.write_text("".join(canonical_json(r.to_dict()) + "\n"
                            for r in old_box.ledger.records()), encoding="utf-8")
    with pytest.raises(ImportRefused, match="not a device journal file"):
        import_journal(cfg_for(tmp_path / "new"), path)


def test_head_office_refuses_to_export_a_broken_chain_and_writes_nothing(old_box, db,
                                                                        tmp_path):
    records = old_box.ledger.records()
    to_headoffice(db, records[:2])
    bad = records[2]
    forged = type(bad)(**{**bad.to_dict(), "data": {**bad.data, "x": 1}})
    with db.transaction():
        db.insert_record(STORE, "till-1", forged, "x", "")   # behind the ingest's back
    with pytest.raises(ExportRefused, match="does not verify"):
        export_device(db, STORE, "till-1", tmp_path / "out.jsonl")
    assert not [n for n in os.listdir(tmp_path) if n == "out.jsonl" or n.startswith(".export")]


def test_export_stops_at_head_offices_first_hole(old_box, db, tmp_path):
    records = old_box.ledger.records()
    to_headoffice(db, records[:4] + records[5:])
    head = export_device(db, STORE, "till-1", tmp_path / "out.jsonl")
    assert head["head_seq"] == 4 and head["holes_after"]


def test_cli_export_device_then_ledger_import(old_box, db, tmp_path):
    to_headoffice(db, old_box.ledger.records())
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILLBOX_")}
    out = tmp_path / "f.jsonl"
    r = subprocess.run([sys.executable, "-m", "appliance.cli", "headoffice", "export-device",
                        "--db", f"sqlite://{tmp_path}/ho.db", "--store", STORE, "--device",
                        "till-1", "--out", str(out)], cwd=ROOT, capture_output=True,
                       text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    conf = tmp_path / "new.toml"
    conf.write_text(f'[paths]\ndata = "{tmp_path / "new"}"\n[shop]\nstore_id = "{STORE}"\n'
                    'device_id = "till-1"\n', encoding="utf-8")
    box = [sys.executable, "-m", "appliance.cli", "--config", str(conf)]
    r = subprocess.run(box + ["ledger", "verify", "--file", str(out)], cwd=ROOT,
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr      # the header line is skipped
    r = subprocess.run(box + ["ledger", "import", str(out)], cwd=ROOT, capture_output=True,
                       text=True, env=env, timeout=60)
    assert r.returncode == 0 and "imported" in r.stdout, r.stderr
    r = subprocess.run(box + ["ledger", "verify", "--projections"], cwd=ROOT,
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stdout
    r = subprocess.run(box + ["ledger", "import", str(out)], cwd=ROOT, capture_output=True,
                       text=True, env=env, timeout=60)
    assert r.returncode == 2 and r.stderr.startswith("tillbox: ") \
        and r.stderr.strip().count("\n") == 0 and "empty ledger" in r.stderr, r.stderr


def test_each_settings_last_value_comes_back_from_the_journal_but_not_the_logo(
        shop, db, tmp_path):
    from appliance.master import MasterData
    from appliance.replace.rebuild import restore_settings
    import io
    from PIL import Image
    from appliance.printing import logo
    from appliance.settings_changes import change_settings
    png = io.BytesIO()
    Image.new("L", (40, 20), 0).save(png, "PNG")
    digest = logo.store(shop.master, png.getvalue())   # a real upload: the setting checks it
    change_settings(shop.ledger, shop.master, shop.owner, {"shop.name": "旧名字"})
    change_settings(shop.ledger, shop.master, shop.owner,
                    {"shop.name": "西湖茶庄", "receipt.footer": "欢迎再来",
                     "receipt.logo": digest})
    to_headoffice(db, shop.ledger.records())
    export_device(db, STORE, "till-1", tmp_path / "f.jsonl")
    cfg = cfg_for(tmp_path / "new")
    import_journal(cfg, tmp_path / "f.jsonl")
    restored, skipped = restore_settings(cfg)
    assert restored == {"shop.name": "西湖茶庄", "receipt.footer": "欢迎再来"}
    assert skipped == ["receipt.logo"]
    with MasterData(cfg.master_dir) as master:
        assert master.settings.get("shop.name") == "西湖茶庄"
        assert master.settings.get("receipt.logo") == ""


def test_a_new_box_takes_the_old_ids_and_its_own_empty_ledger_is_set_aside(exported,
                                                                           tmp_path):
    from appliance.config import read_overlay
    path, head, records = exported
    cfg = cfg_for(tmp_path / "new", device="till-a1b2c3")   # as its first boot named it
    cfg.overlay_path.parent.mkdir(parents=True)
    (cfg.overlay_path).write_text('[shop]\ndevice_id = "till-a1b2c3"\n', encoding="utf-8")
    Ledger(cfg.ledger_path, device_id="till-a1b2c3", store_id="other").close()  # core ran
    with pytest.raises(ImportRefused, match="--take-ids"):
        import_journal(cfg, path)
    summary = import_journal(cfg, path, take_ids=True)
    assert summary["records"] == len(records)
    assert read_overlay(cfg.overlay_path)["shop"] == {"store_id": STORE, "device_id": "till-1"}
    assert (Path(summary["empty_ledger_kept_in"]) / "ledger.db").is_file()
    from appliance.config import load
    again = load(None, environ={"TILLBOX_PATHS__DATA": str(tmp_path / "new")},
                 log_warnings=False)
    assert (again.shop.store_id, again.shop.device_id) == (STORE, "till-1")
    with Ledger(again.ledger_path, device_id="till-1", store_id=STORE) as ledger:
        assert ledger.head() == (head["head_seq"], head["head_hash"])
