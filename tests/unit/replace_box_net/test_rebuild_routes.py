"""The routes of a rebuild over the network: uplinkd's POST /device/journal-restore (one part,
stored; the check in the background), the owner's GET/POST /rebuild; and uplinkd telling head
office "rejected" when core refuses a part."""

from __future__ import annotations

from appliance.ledger import Ledger
from appliance.replace import journal_file, received
from appliance.uplink import contract
from conftest import wait_until


def _parts(cfg, n=3):
    """A small journal of this box's store and device, in one-record parts."""
    led = Ledger(cfg.data_dir.parent / "other.db", device_id=cfg.shop.device_id,
                 store_id=cfg.shop.store_id)
    try:
        with led.transaction() as tx:
            for i in range(n):
                tx.append("note.test", {"staff": "", "role": "owner", "device": "x"},
                          {"n": i})
        recs = led.records()
        seq, h = led.head()
    finally:
        led.close()
    header = journal_file.header(cfg.shop.store_id, cfg.shop.device_id, 1, seq, h,
                                 "2026-11-27T00:00:00Z")
    return [{"transfer": "tr-1", "part": i + 1, "parts": n, "header": header,
             "lines": [r.to_dict()]} for i, r in enumerate(recs)], seq


def test_parts_through_the_device_route_become_ready_for_the_owner(web, device):
    device.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"   # uplinkd sends none: zh-CN
    cfg = web.box.config
    parts, head = _parts(cfg)
    owner = web.as_role("owner")
    assert owner.get("/api/v1/rebuild").json["rebuild"] is None
    for args in parts:
        r = device.post("/api/v1/device/journal-restore", json=args)
        assert r.status_code == 200, r.json
        assert f"part {args['part']}/3" in r.json["detail"]
    wait_until(lambda: owner.get("/api/v1/rebuild").json["rebuild"]["state"] == "ready", 10,
               "ready")
    got = owner.get("/api/v1/rebuild").json
    assert got["rebuild"]["records"] == head and got["ledger_records"] == 0
    assert "file" not in got["rebuild"]
    assert web.as_role("manager").get("/api/v1/rebuild").status_code == 403
    assert web.as_role("manager").post("/api/v1/rebuild", json={}).status_code == 403
    r = owner.post("/api/v1/rebuild", json={})
    assert r.status_code == 202 and r.json["rebuild"]["state"] == "requested"
    assert (received.rebuild_dir(cfg) / received.REQUESTED).is_file()
    assert owner.post("/api/v1/rebuild", json={}).status_code == 400   # asked already
    # while it is being applied, head office's parts wait
    r = device.post("/api/v1/device/journal-restore", json={**parts[0], "transfer": "tr-2"})
    assert r.status_code == 400 and "being applied" in r.json["error"]


def test_the_owner_cannot_ask_before_anything_is_here(web):
    r = web.as_role("owner").post("/api/v1/rebuild", json={})
    assert r.status_code == 400


def test_a_part_for_a_box_that_has_sold_is_refused(web, device):
    device.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    cfg = web.box.config
    parts, _ = _parts(cfg)
    cashier = web.as_role("cashier")
    order = cashier.post("/api/v1/orders", json={}).json
    assert web.box.ledger.head()[0] >= 1, order
    r = device.post("/api/v1/device/journal-restore", json=parts[0])
    assert r.status_code == 400 and "empty ledger" in r.json["error"]
    assert device.post("/api/v1/device/journal-restore", json={}).status_code == 400


def test_uplinkd_acks_a_part_core_refuses_as_rejected(tmp_path):
    from appliance.config import load
    from services.daemon import Daemon
    from services.uplinkd import Uplink

    class Core:
        def call(self, method, path, body=None, timeout=5.0):
            assert (method, path) == ("POST", "/device/journal-restore")
            return 400, {"error": "this box's ledger already holds 3 records"}

    class Client:
        def __init__(self):
            self.sent = []

        def publish(self, topic, payload, qos=0, retain=False):
            self.sent.append((topic, contract.decode(payload)))

    cfg_path = tmp_path / "t.toml"
    cfg_path.write_text('[paths]\ndata = "d"\n', encoding="utf-8")
    up = Uplink(load(cfg_path, environ={}), Core(), Daemon("uplinkd-test"))
    up.client = Client()
    up.on_command("journal.restore", {"id": "c-1", "expires": "2999-01-01T00:00:00Z",
                                      "args": {"transfer": "t"}})
    up.work.put(None)
    up._apply_commands()
    up.handle(up.events.get_nowait())
    acks = [p for t, p in up.client.sent if t.endswith("/cmd_ack")]
    assert [(a["status"], a["detail"]) for a in acks] == [
        ("accepted", ""), ("rejected", "this box's ledger already holds 3 records")]


def test_the_backups_section_carries_the_rebuild_panel_and_its_strings(web):
    page = web.as_role("owner").get("/office/settings")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="rb-panel"' in html and "js/settings_rebuild.js" in html
    assert html.index('id="rb-panel"') < html.index("</section>", html.index(
        'id="settings-backup"'))                      # inside the Backups section
    assert "st_rebuild_ready" in html and "st_rebuild_confirm" in html
