"""The order flow over /api/v1: phones open and park, the counter settles; amounts are strings."""

TEA = "6901234567892"


def open_with_lines(api, *lines):
    order = api.post("/api/v1/orders", json={"customer_name": "周女士",
                                             "customer_phone": "13800138000"}).get_json()
    for line in lines:
        r = api.post(f"/api/v1/orders/{order['id']}/lines", json=line)
        assert r.status_code == 201, r.get_json()
        order = r.get_json()
    return order


def test_phone_to_counter_flow(web):
    phone = web.as_role("assistant")
    r = phone.post("/api/v1/orders", json={"note": "送人"})
    assert r.status_code == 201
    created = r.get_json()
    assert {"id", "number", "status"} <= set(created) and created["status"] == "open"
    oid = created["id"]
    assert phone.post(f"/api/v1/orders/{oid}/lines", json={"barcode": TEA, "qty": 2}
                      ).status_code == 201
    r = phone.post(f"/api/v1/orders/{oid}/lines", json={"product_id": web.cup.id})
    assert r.status_code == 400 and r.get_json()["field"] == "variant_id"
    white = next(v for v in web.cup.variants if v.spec["颜色"] == "月白")
    order = phone.post(f"/api/v1/orders/{oid}/lines",
                       json={"product_id": web.cup.id, "variant_id": white.id}).get_json()
    assert order["subtotal"] == "175.00" and order["due"] == "175.00"
    assert phone.post(f"/api/v1/orders/{oid}/park").get_json()["status"] == "parked"

    counter = web.as_role("cashier")
    parked = counter.get("/api/v1/orders?status=parked").get_json()["orders"]
    assert [o["id"] for o in parked] == [oid]
    assert counter.post(f"/api/v1/orders/{oid}/recall").get_json()["status"] == "open"
    r = counter.post(f"/api/v1/orders/{oid}/payments",
                     json={"method": "wechat", "amount": "75.00", "reference": "4200009"})
    assert r.status_code == 201 and r.get_json()["completed"] is False
    r = counter.post(f"/api/v1/orders/{oid}/payments", json={"method": "cash", "amount": "200"})
    body = r.get_json()
    assert body["completed"] is True and body["change"] == "100.00"
    assert body["applied"] == "100.00"
    assert body["order"]["status"] == "paid" and body["order"]["receipt_no"] == 1
    assert body["order"]["paid"] == "175.00"


def test_line_edit_and_delete(web):
    api = web.as_role("assistant")
    order = open_with_lines(api, {"barcode": TEA})
    line = order["lines"][0]["id"]
    r = api.patch(f"/api/v1/orders/{order['id']}/lines/{line}", json={"qty": 3})
    assert r.get_json()["lines"][0]["qty"] == 3 and r.get_json()["subtotal"] == "204.00"
    r = api.delete(f"/api/v1/orders/{order['id']}/lines/{line}")
    assert r.status_code == 200 and r.get_json()["lines"] == []


def test_customer_fields_and_version_conflict(web):
    api = web.as_role("assistant")
    order = open_with_lines(api)
    r = api.patch(f"/api/v1/orders/{order['id']}",
                  json={"note": "下午来取", "expected_version": order["version"]})
    assert r.status_code == 200 and r.get_json()["note"] == "下午来取"
    r = api.patch(f"/api/v1/orders/{order['id']}",
                  json={"note": "x", "expected_version": order["version"]})
    assert r.status_code == 409 and "another screen" in r.get_json()["error"]


def test_price_override_with_a_manager_pin(web):
    api = web.as_role("assistant")
    order = open_with_lines(api)
    url = f"/api/v1/orders/{order['id']}/lines"
    r = api.post(url, json={"barcode": TEA, "unit_price": "60.00"})
    assert r.status_code == 403
    r = api.post(url, json={"barcode": TEA, "unit_price": "60.00", "approver_pin": "2001"})
    assert r.status_code == 403  # another assistant's PIN approves nothing
    r = api.post(url, json={"barcode": TEA, "unit_price": "60.00", "approver_pin": "9999"})
    assert r.status_code == 403 and "not recognised" in r.get_json()["error"]
    r = api.post(url, json={"barcode": TEA, "unit_price": "60.00", "approver_pin": "1357"})
    assert r.status_code == 201 and r.get_json()["lines"][0]["unit_price"] == "60.00"
    assert r.get_json()["lines"][0]["price_overridden"] is True


def test_refund_and_cancel(web):
    phone = web.as_role("assistant")
    counter = web.as_role("cashier")
    order = open_with_lines(phone, {"barcode": TEA, "qty": 2})
    counter.post(f"/api/v1/orders/{order['id']}/payments", json={"method": "cash",
                                                                  "amount": "136.00"})
    line = order["lines"][0]["id"]
    r = phone.post(f"/api/v1/orders/{order['id']}/refunds",
                   json={"reason": "x", "lines": [{"line_id": line, "qty": 1}]})
    assert r.status_code == 403
    r = counter.post(f"/api/v1/orders/{order['id']}/refunds",
                     json={"reason": "破损", "lines": [{"line_id": line, "qty": 1}]})
    assert r.status_code == 201
    assert r.get_json()["amount"] == "68.00" and r.get_json()["tenders"][0]["method"] == "cash"
    other = open_with_lines(phone, {"barcode": TEA})
    r = phone.post(f"/api/v1/orders/{other['id']}/cancel", json={})
    assert r.status_code == 400 and r.get_json()["field"] == "reason"
    r = phone.post(f"/api/v1/orders/{other['id']}/cancel", json={"reason": "顾客不要了"})
    assert r.get_json()["status"] == "cancelled"


def test_void_needs_a_manager_pin(web):
    phone = web.as_role("assistant")
    counter = web.as_role("cashier")
    order = open_with_lines(phone, {"barcode": TEA})
    pay = counter.post(f"/api/v1/orders/{order['id']}/payments",
                       json={"method": "card", "amount": "10.00", "reference": "T1"}).get_json()
    url = f"/api/v1/orders/{order['id']}/payments/{pay['payment_id']}/void"
    assert counter.post(url, json={"reason": "wrong card"}).status_code == 403
    r = counter.post(url, json={"reason": "wrong card", "approver_pin": "1357"})
    assert r.status_code == 200 and r.get_json()["paid"] == "0.00"


def test_products_search_barcode_and_categories(web):
    api = web.as_role("assistant")
    found = api.get("/api/v1/products?q=龙井").get_json()["products"]
    assert [p["sku"] for p in found] == ["TEA-1"] and found[0]["price"] == "68.00"
    r = api.get("/api/v1/products/by-barcode/2000000000022").get_json()
    assert r["product"]["sku"] == "CUP-1"
    assert r["variant_id"] == next(v.id for v in web.cup.variants if v.spec["颜色"] == "月白")
    assert r["product"]["variants"][1]["price"] == "39.00"
    assert api.get("/api/v1/products/by-barcode/123").status_code == 404
    cats = api.get("/api/v1/categories").get_json()["categories"]
    assert [c["name"] for c in cats] == ["绿茶"]
    assert api.get("/api/v1/products?limit=0").status_code == 400


def test_bad_input_is_a_400_naming_the_field(web):
    api = web.as_role("cashier")
    order = open_with_lines(api, {"barcode": TEA})
    url = f"/api/v1/orders/{order['id']}"
    cases = [
        (f"{url}/payments", {"method": "cash", "amount": 68}, "amount"),
        (f"{url}/payments", {"method": "cash", "amount": "68.001"}, "amount"),
        (f"{url}/payments", {"method": "bitcoin", "amount": "1"}, "method"),
        (f"{url}/payments", {"amount": "1"}, "method"),
        (f"{url}/lines", {"barcode": TEA, "qty": "2"}, "qty"),
        (f"{url}/lines", {"barcode": TEA, "unit_price": 1.5}, "unit_price"),
        ("/api/v1/orders", {"customer_phone": "not a phone"}, "customer_phone"),
    ]
    for path, body, field in cases:
        r = api.post(path, json=body)
        assert r.status_code == 400, (path, body, r.get_json())
        assert r.get_json()["field"] == field and r.get_json()["error"]
    assert api.get(url).get_json()["paid"] == "0.00"  # nothing was taken


def test_malformed_requests_get_json_errors(web):
    api = web.as_role("cashier")
    r = api.client.post("/api/v1/orders", data="{not json", content_type="application/json",
                        headers={"X-CSRF-Token": api.csrf})
    assert r.status_code == 400 and "JSON" in r.get_json()["error"]
    r = api.post("/api/v1/orders", json=[1, 2])
    assert r.status_code == 400 and "object" in r.get_json()["error"]
    assert api.get("/api/v1/orders/nope").status_code == 404
    assert api.get("/api/v1/nothing-here").get_json()["code"] == "not_found"
    assert api.client.put("/api/v1/orders").status_code == 405
    big = "x" * (300 * 1024)
    r = api.post("/api/v1/orders", json={"note": big})
    assert r.status_code == 413 and "error" in r.get_json()


def test_an_assistant_taking_money_is_refused_and_audited(web, caplog):
    import logging
    api = web.as_role("assistant")
    order = open_with_lines(api, {"barcode": TEA})
    with caplog.at_level(logging.WARNING, logger="audit"):
        r = api.post(f"/api/v1/orders/{order['id']}/payments",
                     json={"method": "cash", "amount": "68.00"})
    assert r.status_code == 403 and "cashier" in r.get_json()["error"]
    assert any(rec.name == "audit" and "refused POST" in rec.getMessage()
               and web.staff_ids["assistant"] in rec.getMessage() for rec in caplog.records)
    assert api.get(f"/api/v1/orders/{order['id']}").get_json()["paid"] == "0.00"


def test_reprint_is_journalled_queued_and_only_for_paid_orders(web):
    phone, counter = web.as_role("assistant"), web.as_role("cashier")
    order = open_with_lines(phone, {"barcode": TEA})
    r = counter.post(f"/api/v1/orders/{order['id']}/reprint")
    assert r.status_code == 409
    counter.post(f"/api/v1/orders/{order['id']}/payments", json={"method": "cash",
                                                                  "amount": "68.00"})
    assert phone.post(f"/api/v1/orders/{order['id']}/reprint").status_code == 403
    r = counter.post(f"/api/v1/orders/{order['id']}/reprint")
    assert r.status_code == 201
    with web.box.ledger.reading() as conn:
        jobs = conn.execute("SELECT kind, payload FROM print_jobs WHERE order_id = ?"
                            " ORDER BY seq", (order["id"],)).fetchall()
    assert [k for k, _ in jobs] == ["receipt", "drawer", "receipt"]
    assert '"reprint"' in jobs[-1][1]
    assert web.box.ledger.records()[-1].type == "receipt.reprinted"


def test_order_qr_encodes_the_order_number(web):
    api = web.as_role("assistant")
    order = open_with_lines(api)
    r = api.get(f"/api/v1/orders/{order['id']}/qr.svg")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert r.get_data().startswith(b"<?xml") and b"<svg" in r.get_data()
    import segno
    assert segno.make(order["number"], error="m").svg_inline(scale=8, border=2) \
        .split("<path")[1][:200] in r.get_data(as_text=True)


def test_find_an_order_by_its_number_and_list_a_day(web):
    api = web.as_role("cashier")
    order = open_with_lines(api, {"barcode": TEA})
    r = api.get(f"/api/v1/orders/by-number/{order['number']}")
    assert r.status_code == 200 and r.get_json()["id"] == order["id"]
    assert api.get("/api/v1/orders/by-number/19990101-0001").status_code == 404
    day = order["number"].split("-")[0]
    listed = api.get(f"/api/v1/orders?day={day}").get_json()["orders"]
    assert [o["id"] for o in listed] == [order["id"]]
    assert api.get("/api/v1/orders?day=2026-11-26").status_code == 400
    assert api.get("/api/v1/orders?status=lost").status_code == 400


def test_errors_come_in_the_language_of_the_screen(web):
    zh, en = web.as_role("assistant", "zh-CN,zh;q=0.9"), web.as_role("assistant", "en-GB")
    for api in (zh, en):
        order = open_with_lines(api)
        r = api.post(f"/api/v1/orders/{order['id']}/lines", json={"barcode": "0000000000000"})
        assert r.status_code == 404
        api.message = r.get_json()["error"]
        r = api.post(f"/api/v1/orders/{order['id']}/lines", json={"barcode": TEA, "qty": 0})
        api.qty_message = r.get_json()["error"]
    assert en.message == "no product has barcode 0000000000000"
    assert "0000000000000" in zh.message and "条码" in zh.message
    assert "qty" in zh.qty_message and zh.qty_message != en.qty_message
    # The CLI and the logs stay English: outside a request nothing is translated.
    from appliance.i18n import _
    assert _("no product has barcode {code}", code="1") == "no product has barcode 1"
