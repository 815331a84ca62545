"""Modules switched off in the settings (issue 11; appliance/modules.py, docs/settings.md
"Modules"): the screens hide them, the API refuses new uses with 409, nothing on record is
lost, and switching back on restores everything."""

import pytest

from appliance import modules
from appliance.errors import Conflict

TEA = "6901234567892"   # 68.00


def _switch(web, name, on):
    r = web.as_role("owner").patch("/api/v1/settings", json={"modules." + name: on})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _order(api, member_id=None):
    order = api.post("/api/v1/orders", json={}).get_json()
    assert api.post(f"/api/v1/orders/{order['id']}/lines", json={"barcode": TEA}).status_code == 201
    if member_id:
        r = api.client.put(f"/api/v1/orders/{order['id']}/member", json={"member_id": member_id},
                           headers={"X-CSRF-Token": api.csrf})
        assert r.status_code == 200, r.get_json()
    return order["id"]


def _refused(r, name):
    assert r.status_code == 409, (r.status_code, r.get_json())
    body = r.get_json()
    assert body["code"] == "module_off" and body["module"] == name
    return body["error"]


def test_every_module_is_on_by_default_and_one_switch_is_one_record(web):
    settings = web.box.master.settings
    assert modules.switches(settings) == {name: True for name in modules.MODULES}
    before = len([r for r in web.box.ledger.records() if r.type == "settings.changed"])
    body = _switch(web, "stocktake", False)
    assert body["changed"] == {"modules.stocktake": {"from": True, "to": False}}
    after = [r for r in web.box.ledger.records() if r.type == "settings.changed"]
    assert len(after) == before + 1
    assert not modules.enabled(settings, "stocktake") and modules.enabled(settings, "members")
    with pytest.raises(Conflict):
        modules.require(settings, "stocktake")
    with pytest.raises(KeyError):
        modules.enabled(settings, "karaoke")
    r = web.as_role("owner").patch("/api/v1/settings", json={"modules.members": "no"})
    assert r.status_code == 400 and r.get_json()["field"] == "modules.members"


def test_members_off_hides_them_refuses_new_uses_and_keeps_balances(web):
    assistant, cashier = web.as_role("assistant"), web.as_role("cashier")
    member = assistant.post("/api/v1/members", json={"name": "周女士", "phone": "13800138000"})
    member = member.get_json()
    order_id = _order(cashier, member["id"])

    _switch(web, "members", False)
    counter = cashier.get("/counter").get_data(as_text=True)
    assert "module-off-members" in counter.split("<body", 1)[1].split(">", 1)[0]
    assert 'data-module="members" href="/phone#members"' in counter
    assert 'id="d-member" data-module="members"' in counter
    phone = assistant.get("/phone").get_data(as_text=True)
    assert 'data-tab="members" data-module="members"' in phone
    assert "module-off-members" in phone.split("<body", 1)[1].split(">", 1)[0]

    message = _refused(assistant.post("/api/v1/members", json={"name": "王", "phone":
                                                               "13900000000"}), "members")
    assert message == "Members is switched off in the settings"
    zh = web.as_role("assistant", language="zh-CN")
    assert "会员" in _refused(zh.post("/api/v1/members", json={"name": "王"}), "members")
    _refused(cashier.post(f"/api/v1/members/{member['id']}/topups",
                          json={"amount": "10.00", "method": "cash"}), "members")
    second = _order(cashier)
    _refused(cashier.client.put(f"/api/v1/orders/{second}/member",
                                json={"member_id": member["id"]},
                                headers={"X-CSRF-Token": cashier.csrf}), "members")
    _refused(cashier.post(f"/api/v1/orders/{order_id}/payments",
                          json={"method": "member_balance", "amount": "10.00"}), "members")
    _refused(cashier.post(f"/api/v1/orders/{order_id}/payments",
                          json={"method": "cash", "amount": "100.00",
                                "change_to_card": True}), "members")
    # Taking the member off an order and reading balances still work: nothing is stranded.
    r = cashier.client.put(f"/api/v1/orders/{order_id}/member", json={"member_id": None},
                           headers={"X-CSRF-Token": cashier.csrf})
    assert r.status_code == 200 and r.get_json()["member"] is None
    assert cashier.get(f"/api/v1/members/{member['id']}").get_json()["balance"] == "0.00"

    _switch(web, "members", True)
    r = cashier.post(f"/api/v1/members/{member['id']}/topups",
                     json={"amount": "100.00", "method": "cash", "tendered": "100.00"})
    assert r.status_code == 201, r.get_json()
    assert "module-off-members" not in cashier.get("/counter").get_data(as_text=True)
    _order(cashier, member["id"])          # a member on an order again
    r = cashier.client.put(f"/api/v1/orders/{order_id}/member", json={"member_id": member["id"]},
                           headers={"X-CSRF-Token": cashier.csrf})
    assert r.status_code == 200
    r = cashier.post(f"/api/v1/orders/{order_id}/payments",
                     json={"method": "member_balance", "amount": "68.00"})
    assert r.status_code == 201 and r.get_json()["completed"] is True
    assert cashier.get(f"/api/v1/members/{member['id']}").get_json()["balance"] == "32.00"


def test_promotions_off_stops_discounts_and_rule_edits_and_on_brings_them_back(web):
    manager, cashier = web.as_role("manager"), web.as_role("cashier")
    rule = {"name": "满50减10", "kind": "threshold", "tiers": [{"min": "50.00", "off": "10.00"}]}
    assert manager.post("/api/v1/promotions", json=rule).status_code == 201
    order_id = _order(cashier)
    assert cashier.get(f"/api/v1/orders/{order_id}").get_json()["due"] == "58.00"

    _switch(web, "promotions", False)
    assert cashier.get(f"/api/v1/orders/{order_id}").get_json()["due"] == "68.00"
    _refused(manager.post("/api/v1/promotions", json=rule), "promotions")
    _refused(cashier.post(f"/api/v1/orders/{order_id}/coupons", json={"code": "X1"}),
             "promotions")
    assert len(manager.get("/api/v1/promotions").get_json()["promotions"]) == 1  # kept
    counter = cashier.get("/counter").get_data(as_text=True)
    assert 'id="d-coupon-row" data-module="promotions"' in counter
    assert "module-off-promotions" in counter.split("<body", 1)[1].split(">", 1)[0]
    r = cashier.post(f"/api/v1/orders/{order_id}/payments",
                     json={"method": "cash", "amount": "68.00"})
    assert r.status_code == 201 and r.get_json()["order"]["total"] == "68.00"

    _switch(web, "promotions", True)
    assert cashier.get(f"/api/v1/orders/{_order(cashier)}").get_json()["due"] == "58.00"


def test_stocktake_off_refuses_new_counts(web):
    manager = web.as_role("manager")
    _switch(web, "stocktake", False)
    _refused(manager.post("/api/v1/counts", json={"scope": {"all": True}}), "stocktake")
    assert manager.get("/api/v1/counts").status_code == 200          # history stays readable
    phone = manager.get("/phone").get_data(as_text=True)
    assert 'data-tab="count" data-module="stocktake"' in phone
    assert 'id="tab-count" hidden data-module="stocktake"' in phone
    _switch(web, "stocktake", True)
    assert manager.post("/api/v1/counts", json={"scope": {"all": True}}).status_code != 409


def test_delivery_off_refuses_marking_an_order(web):
    cashier = web.as_role("cashier")
    order_id = _order(cashier)
    body = {"kind": "pickup", "recipient": "周女士", "phone": "13800138000"}
    _switch(web, "delivery", False)
    r = cashier.client.put(f"/api/v1/orders/{order_id}/fulfilment", json=body,
                           headers={"X-CSRF-Token": cashier.csrf})
    _refused(r, "delivery")
    assert 'id="d-delivery" data-module="delivery"' in cashier.get("/counter").get_data(
        as_text=True)
    nav = web.as_role("owner").get("/office/settings").get_data(as_text=True)
    assert 'href="/office/deliveries"' not in nav
    _switch(web, "delivery", True)
    r = cashier.client.put(f"/api/v1/orders/{order_id}/fulfilment", json=body,
                           headers={"X-CSRF-Token": cashier.csrf})
    assert r.status_code == 200, r.get_json()
    assert 'href="/office/deliveries"' in web.as_role("owner").get(
        "/office/settings").get_data(as_text=True)


def test_training_off_refuses_starting_it_but_never_leaving_it(web):
    cashier = web.as_role("cashier")
    assert cashier.post("/api/v1/training/session", json={"on": True}).status_code == 200
    _switch(web, "training", False)
    r = cashier.post("/api/v1/training/session", json={"on": False})    # leaving: allowed
    assert r.status_code == 200 and r.get_json() == {"training": False}
    _refused(cashier.post("/api/v1/training/session", json={"on": True}), "training")
    _refused(cashier.post("/api/v1/training/quiz", json={}), "training")
    owner_nav = web.as_role("owner").get("/office/settings").get_data(as_text=True)
    assert 'href="/training"' not in owner_nav
    _switch(web, "training", True)
    assert cashier.post("/api/v1/training/session", json={"on": True}).status_code == 200
    assert 'href="/training"' in web.as_role("owner").get(
        "/office/settings").get_data(as_text=True)


def test_the_settings_page_lists_the_switches(web):
    _switch(web, "promotions", False)
    page = web.as_role("owner").get("/office/settings").get_data(as_text=True)
    section = page[page.index('id="settings-modules"'):]
    for name in modules.MODULES:
        assert f'data-module-switch="{name}"' in section
    assert 'id="st-module-members" data-module-switch="members"' in section
    on = section.split('data-module-switch="members"', 1)[1].split(">", 1)[0]
    off = section.split('data-module-switch="promotions"', 1)[1].split(">", 1)[0]
    assert " checked" in on and " checked" not in off


def test_a_scanned_member_card_is_refused_while_members_are_off(web, device):
    cashier = web.as_role("cashier")
    web.as_role("assistant").post("/api/v1/members", json={
        "name": "周丽", "phone": "13800138000", "card_code": "VIP000001"})
    order = cashier.post("/api/v1/orders", json={}).get_json()
    r = cashier.client.put("/api/v1/till", json={"order_id": order["id"]},
                           headers={"X-CSRF-Token": cashier.csrf})
    assert r.status_code == 200, r.get_json()
    _switch(web, "members", False)
    r = device.post("/api/v1/device/scans", json={"code": "VIP000001"}).get_json()
    assert (r["ok"], r["kind"], r["error"]) == (False, "member", "module_off")
    assert cashier.get(f"/api/v1/orders/{order['id']}").get_json()["member"] is None
    _switch(web, "members", True)
    r = device.post("/api/v1/device/scans", json={"code": "VIP000001"}).get_json()
    assert r["ok"] is True and r["order_id"] == order["id"]


def test_help_hides_the_topics_of_modules_switched_off(web):
    _switch(web, "delivery", False)
    page = web.as_role("cashier").get("/help").get_data(as_text=True)
    assert "module-off-delivery" in page.split("<body", 1)[1].split(">", 1)[0]
    assert '<li data-module="delivery">' in page and '<li data-module="stocktake">' in page
