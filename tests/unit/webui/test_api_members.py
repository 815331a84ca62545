"""Members, points, stored value and promotions over /api/v1 (docs/members-promotions.md)."""

import threading

TEA = "6901234567892"   # 68.00, category 绿茶


def sign_up(api, phone="13800138000", **extra):
    r = api.post("/api/v1/members", json={"name": "周女士", "phone": phone, **extra})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def order_with(api, *lines, member_id=None):
    order = api.post("/api/v1/orders", json={}).get_json()
    for line in lines:
        r = api.post(f"/api/v1/orders/{order['id']}/lines", json=line)
        assert r.status_code == 201, r.get_json()
    if member_id:
        r = api.client.put(f"/api/v1/orders/{order['id']}/member",
                           json={"member_id": member_id}, headers={"X-CSRF-Token": api.csrf})
        assert r.status_code == 200, r.get_json()
        order = r.get_json()
    return api.get(f"/api/v1/orders/{order['id']}").get_json()


def test_sign_up_on_a_phone_then_find_by_phone_and_card(web):
    phone = web.as_role("assistant")
    member = sign_up(phone, card_code="VIP000123", birthday="1990-05-01")
    assert member["points"] == 0 and member["balance"] == "0.00"
    assert phone.get("/api/v1/members/lookup?code=13800138000").get_json()["id"] == member["id"]
    assert phone.get("/api/v1/members/lookup?code=VIP000123").get_json()["id"] == member["id"]
    found = phone.get("/api/v1/members?q=1380013").get_json()["members"]
    assert [m["id"] for m in found] == [member["id"]]
    r = phone.post("/api/v1/members", json={"name": "另一位", "phone": "13800138000"})
    assert r.status_code == 409 and "error" in r.get_json()
    r = phone.post("/api/v1/members", json={"name": "王", "phone": "call me"})
    assert r.status_code == 400 and r.get_json()["field"] == "phone"
    r = phone.post("/api/v1/members", json={"name": "王", "phone": "13900000000",
                                            "birthday": "1990-13-40"})
    assert r.status_code == 400 and r.get_json()["field"] == "birthday"
    assert phone.get("/api/v1/members/lookup?code=13999999999").status_code == 404


def test_an_assistant_may_not_change_a_members_level_or_points(web):
    member = sign_up(web.as_role("assistant"))
    cashier = web.as_role("cashier")
    r = cashier.post(f"/api/v1/members/{member['id']}/points",
                     json={"delta": 100, "reason": "goodwill"})
    assert r.status_code == 403
    manager = web.as_role("manager")
    r = manager.post(f"/api/v1/members/{member['id']}/points",
                     json={"delta": 100, "reason": "goodwill"})
    assert r.status_code == 200 and r.get_json()["points"] == 100
    r = manager.post(f"/api/v1/members/{member['id']}/points",
                     json={"delta": -101, "reason": "typo"})
    assert r.status_code == 409 and "error" in r.get_json()
    detail = manager.get(f"/api/v1/members/{member['id']}").get_json()
    assert [(m["delta"], m["reason"]) for m in detail["moves"]][:1] == [(100, "adjusted")]


def test_top_up_with_bonus_then_pay_split_with_balance_and_cash(web):
    manager = web.as_role("manager")
    r = manager.post("/api/v1/promotions", json={
        "name": "充500送50", "kind": "topup_bonus",
        "tiers": [{"min": "500.00", "bonus": "50.00"}]})
    assert r.status_code == 201, r.get_json()
    member = sign_up(web.as_role("assistant"))
    cashier = web.as_role("cashier")
    r = cashier.post(f"/api/v1/members/{member['id']}/topups",
                     json={"amount": "500.00", "method": "cash", "tendered": "600.00"})
    assert r.status_code == 201, r.get_json()
    top = r.get_json()
    assert (top["bonus"], top["balance"], top["change"]) == ("50.00", "550.00", "100.00")

    order = order_with(cashier, {"barcode": TEA, "qty": 10}, member_id=member["id"])
    assert order["due"] == "680.00" and order["member"]["balance"] == "550.00"
    r = cashier.post(f"/api/v1/orders/{order['id']}/payments",
                     json={"method": "member_balance", "amount": "600.00"})
    assert r.status_code == 400 and "550.00" in r.get_json()["error"]
    r = cashier.post(f"/api/v1/orders/{order['id']}/payments",
                     json={"method": "member_balance", "amount": "550.00"})
    assert r.status_code == 201 and r.get_json()["completed"] is False
    r = cashier.post(f"/api/v1/orders/{order['id']}/payments",
                     json={"method": "cash", "amount": "200.00", "change_to_card": True})
    body = r.get_json()
    assert body["completed"] is True and body["change"] == "0.00"
    after = cashier.get(f"/api/v1/members/{member['id']}").get_json()
    # 70.00 change went on the card; 680 yuan at 1 point per yuan earned 680 points.
    assert after["balance"] == "70.00" and after["points"] == 680
    assert [o["number"] for o in after["orders"]] == [order["number"]]


def test_a_manager_makes_a_threshold_rule_and_the_next_order_uses_it(web):
    manager = web.as_role("manager")
    rule = {"name": "满200减30", "kind": "threshold",
            "tiers": [{"min": "200.00", "off": "30.00"}], "repeat": True}
    cashier = web.as_role("cashier")
    order = order_with(cashier, {"barcode": TEA, "qty": 7})          # 476.00
    r = manager.post("/api/v1/promotions/preview", json={
        "rule": rule, "lines": [{"product_id": web.tea.id, "qty": 7}]})
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["discount"], r.get_json()["total"]) == ("60.00", "416.00")
    assert cashier.get(f"/api/v1/orders/{order['id']}").get_json()["due"] == "476.00"
    r = manager.post("/api/v1/promotions", json=rule)
    assert r.status_code == 201 and r.get_json()["live"] is True
    rule_id = r.get_json()["id"]
    order = cashier.get(f"/api/v1/orders/{order['id']}").get_json()
    assert order["due"] == "416.00"
    assert [(a["label"], a["amount"]) for a in order["adjustments"]] == [("满200减30", "-60.00")]
    r = manager.post(f"/api/v1/promotions/{rule_id}/switch", json={"active": False})
    assert r.status_code == 200 and r.get_json()["live"] is False
    assert cashier.get(f"/api/v1/orders/{order['id']}").get_json()["due"] == "476.00"
    r = manager.post("/api/v1/promotions", json={**rule, "tiers": [{"min": "200",
                                                                    "off": "300"}]})
    assert r.status_code == 400 and r.get_json()["field"] == "tiers[0].off"
    assert web.as_role("assistant").post("/api/v1/promotions", json=rule).status_code == 403


def test_a_coupon_is_refused_when_used_up(web):
    manager = web.as_role("manager")
    r = manager.post("/api/v1/promotions", json={
        "name": "新客券", "kind": "coupon", "codes": ["welcome10"], "amount": "10.00",
        "min_spend": "50.00", "max_uses": 1})
    assert r.status_code == 201, r.get_json()
    cashier = web.as_role("cashier")
    order = order_with(cashier, {"barcode": TEA})
    r = cashier.post(f"/api/v1/orders/{order['id']}/coupons", json={"code": "NOPE99"})
    assert r.status_code == 404 and "error" in r.get_json()
    r = cashier.post(f"/api/v1/orders/{order['id']}/coupons", json={"code": "Welcome10"})
    assert r.status_code == 201 and r.get_json()["due"] == "58.00"
    assert r.get_json()["coupons"] == ["WELCOME10"]
    cashier.post(f"/api/v1/orders/{order['id']}/payments", json={"method": "cash",
                                                                 "amount": "58.00"})
    second = order_with(cashier, {"barcode": TEA})
    r = cashier.post(f"/api/v1/orders/{second['id']}/coupons", json={"code": "WELCOME10"})
    assert r.status_code == 409 and "error" in r.get_json()


def test_two_counters_spending_one_card_at_once_never_overdraw(web):
    member = sign_up(web.as_role("assistant"))
    cashier = web.as_role("cashier")
    cashier.post(f"/api/v1/members/{member['id']}/topups",
                 json={"amount": "100.00", "method": "wechat", "reference": "42000001"})
    orders = [order_with(web.as_role("cashier"), {"barcode": TEA}, member_id=member["id"])
              for _ in range(2)]
    clients = [web.as_role("cashier") for _ in orders]
    statuses = []
    start = threading.Barrier(2)

    def pay(api, order):
        start.wait()
        statuses.append(api.post(f"/api/v1/orders/{order['id']}/payments",
                                 json={"method": "member_balance", "amount": "68.00"}
                                 ).status_code)
    threads = [threading.Thread(target=pay, args=pair) for pair in zip(clients, orders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201, 400]
    assert cashier.get(f"/api/v1/members/{member['id']}").get_json()["balance"] == "32.00"


def test_head_office_rules_replace_only_their_own(web):
    manager = web.as_role("manager")
    shop_rule = manager.post("/api/v1/promotions", json={
        "name": "店庆9折", "kind": "percent_off", "percent": "10"}).get_json()
    token = web.box.device_token
    device = web.app.test_client()
    rules = [{"id": "ho-1", "name": "总部满减", "kind": "threshold",
              "tiers": [{"min": "100.00", "off": "10.00"}]}]
    r = device.post("/api/v1/device/promotions", json={"promotions": rules},
                    headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.get_json()
    ids = {p["id"]: p for p in manager.get("/api/v1/promotions").get_json()["promotions"]}
    assert set(ids) == {shop_rule["id"], "ho-1"} and ids["ho-1"]["source"] == "head_office"
    r = manager.client.put("/api/v1/promotions/ho-1", json={**rules[0], "name": "x"},
                           headers={"X-CSRF-Token": manager.csrf})
    assert r.status_code == 409
    r = device.post("/api/v1/device/promotions", json={"promotions": [
        {"id": "ho-2", "name": "bad", "kind": "threshold", "tiers": []}]},
        headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 400
    r = device.post("/api/v1/device/promotions", json={"promotions": []},
                    headers={"Authorization": f"Bearer {token}"})
    ids = {p["id"] for p in manager.get("/api/v1/promotions").get_json()["promotions"]}
    assert ids == {shop_rule["id"]}


def test_a_retried_top_up_is_answered_once_and_tops_up_once(web):
    member = sign_up(web.as_role("assistant"))
    cashier = web.as_role("cashier")
    body = {"amount": "100.00", "method": "cash", "tendered": "120.00",
            "idempotency_key": "dlg-7f3a"}
    first = cashier.post(f"/api/v1/members/{member['id']}/topups", json=body)
    again = cashier.post(f"/api/v1/members/{member['id']}/topups", json=body)
    assert first.status_code == again.status_code == 201
    assert again.get_json()["topup_id"] == first.get_json()["topup_id"]
    assert again.get_json()["change"] == "20.00"
    assert cashier.get(f"/api/v1/members/{member['id']}").get_json()["balance"] == "100.00"
    r = cashier.post(f"/api/v1/members/{member['id']}/topups", json={**body, "amount": "90.00"})
    assert r.status_code == 409 and "dlg-7f3a" in r.get_json()["error"]
    with web.box.ledger.reading() as conn:   # one drawer kick, for the one cash top-up
        kicks = conn.execute("SELECT COUNT(*) FROM print_jobs WHERE kind = 'drawer'").fetchone()
    assert kicks == (1,)


def test_head_office_rule_ids_are_checked(web):
    device = web.app.test_client()
    device.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {web.box.device_token}"
    for bad in ("", "x" * 65, "has space"):
        r = device.post("/api/v1/device/promotions", json={"promotions": [
            {"id": bad, "name": "总部", "kind": "percent_off", "percent": "5"}]})
        assert r.status_code == 400 and r.get_json()["field"] == "id", bad
