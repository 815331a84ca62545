"""Review fixes to replacing a box: an import cut short never leaves the old device's ids with
an empty ledger; head office stores no other device's records under --device and takes
import-device whole or not at all; a link only within its store; relink refuses to drop
records head office may lack; an export that stops at a hole says so and is not imported
without --allow-hole."""

from __future__ import annotations

import gc
import io

import pytest

from appliance import config as configmod
from appliance.config import read_overlay
from appliance.headoffice.ingest import BAD_LINK
from appliance.ledger import Ledger, LedgerError, verify_file
from appliance.ledger.export import write_jsonl
from appliance.orders import OrderEngine
from appliance.replace import rebuild
from appliance.replace.headoffice_export import (ImportDeviceRefused, export_device,
                                                 import_device)
from appliance.replace.rebuild import IMPORTING, ImportRefused, import_journal
from appliance.replace.relink import RelinkRefused, relink
from appliance.uplink.state import UplinkState
from replace_box_rig import db  # noqa: F401 - fixture
from replace_box_rig import STORE, cfg_for, ledger_records, to_headoffice

TEA = "6901234567892"


@pytest.fixture
def exported(shop, db, tmp_path):
    shop.sale(TEA)
    shop.sale(TEA, TEA)
    records = shop.ledger.records()
    to_headoffice(db, records)
    export_device(db, STORE, "till-1", tmp_path / "till-1.jsonl")
    return tmp_path / "till-1.jsonl", records


def _meta(path):
    """The ledger's meta and how many records it holds (all verified)."""
    meta, result = verify_file(path)
    assert result.ok, result.line()
    return meta, result.checked


def _new_box(tmp_path):
    """A new box whose first boot named it till-a1b2c3 (in its setup overlay)."""
    data = tmp_path / "new"
    data.mkdir()
    (data / "setup.toml").write_text('[shop]\ndevice_id = "till-a1b2c3"\n', encoding="utf-8")
    return configmod.load(None, environ={"TILLBOX_PATHS__DATA": str(data)},
                          log_warnings=False)


def _core_would_start(cfg_path) -> bool:
    """What core does at start: open the ledger as the device the configuration names."""
    cfg = configmod.load(None, environ={"TILLBOX_PATHS__DATA": str(cfg_path)},
                         log_warnings=False)
    try:
        Ledger(cfg.ledger_path, device_id=cfg.shop.device_id,
               store_id=cfg.shop.store_id).close()
    except LedgerError:
        started = False
    else:
        started = True
    gc.collect()   # the refused Ledger's connection (core would have exited)
    return started


def test_an_import_with_take_ids_cut_short_mid_way_leaves_no_old_device(exported, tmp_path,
                                                                         monkeypatch):
    path, records = exported
    cfg = _new_box(tmp_path)
    real_apply = rebuild.projections.apply
    seen = []

    def apply(conn, rec):
        seen.append(rec.seq)
        if len(seen) == 3:
            raise KeyboardInterrupt("power cut")
        real_apply(conn, rec)
    monkeypatch.setattr(rebuild.projections, "apply", apply)
    with pytest.raises(KeyboardInterrupt):
        import_journal(cfg, path, take_ids=True)
    # The overlay still names the new box; no ledger of the old device exists.
    assert read_overlay(cfg.overlay_path)["shop"] == {"device_id": "till-a1b2c3"}
    meta, n = _meta(cfg.ledger_path)
    assert n == 0 and meta["device_id"] != "till-1"
    assert not _core_would_start(cfg.data_dir)   # refuses rather than sell seq 1 again
    monkeypatch.setattr(rebuild.projections, "apply", real_apply)
    summary = import_journal(cfg, path, take_ids=True)   # the same command again finishes it
    assert summary["records"] == len(records)
    assert read_overlay(cfg.overlay_path)["shop"]["device_id"] == "till-1"
    assert _meta(cfg.ledger_path)[0]["device_id"] == "till-1"
    assert _core_would_start(cfg.data_dir)


def test_an_import_cut_short_after_the_overlay_was_written_does_not_start_either(
        exported, tmp_path, monkeypatch):
    path, records = exported
    cfg = _new_box(tmp_path)
    from appliance import provisioning
    real_write = provisioning.write_overlay

    def write_then_die(*a, **kw):
        real_write(*a, **kw)
        raise KeyboardInterrupt("power cut before the COMMIT")
    monkeypatch.setattr(provisioning, "write_overlay", write_then_die)
    monkeypatch.setattr(rebuild, "_put_back", lambda *a: None)   # the process died
    with pytest.raises(KeyboardInterrupt):
        import_journal(cfg, path, take_ids=True)
    assert read_overlay(cfg.overlay_path)["shop"]["device_id"] == "till-1"
    meta, n = _meta(cfg.ledger_path)
    assert (n, meta["device_id"]) == (0, IMPORTING)
    assert not _core_would_start(cfg.data_dir)
    monkeypatch.setattr(provisioning, "write_overlay", real_write)
    import_journal(configmod.load(None, environ={"TILLBOX_PATHS__DATA": str(cfg.data_dir)},
                                  log_warnings=False), path, take_ids=True)
    assert _core_would_start(cfg.data_dir)


def test_a_failed_commit_puts_the_overlay_back(exported, tmp_path, monkeypatch):
    path, _records = exported
    cfg = _new_box(tmp_path)
    from appliance import provisioning
    real_write = provisioning.write_overlay

    def write_then_fail(*a, **kw):
        real_write(*a, **kw)
        raise OSError("disk full")
    monkeypatch.setattr(provisioning, "write_overlay", write_then_fail)
    with pytest.raises(OSError):
        import_journal(cfg, path, take_ids=True)
    assert read_overlay(cfg.overlay_path)["shop"] == {"device_id": "till-a1b2c3"}


@pytest.fixture
def relinked(shop, tmp_path):
    """till-1 sold twice, was relinked to till-2, which sold once: the box's whole ledger."""
    shop.sale(TEA)
    shop.sale(TEA, TEA)
    old = shop.ledger.records()
    shop.ledger.close()
    relink(cfg_for(tmp_path), "till-2")
    shop.ledger = Ledger(tmp_path / "ledger.db", device_id="till-2", store_id=STORE,
                         clock=shop.clock)
    shop.engine = OrderEngine(shop.ledger, shop.master)
    shop.sale(TEA)
    return old, ledger_records(tmp_path / "ledger.db")


def _export(records) -> io.StringIO:
    text = io.StringIO()
    write_jsonl(records, text)
    text.seek(0)
    return text


def test_import_device_never_stores_the_predecessors_records_under_the_new_id(relinked, db):
    old, everything = relinked
    to_headoffice(db, old)                # till-1's records are at head office already
    counts = import_device(db, STORE, "till-2", _export(everything), at="x")
    mine = everything[len(old):]
    assert (counts["stored"], counts["duplicate"]) == (len(mine), 0)
    assert db.record_hashes(STORE, "till-2", 1) is None      # nothing of till-1 as till-2
    assert db.count_records(STORE, "till-2") == len(mine)
    assert db.count_records(STORE, "till-1") == len(old)
    assert db.contiguous(STORE, "till-2") == everything[-1].seq


def test_import_device_refuses_another_devices_records_and_stores_nothing(shop, db):
    shop.sale(TEA)
    shop.sale(TEA)
    till1 = shop.ledger.records()
    to_headoffice(db, till1[:2])
    before = db.count_records()
    with pytest.raises(ImportDeviceRefused, match="written by device 'till-1', not 'till-3'"):
        import_device(db, STORE, "till-3", _export(till1), at="x")
    assert db.count_records() == before and db.count_records(STORE, "till-3") == 0


def test_one_rejected_record_rolls_the_whole_import_back(relinked, db):
    old, everything = relinked
    to_headoffice(db, old[:-1])           # head office lacks till-1's last record: the link
    before = db.count_records()           # (and so every till-2 record) cannot be tied to it
    with pytest.raises(ImportDeviceRefused, match="bad_link"):
        import_device(db, STORE, "till-2", _export(everything), at="x")
    assert db.count_records() == before
    assert db.contiguous(STORE, "till-2") == 0


def test_head_office_refuses_a_link_to_another_stores_device(relinked, db):
    old, everything = relinked
    to_headoffice(db, old)
    link = everything[len(old)]
    assert link.type == "device.linked"
    out = to_headoffice(db, [link], store="other-store", device="till-2")[0]
    assert (out.status, out.reason) == ("rejected", BAD_LINK)
    assert "another store" in out.detail
    assert to_headoffice(db, [link], device="till-2")[0].status == "stored"


def _linked_cfg(data, **extra):
    return configmod.load(None, environ={"TILLBOX_PATHS__DATA": str(data),
                                         "TILLBOX_SHOP__DEVICE_ID": "till-1",
                                         "TILLBOX_SHOP__STORE_ID": STORE,
                                         "TILLBOX_MQTT__HOST": "mqtt.example.com", **extra},
                          log_warnings=False)


def test_relink_refuses_while_head_office_may_lack_records_unless_forced(shop, tmp_path):
    shop.sale(TEA)
    shop.sale(TEA)
    head = shop.ledger.head()[0]
    shop.ledger.close()
    UplinkState(tmp_path / "uplink").set_acked(2)    # head office acked seq 2 only
    with pytest.raises(RelinkRefused) as refused:
        relink(_linked_cfg(tmp_path), "till-2")
    line = str(refused.value)
    assert f"seq 3 to {head}" in line and "\n" not in line
    assert "tillbox ledger export --from-seq 3" in line and "import-device" in line
    assert "--force" in line
    assert _meta(tmp_path / "ledger.db")[0]["device_id"] == "till-1"   # nothing changed
    summary = relink(_linked_cfg(tmp_path), "till-2", force=True)
    assert summary["predecessor_seq"] == head
    assert UplinkState(tmp_path / "uplink").acked_seq == head


def test_relink_goes_ahead_when_head_office_acked_the_head(shop, tmp_path):
    shop.sale(TEA)
    head = shop.ledger.head()[0]
    shop.ledger.close()
    UplinkState(tmp_path / "uplink").set_acked(head)
    assert relink(_linked_cfg(tmp_path), "till-2")["predecessor_seq"] == head


def test_an_export_that_stops_at_a_hole_says_so_and_is_not_imported_without_allow_hole(
        shop, db, tmp_path):
    for _ in range(3):
        shop.sale(TEA)
    records = shop.ledger.records()
    to_headoffice(db, records[:4] + records[5:])
    head = export_device(db, STORE, "till-1", tmp_path / "f.jsonl")
    with open(tmp_path / "f.jsonl", encoding="utf-8") as fh:
        from appliance.replace.journal_file import read_header
        header = read_header(fh)
    assert header["holes_after"] is True and header["held_to"] == records[-1].seq
    assert head["head_seq"] == 4
    cfg = cfg_for(tmp_path / "new")
    with pytest.raises(ImportRefused, match="beyond a hole") as refused:
        import_journal(cfg, tmp_path / "f.jsonl")
    assert "fork" in str(refused.value) and "--allow-hole" in str(refused.value)
    assert not cfg.ledger_path.exists()
    summary = import_journal(cfg, tmp_path / "f.jsonl", allow_hole=True)
    assert summary["head_seq"] == 4 and summary["holes_after"] is True
