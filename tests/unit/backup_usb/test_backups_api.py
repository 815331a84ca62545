"""/api/v1/backups (webui/api/backups.py) and the settings page's Backups section: the list,
"back up now" in the background, the USB status for the counter, the backup passphrase as a
journalled change that never carries the passphrase."""

from __future__ import annotations

import json

from appliance.backup import verify_backup
from appliance.backup.keys import key_info
from appliance.backup.status import write_usb_status
from webui.api.backups import runner

PHRASE = "店里的备份密码-2026"


def _config_changes(box):
    return [r for r in box.ledger.records() if r.type == "config.changed"]


def test_back_up_now_runs_in_the_background_and_the_list_shows_it(web):
    owner = web.as_role("owner")
    r = owner.get("/api/v1/backups")
    assert r.status_code == 200
    body = r.get_json()
    assert body["backups"] == [] and body["last"] is None and body["key"] is None
    assert body["usb"] is None and body["keep"] == web.box.config.backup.keep
    r = owner.post("/api/v1/backups", json={})
    assert r.status_code == 202 and r.get_json()["running"]["running"] is True
    with web.app.app_context():
        runner().join(30)
    body = owner.get("/api/v1/backups").get_json()
    assert body["running"]["running"] is False and body["running"]["ok"] is True
    [b] = body["backups"]
    assert b["encryption"] is None and not b["encrypted"] and b["head_seq"] >= 0
    assert b["file"] == body["running"]["file"] and b["created_at"].endswith("Z")
    assert body["last"]["ok"] and body["last"]["source"] == "page"
    path = web.box.config.data_dir / "backups" / b["file"]
    assert verify_backup(path)["head_seq"] == b["head_seq"]


def test_only_the_owner_sees_and_starts_backups(web):
    for role in ("manager", "cashier"):
        api = web.as_role(role)
        assert api.get("/api/v1/backups").status_code == 403
        assert api.post("/api/v1/backups", json={}).status_code == 403


def test_the_counter_sees_the_usb_state_without_file_details(web):
    cashier = web.as_role("cashier")
    assert cashier.get("/api/v1/backups/usb").get_json() == {"usb": None}
    write_usb_status(web.box.config.data_dir, {
        "state": "writing", "device": "/dev/sda1", "label": "SHOP", "file": "f.tar",
        "size": 10, "percent": 40, "reason": None, "started_at": "x", "finished_at": None})
    usb = cashier.get("/api/v1/backups/usb").get_json()["usb"]
    assert usb["state"] == "writing" and usb["percent"] == 40 and usb["label"] == "SHOP"
    assert "file" not in usb and "device" not in usb and usb["age_seconds"] < 5
    owner = web.as_role("owner").get("/api/v1/backups").get_json()
    assert owner["usb"]["file"] == "f.tar"


def test_setting_the_passphrase_is_journalled_without_the_passphrase(web):
    owner = web.as_role("owner")
    r = owner.client.put("/api/v1/backups/key", json={"passphrase": PHRASE, "confirm": PHRASE},
                         headers={"X-CSRF-Token": owner.csrf})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    fp = body["key"]["fingerprint"]
    assert body["changed"] == {"backup.key": {"from": None, "to": fp}}
    [rec] = _config_changes(web.box)
    assert rec.data == {"changes": {"backup.key": {"from": None, "to": fp}}}
    assert PHRASE not in json.dumps(rec.data) and PHRASE not in json.dumps(body)
    assert key_info(web.box.config.data_dir)["fingerprint"] == fp
    # the next background backup is encrypted to it
    owner.post("/api/v1/backups", json={})
    with web.app.app_context():
        runner().join(30)
    [b] = owner.get("/api/v1/backups").get_json()["backups"]
    assert b["encryption"] == "key"
    r = owner.delete("/api/v1/backups/key")
    assert r.status_code == 200 and r.get_json()["key"] is None
    assert [c.data["changes"]["backup.key"]["to"] for c in _config_changes(web.box)] == [fp, None]


def test_passphrase_mistakes_are_refused_with_the_field(web):
    owner = web.as_role("owner")
    put = lambda body: owner.client.put("/api/v1/backups/key", json=body,  # noqa: E731
                                        headers={"X-CSRF-Token": owner.csrf})
    r = put({"passphrase": "short", "confirm": "short"})
    assert r.status_code == 400 and r.get_json()["field"] == "passphrase"
    r = put({"passphrase": PHRASE, "confirm": PHRASE + "!"})
    assert r.status_code == 400 and r.get_json()["field"] == "confirm"
    r = put({})
    assert r.status_code == 400
    assert _config_changes(web.box) == [] and key_info(web.box.config.data_dir) is None


def test_the_settings_page_renders_the_backups_section(web):
    r = web.as_role("owner").get("/office/settings")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    for needle in ('id="settings-backup"', 'id="bk-now"', 'id="bk-usb"', 'id="bk-key-form"',
                   "js/settings_backup.js", "st_backup_usb_writing"):
        assert needle in html, needle


def test_the_counter_page_carries_the_usb_banner(web):
    html = web.as_role("cashier").get("/counter").get_data(as_text=True)
    assert 'id="usb-backup-state"' in html and "js/usb_banner.js" in html
    assert "st_backup_banner_writing" in html


def test_a_training_session_still_sees_the_real_stick_but_cannot_back_up(web):
    cashier = web.as_role("cashier")
    assert cashier.post("/api/v1/training/session", {"on": True}).status_code == 200
    write_usb_status(web.box.config.data_dir, {
        "state": "done", "device": "/dev/sda1", "label": "SHOP", "file": "f.tar", "size": 1,
        "percent": 100, "reason": None, "started_at": "x", "finished_at": "y"})
    r = cashier.get("/api/v1/backups/usb")
    assert r.status_code == 200 and r.get_json()["usb"]["state"] == "done"
    owner = web.as_role("owner")
    assert owner.post("/api/v1/training/session", {"on": True}).status_code == 200
    assert owner.post("/api/v1/backups", json={}).status_code == 409
