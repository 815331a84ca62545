"""Head office's journal received part by part (cmd/journal.restore): stored durably, parts in
any order and twice, refusals with a clear reason, assembled into the file export-device
writes, verified, and imported by `tillbox ledger import --received`."""

from __future__ import annotations

import json

import pytest

from appliance.headoffice.store import open_store
from appliance.ledger import open_readonly, verify
from appliance.ledger.store import iter_records
from appliance.replace import received, send_history
from appliance.replace.apply import import_received
from appliance.replace.rebuild import ImportRefused
from rebuild_net_rig import (STORE, TEA, BoxOverTheLink, cfg_for, four_sales_sent, part_args,
                             to_headoffice)


@pytest.fixture
def sent(shop, tmp_path, monkeypatch):
    """Four sales at head office, split as send-history splits them, also exported."""
    header, parts = four_sales_sent(shop, tmp_path, monkeypatch, tmp_path / "export.jsonl")
    return header, parts, shop.ledger.head()


def _status(cfg):
    return received.read_status(cfg)


def test_parts_in_any_order_and_twice_make_the_export_file_verified_and_ready(
        sent, tmp_path):
    header, parts, (head_seq, head_hash) = sent
    cfg = cfg_for(tmp_path / "box")
    args = part_args(header, parts)
    order = [args[-1], *args[1:-1], args[1]]          # last first; one part twice
    for a in order:
        out = received.receive_part(cfg, 0, a, background=False)
        assert _status(cfg)["state"] == "receiving"
        assert f"part {a['part']}/{len(parts)}" in out["detail"]
    assert _status(cfg)["received"] == len(parts) - 1
    out = received.receive_part(cfg, 0, args[0], background=False)
    assert "all parts here" in out["detail"]
    st = _status(cfg)
    assert st["state"] == "ready"
    assert (st["records"], st["head_seq"], st["head_hash"]) == (head_seq, head_seq, head_hash)
    path = received.ready_file(cfg)[0]
    # the same bytes as export-device writes, but the time of the export in the header
    mine, theirs = path.read_text().splitlines(), (tmp_path / "export.jsonl").read_text(
        ).splitlines()
    assert mine[1:] == theirs[1:] and json.loads(mine[0])["head_hash"] == head_hash
    # a part repeated after the whole is here changes nothing
    again = received.receive_part(cfg, 0, args[1], background=False)
    assert "here already" in again["detail"] and _status(cfg)["state"] == "ready"


def test_a_part_is_refused_when_the_ledger_is_not_empty(sent, tmp_path):
    header, parts, _ = sent
    cfg = cfg_for(tmp_path / "box")
    with pytest.raises(received.PartRefused, match="already holds 7 records"):
        received.receive_part(cfg, 7, part_args(header, parts)[0], background=False)
    assert not received.rebuild_dir(cfg).exists()


def test_a_part_of_another_device_is_refused_naming_both(sent, tmp_path):
    header, parts, _ = sent
    cfg = cfg_for(tmp_path / "box", device="till-2")
    with pytest.raises(received.PartRefused) as exc:
        received.receive_part(cfg, 0, part_args(header, parts)[1], background=False)
    assert "till-1" in exc.value.message and "till-2" in exc.value.message
    assert not received.rebuild_dir(cfg).exists()


@pytest.mark.parametrize("change, field", [
    (lambda a: a.update(transfer="../x"), "transfer"),
    (lambda a: a.update(part=9, parts=3), "part"),
    (lambda a: a.update(part="1"), "part"),
    (lambda a: a.update(lines=[]), "lines"),
    (lambda a: a.update(lines=[{"seq": 1}]), "lines"),
    (lambda a: a["lines"].pop(1), "lines"),                   # a seq missing inside a part
    (lambda a: a.update(header={"kind": "something else"}), "header"),
])
def test_a_malformed_part_is_refused(sent, tmp_path, change, field):
    header, parts, _ = sent
    cfg = cfg_for(tmp_path / "box")
    args = json.loads(json.dumps(part_args(header, parts)[0]))
    change(args)
    with pytest.raises(received.PartRefused) as exc:
        received.receive_part(cfg, 0, args, background=False)
    assert exc.value.field == field


def test_the_same_part_with_other_records_or_another_count_is_refused(sent, tmp_path):
    header, parts, _ = sent
    cfg = cfg_for(tmp_path / "box")
    args = part_args(header, parts)
    received.receive_part(cfg, 0, args[1], background=False)
    other = {**args[1], "lines": args[2]["lines"]}
    with pytest.raises(received.PartRefused, match="came before with other records"):
        received.receive_part(cfg, 0, other, background=False)
    with pytest.raises(received.PartRefused, match="parts, not"):
        received.receive_part(cfg, 0, {**args[0], "parts": len(parts) + 1},
                              background=False)


def test_a_broken_chain_is_found_when_assembled_and_nothing_stays_ready(sent, tmp_path):
    header, parts, _ = sent
    cfg = cfg_for(tmp_path / "box")
    args = json.loads(json.dumps(part_args(header, parts)))
    args[1]["lines"][0]["data"]["total"] = 1          # a changed record: its hash is wrong
    for a in args:
        received.receive_part(cfg, 0, a, background=False)
    st = _status(cfg)
    assert st["state"] == "bad" and "does not verify" in st["detail"]
    with pytest.raises(received.PartRefused, match="did not verify"):
        received.receive_part(cfg, 0, args[0], background=False)
    with pytest.raises(Exception, match="not here"):
        received.ready_file(cfg)


def test_the_background_check_reaches_ready(sent, tmp_path):
    from conftest import wait_until
    header, parts, _ = sent
    cfg = cfg_for(tmp_path / "box")
    for a in part_args(header, parts):
        received.receive_part(cfg, 0, a)
    wait_until(lambda: _status(cfg)["state"] == "ready", 10, "the check")


def test_rebuild_now_then_import_received_gives_head_office_s_chain(sent, tmp_path):
    header, parts, (head_seq, head_hash) = sent
    cfg = cfg_for(tmp_path / "box")
    with pytest.raises(Exception, match="not here"):
        received.request_rebuild(cfg, "owner-1", 0)
    for a in part_args(header, parts):
        received.receive_part(cfg, 0, a, background=False)
    received.request_rebuild(cfg, "owner-1", 0)
    assert (received.rebuild_dir(cfg) / received.REQUESTED).exists()
    with pytest.raises(Exception, match="asked for already"):
        received.request_rebuild(cfg, "owner-1", 0)
    assert received.claim_request(cfg)["state"] == "applying"
    assert not (received.rebuild_dir(cfg) / received.REQUESTED).exists()
    assert received.claim_request(cfg) is None            # the path unit fires once
    assert import_received(cfg) == 0
    st = _status(cfg)
    assert st["state"] == "done" and st["head_seq"] == head_seq and not st["file"]
    conn = open_readonly(cfg.ledger_path)
    try:
        result = verify(iter_records(conn))
    finally:
        conn.close()
    assert result.ok and (result.head_seq, result.head_hash) == (head_seq, head_hash)
    # a later part (head office sent again) is refused: the ledger is not empty any more
    with pytest.raises(received.PartRefused, match="already holds"):
        received.receive_part(cfg, head_seq, part_args(header, parts, "t-2")[0])


def test_a_failed_import_is_recorded_with_its_reason_and_can_be_tried_again(sent, tmp_path):
    header, parts, _ = sent
    cfg = cfg_for(tmp_path / "box")
    for a in part_args(header, parts):
        received.receive_part(cfg, 0, a, background=False)
    cfg_other = cfg_for(tmp_path / "box", store="other-store")   # the box was set up wrongly
    with pytest.raises(ImportRefused):
        import_received(cfg_other)
    st = _status(cfg)
    assert st["state"] == "failed" and "other-store" in st["detail"]
    assert received.ready_file(cfg)[0].is_file()
    assert import_received(cfg) == 0 and _status(cfg)["state"] == "done"


def test_a_new_box_under_its_first_boot_id_takes_the_old_device_s_journal_and_id(
        sent, tmp_path):
    header, parts, (head_seq, head_hash) = sent
    cfg = cfg_for(tmp_path / "box", device="till-9f3a2b")
    args = [{**a, "take_ids": True} for a in part_args(header, parts)]
    with pytest.raises(received.PartRefused, match="device till-9f3a2b"):
        received.receive_part(cfg, 0, part_args(header, parts)[1], background=False)
    for a in args:
        received.receive_part(cfg, 0, a, background=False)
    st = _status(cfg)
    assert (st["state"], st["device"], st["take_ids"]) == ("ready", "till-1", True)
    assert import_received(cfg) == 0
    from appliance.config import load
    again = load(None, environ={"TILLBOX_PATHS__DATA": str(cfg.data_dir)}, log_warnings=False)
    assert (again.shop.store_id, again.shop.device_id) == (STORE, "till-1")   # setup.toml


def test_another_store_is_refused_even_when_taking_the_ids(sent, tmp_path):
    header, parts, _ = sent
    cfg = cfg_for(tmp_path / "box", device="till-9f3a2b", store="other-store")
    with pytest.raises(received.PartRefused, match="other-store"):
        received.receive_part(cfg, 0, {**part_args(header, parts)[0], "take_ids": True},
                              background=False)


def test_send_history_refuses_a_device_head_office_does_not_hold(tmp_path, capsys):
    from services.headoffice import main
    open_store(f"sqlite://{tmp_path}/ho.db").close()
    code = main(["send-history", "--db", f"sqlite://{tmp_path}/ho.db", "--store", STORE,
                 "--device", "till-7", "--broker", "127.0.0.1:1"])
    err = capsys.readouterr().err
    assert code == 2 and "holds no journal" in err and len(err.strip().splitlines()) == 1
    assert main(["send-history", "--db", f"sqlite://{tmp_path}/ho.db", "--store", STORE,
                 "--device", "till-7", "--wait", "-1"]) == 2


def test_a_request_left_after_a_technician_imported_by_hand_changes_nothing(sent, tmp_path):
    header, parts, _ = sent
    cfg = cfg_for(tmp_path / "box")
    for a in part_args(header, parts):
        received.receive_part(cfg, 0, a, background=False)
    received.request_rebuild(cfg, "owner-1", 0)
    assert import_received(cfg) == 0                   # by hand, before the service ran
    assert not (received.rebuild_dir(cfg) / received.REQUESTED).exists()
    (received.rebuild_dir(cfg) / received.REQUESTED).write_text("{}")   # a late one
    assert received.claim_request(cfg) is None
    assert _status(cfg)["state"] == "done"


def test_send_history_sends_parts_the_box_never_finished_once_more(shop, tmp_path,
                                                                   monkeypatch):
    for _ in range(3):
        shop.sale(TEA)
    db = open_store(f"sqlite://{tmp_path}/ho.db")
    to_headoffice(db, shop.ledger.records())
    monkeypatch.setattr(send_history, "PART_BYTES", 4000)
    cfg = cfg_for(tmp_path / "box")
    link = BoxOverTheLink(cfg, lose={2})
    monkeypatch.setattr(send_history, "Sender", link)
    sent = send_history.send_history(db, None, STORE, "till-1", wait=1)
    n = sent["parts"]
    assert link.sent == [*range(1, n + 1), 2]             # part 2 went twice
    assert sent["answer"][0] == "done" and "all parts here" in sent["answer"][1]
    assert _status(cfg)["state"] == "ready"
    # a box that refuses (it has sold meanwhile): the first refusal, named by part
    other = cfg_for(tmp_path / "box2", device="till-2")
    monkeypatch.setattr(send_history, "Sender", BoxOverTheLink(other))
    with pytest.raises(send_history.SendError, match="refused part 1: rejected: this is the"):
        send_history.send_history(db, None, STORE, "till-1", wait=1)
    db.close()
