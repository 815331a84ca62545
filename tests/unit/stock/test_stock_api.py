"""Stock over /api/v1 (docs/stock.md): levels, history, rules, adjustments, alerts, report,
and the low-stock count the daemons get."""

from stockrig import receive


def adjust(api, product_id, delta, reason="opening_stock", **extra):
    return api.post(f"/api/v1/stock/{product_id}/adjust",
                    json={"delta": delta, "reason": reason, **extra})


def test_levels_show_costs_only_to_those_who_buy(web):
    manager, phone = web.as_role("manager"), web.as_role("assistant")
    r = adjust(manager, web.tea.id, 10)
    assert r.status_code == 200 and r.get_json()["qty"] == 10
    items = {i["product_id"] + i["variant_id"]: i
             for i in phone.get("/api/v1/stock").get_json()["items"]}
    tea = items[web.tea.id]
    assert tea["qty"] == 10 and tea["avg_cost"] is None and tea["value"] is None
    tea = next(i for i in manager.get("/api/v1/stock?q=龙井").get_json()["items"])
    assert tea["value"] == "400.00" and tea["avg_cost"] is None      # catalog cost 40.00
    assert len(items) == 3 and not tea["low"] and not tea["negative"]


def test_a_rule_makes_an_item_low_and_the_alerts_and_printer_say_so(web):
    manager, phone = web.as_role("manager"), web.as_role("assistant")
    adjust(manager, web.tea.id, 3)
    r = phone.client.put(f"/api/v1/stock/{web.tea.id}/rule", json={"low_level": 5},
                         headers={"X-CSRF-Token": phone.csrf})
    assert r.status_code == 403
    r = manager.client.put(f"/api/v1/stock/{web.tea.id}/rule",
                           json={"low_level": 5, "lead_time_days": 3, "pack_qty": 6},
                           headers={"X-CSRF-Token": manager.csrf})
    assert r.status_code == 200 and r.get_json()["low_level"] == 5
    low = phone.get("/api/v1/stock?low=1").get_json()["items"]
    assert [(i["product_id"], i["qty"], i["low_level"], i["low"]) for i in low] \
        == [(web.tea.id, 3, 5, True)]
    alerts = phone.get("/api/v1/stock/alerts").get_json()
    assert alerts["low_stock"] == 1 and alerts["items"][0]["product_id"] == web.tea.id
    assert phone.get(f"/api/v1/stock/{web.tea.id}").get_json()["rule"]["pack_qty"] == 6
    device = web.app.test_client()
    device.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {web.box.device_token}"
    device.environ_base["HTTP_X_TILLBOX_DEVICE"] = "printerd"
    r = device.put("/api/v1/device/printer", json={"ready": True, "online": True})
    assert r.status_code == 200 and r.get_json()["low_stock"] == 1
    assert device.get("/api/v1/device/stock").get_json() == {"low_stock": 1}
    assert phone.get("/api/v1/device/stock").status_code == 401
    r = manager.client.put(f"/api/v1/stock/{web.tea.id}/rule", json={"low_level": "5"},
                           headers={"X-CSRF-Token": manager.csrf})
    assert r.status_code == 400 and r.get_json()["field"] == "low_level"


def test_adjusting_needs_a_manager_and_a_reason(web):
    manager, phone = web.as_role("manager"), web.as_role("assistant")
    assert adjust(phone, web.tea.id, 2).status_code == 403
    r = adjust(manager, web.tea.id, -1, "other")
    assert r.status_code == 400 and r.get_json()["field"] == "note"
    r = adjust(manager, web.tea.id, -1, "sale")
    assert r.status_code == 400 and r.get_json()["field"] == "reason"
    blue = web.cup.variants[0].id
    r = adjust(manager, web.cup.id, -2, "damaged", variant_id=blue, note="cracked")
    assert r.status_code == 200 and r.get_json()["qty"] == -2 and r.get_json()["negative"]
    assert adjust(manager, "p-none", 1).status_code == 404


def test_history_in_chinese_with_order_numbers(web):
    manager = web.as_role("manager", language="zh-CN")
    adjust(manager, web.tea.id, 5, "opening_stock")
    o = manager.post("/api/v1/orders", json={}).get_json()
    manager.post(f"/api/v1/orders/{o['id']}/lines", json={"barcode": "6901234567892"})
    r = manager.post(f"/api/v1/orders/{o['id']}/payments", json={"method": "cash",
                                                                  "amount": "68.00"})
    assert r.status_code in (200, 201), r.get_json()
    moves = manager.get(f"/api/v1/stock/{web.tea.id}/moves").get_json()["moves"]
    assert [(m["reason"], m["reason_label"], m["delta"], m["after"]) for m in moves] == [
        ("sale", "销售", -1, 4), ("opening_stock", "期初库存", 5, 5)]
    assert moves[0]["ref_label"] == o["number"] and moves[1]["staff"] == "manager 张"
    assert manager.get(f"/api/v1/stock/{web.tea.id}/moves?limit=x").status_code == 400
    assert manager.get("/api/v1/stock/p-none/moves").status_code == 404


def test_report_gives_value_and_slow_movers_to_managers(web):
    class Shop:             # stockrig's view of this box
        master, ledger = web.box.master, web.box.ledger
        from appliance.orders import Actor
        manager = Actor(web.staff_ids["manager"], "manager", "counter")
    receive(Shop, web.tea.id, "", 4, 4125)
    manager, phone = web.as_role("manager"), web.as_role("assistant")
    assert phone.get("/api/v1/stock/report").status_code == 403
    report = manager.get("/api/v1/stock/report").get_json()
    assert report["value"] == "165.00" and report["items"] == 1
    assert report["slow_movers"] == []     # a delivery that just came in has had no time
