"""Suppliers, contracts, purchase orders and receiving over /api/v1 (docs/purchasing.md)."""

from datetime import timedelta

TEA = "6901234567892"


def put(api, path, json):
    return api.client.put(path, json=json, headers={"X-CSRF-Token": api.csrf})


def make_supplier(manager):
    r = manager.post("/api/v1/suppliers", json={"name": "杭州茶叶公司", "contact": "王经理",
                                                "phone": "0571-88886666"})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_suppliers_and_contracts(web):
    manager = web.as_role("manager")
    s = make_supplier(manager)
    assert s["active"] is True and s["email"] == ""
    r = put(manager, f"/api/v1/suppliers/{s['id']}", {"email": "wang@example.cn"})
    assert r.status_code == 200 and r.get_json()["email"] == "wang@example.cn"
    r = manager.post("/api/v1/suppliers", json={"name": "x", "email": "nope"})
    assert r.status_code == 400 and r.get_json()["field"] == "email"
    today = web.box.purchasing.today()       # the web box runs on the real clock
    r = manager.post("/api/v1/contracts", json={
        "supplier_id": s["id"], "title": "年度供货", "terms": "月结 30 天",
        "starts_on": (today - timedelta(days=360)).isoformat(),
        "ends_on": (today + timedelta(days=5)).isoformat()})
    assert r.status_code == 201, r.get_json()
    c = r.get_json()
    assert c["remind_days"] is None
    due = manager.get("/api/v1/contracts/due").get_json()["contracts"]
    assert [(d["id"], d["days_left"], d["supplier_name"]) for d in due] == \
        [(c["id"], 5, "杭州茶叶公司")]
    r = put(manager, f"/api/v1/contracts/{c['id']}", {"remind_days": 3})
    assert r.status_code == 200 and manager.get("/api/v1/contracts/due").get_json() == \
        {"contracts": []}
    detail = manager.get(f"/api/v1/suppliers/{s['id']}").get_json()
    assert [x["id"] for x in detail["contracts"]] == [c["id"]]
    assistant = web.as_role("assistant")
    assert [x["name"] for x in assistant.get("/api/v1/suppliers").get_json()["suppliers"]] \
        == ["杭州茶叶公司"]
    assert assistant.post("/api/v1/suppliers", json={"name": "y"}).status_code == 403
    assert assistant.get("/api/v1/contracts/due").status_code == 403


def test_order_then_receive_on_a_phone_in_two_deliveries(web):
    manager = web.as_role("manager")
    s = make_supplier(manager)
    tea, cup = web.tea, web.cup
    r = manager.post("/api/v1/purchase-orders", json={
        "supplier_id": s["id"], "expected_on": "2026-12-01", "lines": [
            {"product_id": tea.id, "qty": 10, "unit_cost": "38.00"},
            {"product_id": cup.id, "variant_id": cup.variants[0].id, "qty": 4,
             "unit_cost": "15.50"}]})
    assert r.status_code == 201, r.get_json()
    po = r.get_json()
    assert po["number"].startswith("PO") and po["number"].endswith("-001")
    assert po["total"] == "442.00" and po["status"] == "open"

    phone = web.as_role("assistant")
    seen = phone.get(f"/api/v1/purchase-orders/{po['id']}").get_json()
    assert seen["total"] is None and seen["lines"][0]["unit_cost"] is None  # no costs
    assert [p["id"] for p in phone.get("/api/v1/purchase-orders?status=open")
            .get_json()["purchase_orders"]] == [po["id"]]
    r = phone.post("/api/v1/receiving", json={"po_id": po["id"],
                                              "lines": [{"barcode": TEA, "qty": 6}]})
    assert r.status_code == 201, r.get_json()
    receipt = r.get_json()
    assert receipt["po_number"] == po["number"] and receipt["lines"][0]["unit_cost"] is None
    assert manager.get(f"/api/v1/receiving/{receipt['id']}").get_json()["total"] == "228.00"
    po = manager.get(f"/api/v1/purchase-orders/{po['id']}").get_json()
    assert po["status"] == "partly_received"
    assert [(ln["received_qty"], ln["outstanding"]) for ln in po["lines"]] == [(6, 4), (0, 4)]

    r = phone.post("/api/v1/receiving", json={"po_id": po["id"], "lines": [
        {"barcode": TEA, "qty": 5}, {"barcode": "2000000000015", "qty": 4}]})
    assert r.status_code == 409 and "1 more than ordered" in r.get_json()["error"]
    r = phone.post("/api/v1/receiving", json={"po_id": po["id"], "over": True, "lines": [
        {"barcode": TEA, "qty": 5}, {"barcode": "2000000000015", "qty": 4}]})
    assert r.status_code == 403
    r = phone.post("/api/v1/receiving", json={"po_id": po["id"], "over": True,
                                              "approver_pin": "1357", "lines": [
        {"barcode": TEA, "qty": 5, "unit_cost": "40.00"}, {"barcode": "2000000000015", "qty": 4}]})
    assert r.status_code == 201, r.get_json()
    po = manager.get(f"/api/v1/purchase-orders/{po['id']}").get_json()
    assert po["status"] == "received" and len(po["receipts"]) == 2
    with web.box.ledger.reading() as conn:
        avg = conn.execute("SELECT qty, avg_cost FROM stock_levels WHERE product_id = ?",
                           (tea.id,)).fetchone()
    assert avg == (11, 3891)          # (6 x 38 + 5 x 40) / 11 = 38.909.. -> 38.91

    r = manager.post(f"/api/v1/purchase-orders/{po['id']}/cancel", json={"reason": "x"})
    assert r.status_code == 409
    assert phone.post("/api/v1/purchase-orders", json={"supplier_id": s["id"], "lines": [
        {"product_id": tea.id, "qty": 1}]}).status_code == 403


def test_suggestions_and_a_change_before_delivery(web):
    manager = web.as_role("manager")
    s = make_supplier(manager)
    r = manager.get("/api/v1/purchase-orders/suggestions")
    assert r.status_code == 200 and r.get_json() == {"suppliers": []}   # nothing sold yet
    r = manager.post("/api/v1/purchase-orders", json={"supplier_id": s["id"], "lines": [
        {"product_id": web.tea.id, "qty": 1}]})
    po = r.get_json()
    assert po["lines"][0]["unit_cost"] == "40.00"             # the catalog cost
    r = put(manager, f"/api/v1/purchase-orders/{po['id']}", {
        "lines": [{"barcode": TEA, "qty": 3, "unit_cost": "39.00"}], "note": "加急"})
    assert r.status_code == 200 and r.get_json()["total"] == "117.00"
    r = manager.post(f"/api/v1/purchase-orders/{po['id']}/cancel", json={"reason": "下错单"})
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled"
    r = manager.post("/api/v1/receiving", json={"po_id": po["id"],
                                                "lines": [{"barcode": TEA, "qty": 1}]})
    assert r.status_code == 409
    r = manager.post("/api/v1/receiving", json={"lines": [{"barcode": TEA, "qty": 1,
                                                           "unit_cost": 39}]})
    assert r.status_code == 400 and r.get_json()["field"] == "unit_cost"
