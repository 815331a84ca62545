"""The settings API (docs/api.md): values with descriptions; a change of several settings
is checked all or nothing and journalled as one ``settings.changed`` record with the old and
new values, in the same transaction as the write."""

import logging

import pytest

from appliance.master.settings import SETTINGS_SCHEMA
from appliance.settings_changes import FEN_SETTINGS, change_settings
from appliance.orders import Actor


def _changes(box):
    return [r for r in box.ledger.records() if r.type == "settings.changed"]


def test_get_lists_every_setting_with_its_description_and_unit(web):
    r = web.as_role("cashier").get("/api/v1/settings")
    assert r.status_code == 200
    body = r.get_json()
    assert set(body["settings"]) == set(body["schema"]) == set(SETTINGS_SCHEMA)
    assert body["settings"]["orders.cashier_refund_limit"] == 20000      # fen, an int
    assert body["schema"]["orders.cashier_refund_limit"]["unit"] == "fen"
    assert body["schema"]["shop.name"] == {"type": "text", "default": "Tillbox 演示店",
                                           "description": SETTINGS_SCHEMA["shop.name"].description,
                                           "unit": None}


def test_every_amount_setting_is_marked_fen():
    """A new amount setting must be listed in FEN_SETTINGS (its description says fen)."""
    said_fen = {k for k, s in SETTINGS_SCHEMA.items() if "fen" in s.description}
    assert said_fen == set(FEN_SETTINGS)


def test_a_change_is_one_record_with_from_and_to(web, caplog):
    owner = web.as_role("owner")
    with caplog.at_level(logging.INFO, logger="audit"):
        r = owner.patch("/api/v1/settings", json={"shop.name": "茗香", "shifts.required": True,
                                                  "receipt.width_mm": 80})   # unchanged
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["changed"] == {"shop.name": {"from": "Tillbox 演示店", "to": "茗香"},
                               "shifts.required": {"from": False, "to": True}}
    assert body["settings"]["shop.name"] == "茗香"
    recs = _changes(web.box)
    assert len(recs) == 1 and recs[0].data == {"changes": body["changed"]}
    assert recs[0].actor["staff"] == web.staff_ids["owner"]
    assert web.box.master.settings.get("shifts.required") is True
    assert any("settings changed" in m.getMessage() for m in caplog.records)


def test_nothing_changed_writes_no_record(web):
    r = web.as_role("owner").patch("/api/v1/settings", json={"receipt.width_mm": 80})
    assert r.status_code == 200 and r.get_json()["changed"] == {}
    assert _changes(web.box) == []


@pytest.mark.parametrize("body, field", [
    ({"shop.name": "ok", "receipt.width_mm": 70}, "receipt.width_mm"),
    ({"shop.name": "ok", "no.such": 1}, "no.such"),
    ({"shop.name": "ok", "shifts.over_short_limit": 10.5}, "shifts.over_short_limit"),
    ({"shop.name": "ok", "shifts.required": 1}, "shifts.required"),
])
def test_one_bad_value_refuses_the_whole_change(web, body, field):
    head = web.box.ledger.head()
    r = web.as_role("owner").patch("/api/v1/settings", json=body)
    assert r.status_code == 400
    assert r.get_json()["field"] == field and r.get_json()["error"]
    assert web.box.master.settings.get("shop.name") == "Tillbox 演示店"
    assert web.box.ledger.head() == head


@pytest.mark.parametrize("body", [{}, [], "shop.name"])
def test_a_body_that_is_not_settings_is_400(web, body):
    r = web.as_role("owner").patch("/api/v1/settings", json=body)
    assert r.status_code == 400 and "error" in r.get_json()


def test_only_the_owner_changes_settings(web):
    r = web.as_role("manager").patch("/api/v1/settings", json={"shop.name": "x"})
    assert r.status_code == 403 and r.get_json()["code"] == "forbidden"
    assert web.box.master.settings.get("shop.name") == "Tillbox 演示店"


def test_a_failed_append_puts_the_old_values_back(web, monkeypatch):
    from appliance.ledger.store import Transaction

    def broken(self, *a, **kw):
        raise OSError("disk full")
    monkeypatch.setattr(Transaction, "append", broken)
    with pytest.raises(OSError):
        change_settings(web.box.ledger, web.box.master,
                        Actor(web.staff_ids["owner"], "owner"), {"shop.name": "新名字"})
    assert web.box.master.settings.get("shop.name") == "Tillbox 演示店"
