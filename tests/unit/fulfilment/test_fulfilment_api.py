"""The delivery API, head office's online orders (POST /api/v1/device/orders) and the pick
slip they print."""

import pytest

from appliance.printing.documents import document_for


def online(**over):
    args = {"external_ref": "WX-20261126-0001",
            "lines": [{"barcode": "6901234567892", "qty": 2},
                      {"barcode": "2000000000022", "qty": 1, "unit_price": 3500}],
            "customer": {"name": "李四", "phone": "13900139000"},
            "fulfilment": {"kind": "delivery", "recipient": "李四", "phone": "13900139000",
                           "address": "上海市黄浦区南京东路100号", "note": "工作日送"},
            "note": "网店订单"}
    args.update(over)
    return args


def pick_jobs(box):
    with box.ledger.reading() as conn:
        return conn.execute("SELECT id, payload FROM print_jobs WHERE kind = 'report'"
                            " AND payload LIKE '%pick_slip%'").fetchall()


def test_an_online_order_is_made_parked_marked_and_its_pick_slip_queued(web, device):
    r = device.post("/api/v1/device/orders", json=online())
    assert r.status_code == 201, r.get_json()
    out = r.get_json()
    assert out["created"] is True and out["status"] == "parked" and out["detail"]
    order = web.box.orders.get_order(out["order_id"])
    assert [(ln.name, ln.qty, ln.unit_price) for ln in order.lines] == [
        ("西湖龙井", 2, 6800), ("汝窑茶杯", 1, 3500)]
    assert order.customer_phone == "13900139000" and order.terminal == "head_office"
    ful = web.box.fulfilment.get(order.id)
    assert (ful["source"], ful["external_ref"], ful["kind"], ful["status"]) == (
        "head_office", "WX-20261126-0001", "delivery", "pending")
    opened = next(r for r in web.box.ledger.records() if r.type == "order.fulfilment_set")
    assert opened.actor["role"] == "head_office" and opened.actor["staff"] == ""
    assert len(pick_jobs(web.box)) == 1
    # the counter sees it among the parked orders, with the badge data
    cashier = web.as_role("cashier")
    parked = cashier.get("/api/v1/orders?status=parked").get_json()["orders"]
    mine = next(o for o in parked if o["id"] == order.id)
    assert mine["fulfilment"]["source"] == "head_office"


def test_the_same_external_ref_again_answers_the_same_order(web, device):
    first = device.post("/api/v1/device/orders", json=online()).get_json()
    again = device.post("/api/v1/device/orders", json=online())
    assert again.status_code == 200
    assert again.get_json()["order_id"] == first["order_id"]
    assert again.get_json()["created"] is False
    assert len(web.box.orders.list_orders(status="parked")) == 1
    assert len(pick_jobs(web.box)) == 1


def test_a_prepaid_online_order_is_paid_with_its_tender_and_reference(web, device):
    args = online(external_ref="WX-2", paid={"method": "transfer", "amount": 17100,
                                             "reference": "HO-PAY-77"})
    r = device.post("/api/v1/device/orders", json=args)
    assert r.status_code == 201, r.get_json()
    order = web.box.orders.get_order(r.get_json()["order_id"])
    assert order.status == "paid" and order.paid == 17100
    assert [(p.method, p.reference) for p in order.live_payments] == [("transfer", "HO-PAY-77")]


@pytest.mark.parametrize("args, field, words", [
    ({"lines": []}, "lines", "lines"),
    ({"lines": [{"barcode": "0000000000000", "qty": 1}, {"product_id": "nope", "qty": 1}]},
     "lines", "0000000000000, nope"),
    ({"lines": [{"barcode": "6901234567892", "qty": 0}]}, "lines[1].qty", "qty"),
    ({"lines": [{"barcode": "6901234567892", "qty": 1.5}]}, "lines[1].qty", "qty"),
    ({"fulfilment": {"kind": "delivery"}}, "recipient", "recipient"),
    ({"fulfilment": {"kind": "teleport"}}, "kind", "delivery"),
    ({"external_ref": ""}, "external_ref", "external_ref"),
    ({"paid": {"method": "cash", "amount": 100}}, "paid.method", "transfer"),
    ({"paid": {"method": ["transfer"], "amount": 100}}, "paid.method", "transfer"),
    ({"paid": {"method": "credit_note", "amount": 17100, "reference": "ABCD"}}, "paid.method",
     "transfer"),
    ({"paid": {"method": "transfer", "amount": 100, "reference": "x"}}, "paid.amount",
     "171.00"),
    ({"paid": {"method": "transfer", "amount": 17100.0, "reference": "x"}}, "paid.amount",
     "paid.amount"),
])
def test_bad_args_answer_400_naming_the_problem_and_write_nothing(web, device, args, field,
                                                                   words):
    before = len(web.box.ledger.records())
    r = device.post("/api/v1/device/orders", json=online(**args))
    assert r.status_code == 400, r.get_json()
    assert r.get_json()["field"] == field and words in r.get_json()["error"]
    assert len(web.box.ledger.records()) == before


def test_online_orders_need_the_device_token(web):
    staff = web.as_role("owner")
    assert staff.post("/api/v1/device/orders", online()).status_code in (401, 403)


def test_pick_slip_lists_the_items_recipient_and_online_ref(web, device):
    order_id = device.post("/api/v1/device/orders", json=online()).get_json()["order_id"]
    job_id, _payload = pick_jobs(web.box)[0]
    job = web.box.printing.get(job_id)
    assert job["payload"] == {"document": "pick_slip", "order_id": order_id}
    doc = document_for(web.box, job)
    text = "\n".join(ln["text"] for ln in doc["lines"])
    assert "WX-20261126-0001" in text and "上海市黄浦区南京东路100号" in text
    assert "西湖龙井" in text and "x2" in text and "汝窑茶杯 颜色:月白" in text and "x1" in text
    assert "李四" in text and "工作日送" in text
    assert "68.00" not in text   # no prices on a pick slip
    assert doc["cut"] is True


def test_staff_mark_ship_and_reprint_the_slip_over_the_api(web):
    phone = web.as_role("assistant")
    o = phone.post("/api/v1/orders", {}).get_json()
    phone.post(f"/api/v1/orders/{o['id']}/lines", {"barcode": "6901234567892"})
    r = phone.client.put(f"/api/v1/orders/{o['id']}/fulfilment",
                         json={"kind": "delivery", "recipient": "赵六", "phone": "13700137000",
                               "address": "北京市朝阳区"}, headers={"X-CSRF-Token": phone.csrf})
    assert r.status_code == 200 and r.get_json()["status"] == "pending"
    url = f"/api/v1/orders/{o['id']}/fulfilment/status"
    bad = phone.post(url, {"status": "shipped", "carrier": "EMS", "tracking": "EA123456789CN"})
    assert bad.status_code == 409 and "error" in bad.get_json()
    assert phone.post(url, {"status": "packed"}).status_code == 200
    r = phone.post(url, {"status": "shipped", "carrier": "EMS", "tracking": "EA123456789CN"})
    assert r.status_code == 200 and r.get_json()["tracking"] == "EA123456789CN"
    board = phone.get("/api/v1/fulfilment").get_json()
    assert [x["order_id"] for x in board["shipped"]] == [o["id"]]
    assert "顺丰速运" in board["carriers"]
    assert phone.get(f"/api/v1/orders/{o['id']}").get_json()["fulfilment"]["status"] == "shipped"
    assert phone.post(f"/api/v1/orders/{o['id']}/pick-slip", {}).status_code == 201
    assert phone.post("/api/v1/orders/no-such/pick-slip", {}).status_code == 404
    assert phone.post(url, {}).status_code == 400
