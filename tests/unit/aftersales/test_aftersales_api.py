"""/api/v1 after-sales routes (docs/aftersales.md): tickets through their flow as the roles
allow, the ticket slip queued for the printer, serial numbers captured at the counter and
payment refused without them, a sale found from its serial, and the office pages render."""

import pytest

from appliance.master.catalog import Product
from appliance.printing.documents import document_for


@pytest.fixture
def kettle(web):
    return web.box.master.catalog.save_product(Product(
        id="", sku="KET-1", name="电水壶", category_id=None, unit="台", price=19900,
        cost=12000, barcodes=[], serialised=True))


@pytest.fixture
def paid(web):
    cashier = web.as_role("cashier")
    o = cashier.post("/api/v1/orders", {"customer_name": "周丽",
                                        "customer_phone": "13800138000"}).get_json()
    cashier.post(f"/api/v1/orders/{o['id']}/lines", {"barcode": "6901234567892"})
    r = cashier.post(f"/api/v1/orders/{o['id']}/payments", {"method": "cash", "amount": "68.00"})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["order"]


def test_a_ticket_through_its_flow_over_the_api(web, paid):
    assistant, cashier = web.as_role("assistant"), web.as_role("cashier")
    r = assistant.post("/api/v1/tickets", {"kind": "complaint", "summary": "茶叶受潮",
                                           "order_number": paid["number"]})
    assert r.status_code == 201, r.get_json()
    t = r.get_json()
    assert t["number"].startswith("S") and t["status"] == "open"
    assert t["order_id"] == paid["id"] and t["customer_phone"] == "13800138000"
    assert t["opened_by_name"] == "assistant 张"
    r = assistant.post(f"/api/v1/tickets/{t['id']}/updates", {"status": "in_progress"})
    assert r.status_code == 403
    r = assistant.post(f"/api/v1/tickets/{t['id']}/updates", {"note": "客户明天来"})
    assert r.status_code == 200 and r.get_json()["events"][-1]["note"] == "客户明天来"
    assert cashier.post(f"/api/v1/tickets/{t['id']}/updates",
                        {"status": "in_progress"}).status_code == 200
    r = cashier.post(f"/api/v1/tickets/{t['id']}/updates", {"status": "resolved"})
    assert r.status_code == 400 and r.get_json()["field"] == "note"
    r = cashier.post(f"/api/v1/tickets/{t['id']}/updates", {"status": "resolved",
                                                            "note": "换了一盒"})
    assert r.get_json()["status"] == "resolved"
    r = cashier.post(f"/api/v1/tickets/{t['id']}/updates", {"status": "open", "note": "x"})
    assert r.status_code == 409
    got = assistant.get("/api/v1/tickets?status=resolved").get_json()["tickets"]
    assert [x["number"] for x in got] == [t["number"]]
    assert assistant.get("/api/v1/tickets?q=13800138000").get_json()["tickets"][0]["id"] == t["id"]
    assert assistant.get("/api/v1/tickets?status=bad").status_code == 400
    one = assistant.get(f"/api/v1/tickets/by-number/{t['number']}").get_json()
    assert [e["staff_name"] for e in one["events"]] == ["assistant 张", "assistant 张",
                                                        "cashier 张", "cashier 张"]
    assert assistant.get("/api/v1/tickets/nope").status_code == 404


def test_the_ticket_slip_is_queued_and_carries_no_name(web, paid):
    assistant = web.as_role("assistant")
    web.box.master.settings.set("shop.phone", "0571-88886666")
    t = assistant.post("/api/v1/tickets", {"kind": "repair", "summary": "杯子有裂纹",
                                           "order_id": paid["id"],
                                           "line_id": paid["lines"][0]["id"]}).get_json()
    r = assistant.post(f"/api/v1/tickets/{t['id']}/print")
    assert r.status_code == 201
    job_id = r.get_json()["job_id"]
    with web.box.ledger.reading() as conn:
        kind, payload = conn.execute("SELECT kind, payload FROM print_jobs WHERE id = ?",
                                     (job_id,)).fetchone()
    import json
    doc = document_for(web.box, {"id": job_id, "kind": kind, "payload": json.loads(payload),
                                 "order_id": None})
    text = "\n".join(ln["text"] for ln in doc["lines"])
    assert t["number"] in text and "西湖龙井" in text and "杯子有裂纹" in text
    assert "0571-88886666" in text and "138****8000" in text
    assert "周丽" not in text and "13800138000" not in text
    assert assistant.post("/api/v1/tickets/nope/print").status_code == 404


def test_serials_at_the_counter_and_payment_refused_without_them(web, kettle):
    cashier = web.as_role("cashier")
    o = cashier.post("/api/v1/orders", {}).get_json()
    o = cashier.post(f"/api/v1/orders/{o['id']}/lines", {"product_id": kettle.id,
                                                         "qty": 2}).get_json()
    line = o["lines"][0]["id"]
    got = cashier.get(f"/api/v1/orders/{o['id']}/serials").get_json()
    assert got["lines"] == [{"line_id": line, "name": "电水壶", "spec": "", "qty": 2,
                             "serialised": True, "serials": []}]
    assert [m["line_id"] for m in got["missing"]] == [line]
    r = cashier.post(f"/api/v1/orders/{o['id']}/payments", {"method": "cash",
                                                            "amount": "398.00"})
    assert r.status_code == 400 and "电水壶" in r.get_json()["error"]
    assert r.get_json()["field"] == "serials"
    r = cashier.client.put(f"/api/v1/orders/{o['id']}/lines/{line}/serials",
                           json={"serials": ["k-1", "k-2"]},
                           headers={"X-CSRF-Token": cashier.csrf})
    assert r.status_code == 200 and r.get_json()["serials"] == ["K-1", "K-2"]
    assert r.get_json()["missing"] == []
    r = cashier.post(f"/api/v1/orders/{o['id']}/payments", {"method": "cash",
                                                            "amount": "398.00"})
    assert r.status_code == 201, r.get_json()
    found = cashier.get("/api/v1/serials/k-2").get_json()
    assert found["order_number"] == o["number"] and found["in_warranty"] is True
    assert cashier.get("/api/v1/serials/NOPE-1").status_code == 404
    r = cashier.post("/api/v1/tickets", {"kind": "warranty", "summary": "不加热",
                                         "serial": "K-2"})
    assert r.status_code == 201 and r.get_json()["serial"] == "K-2"


def test_a_product_is_marked_serialised_over_the_api(web):
    manager = web.as_role("manager")
    r = manager.post("/api/v1/products", {"name": "手机", "price": "999.00",
                                          "serialised": True})
    assert r.status_code == 201, r.get_json()
    p = r.get_json()
    assert p["serialised"] is True
    r = manager.patch(f"/api/v1/products/{p['id']}", {"serialised": False})
    assert r.status_code == 200 and r.get_json()["serialised"] is False


def test_the_office_pages_render(web):
    for role, path, marker in (("assistant", "/office/aftersales", 'id="as-list"'),
                               ("manager", "/office/customers", 'id="cu-form"')):
        c = web.as_role(role, language="zh-CN")
        r = c.get(path)
        assert r.status_code == 200, path
        html = r.get_data(as_text=True)
        assert marker in html and "viewport" in html
    assert web.as_role("cashier").get("/office/customers").status_code == 403
