"""Managers add and edit products from a phone: validated, with specs and counted stock."""


def test_manager_adds_a_product_with_specs_and_stock(web):
    api = web.as_role("manager")
    r = api.post("/api/v1/products", json={
        "name": "文创T恤", "name_en": "Tea T-shirt", "description": "纯棉\n两色",
        "unit": "件", "price": "99.00", "cost": "40.00",
        "variants": [{"spec": {"尺码": "M"}, "barcodes": ["2100000000012"], "stock": 5},
                     {"spec": {"尺码": "L"}, "price": "109.00", "stock": 2}]})
    assert r.status_code == 201, r.get_json()
    p = r.get_json()
    assert p["sku"].startswith("LOCAL-") and p["description"] == "纯棉\n两色"
    assert [(v["spec"]["尺码"], v["price"], v["stock"]) for v in p["variants"]] == \
        [("M", "99.00", 5), ("L", "109.00", 2)]
    found = api.get("/api/v1/products/by-barcode/2100000000012").get_json()
    assert found["product"]["id"] == p["id"]
    # The stock came in as journal records, with a reason.
    adjusted = [rec.data for rec in web.box.ledger.records() if rec.type == "stock.adjusted"]
    assert {(a["delta"], a["reason"]) for a in adjusted} == {(5, "receiving"), (2, "receiving")}


def test_manager_edits_price_and_counts_stock(web):
    api = web.as_role("manager")
    r = api.patch(f"/api/v1/products/{web.tea.id}", json={"price": "72.00", "stock": 9})
    assert r.status_code == 200 and r.get_json()["price"] == "72.00"
    assert r.get_json()["stock"] == 9
    r = api.patch(f"/api/v1/products/{web.tea.id}", json={"stock": 4})
    assert r.get_json()["stock"] == 4
    counted = [rec.data["delta"] for rec in web.box.ledger.records()
               if rec.type == "stock.adjusted" and rec.data["reason"] == "count"]
    assert counted == [9, -5]


def test_removing_a_spec_keeps_it_for_old_orders(web):
    api = web.as_role("manager")
    white = next(v for v in web.cup.variants if v.spec["颜色"] == "月白")
    blue = next(v for v in web.cup.variants if v.spec["颜色"] == "天青")
    r = api.patch(f"/api/v1/products/{web.cup.id}",
                  json={"variants": [{"id": blue.id, "spec": {"颜色": "天青"},
                                      "barcodes": ["2000000000015"]}]})
    assert [v["spec"]["颜色"] for v in r.get_json()["variants"]] == ["天青"]
    kept = web.box.master.catalog.get_product(web.cup.id).variant(white.id)
    assert kept.active is False


def test_product_form_errors_name_the_field(web):
    api = web.as_role("manager")
    cases = [({"price": "68.00"}, "name"), ({"name": "茶", "price": 68}, "price"),
             ({"name": "茶", "price": "1", "barcodes": "6901234567892"}, "barcodes"),
             ({"name": "茶", "price": "1", "barcodes": ["6901234567892"]}, "barcodes"),
             ({"name": "茶", "price": "1", "stock": -1}, "stock"),
             ({"name": "茶", "price": "1", "stock_tracked": "yes"}, "stock_tracked")]
    for body, field in cases:
        r = api.post("/api/v1/products", json=body)
        assert r.status_code == 400, (body, r.get_json())
        assert r.get_json().get("field", "").startswith(field), (body, r.get_json())
    assert web.box.master.catalog.counts()["products"] == 2


def test_assistants_and_cashiers_cannot_edit_products(web):
    for role in ("assistant", "cashier"):
        api = web.as_role(role)
        assert api.post("/api/v1/products", json={"name": "x", "price": "1"}).status_code == 403
        assert api.patch(f"/api/v1/products/{web.tea.id}",
                         json={"price": "1.00"}).status_code == 403
    assert web.box.master.catalog.get_product(web.tea.id).price == 6800
