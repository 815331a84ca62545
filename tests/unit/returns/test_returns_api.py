"""/api/v1 routes of returns, exchanges and credit notes (docs/returns.md)."""

from __future__ import annotations

from appliance.orders import Actor
from conftest import check_ledger_invariants

TEA = "6901234567892"        # 68.00
CUP_BLUE = "2000000000015"   # 35.00


def _sale(web, phone="13912345678", *barcodes):
    box = web.box
    a = Actor(web.staff_ids["cashier"], "cashier", "counter")
    order = box.orders.open_order(a, customer_phone=phone)
    for b in barcodes or (TEA,):
        box.orders.add_line(a, order.id, barcode=b)
    due = box.orders.due(box.orders.get_order(order.id))
    return box.orders.add_payment(a, order.id, "cash", due).order


def test_find_sales_by_phone_answers_decimal_strings(web):
    order = _sale(web)
    c = web.as_role("cashier")
    r = c.get("/api/v1/returns/sales?phone=13912345678")
    assert r.status_code == 200
    [sale] = r.get_json()["sales"]
    assert sale["number"] == order.number and sale["total"] == "68.00"
    assert sale["lines"][0]["returnable_amount"] == "68.00"
    assert c.get("/api/v1/returns/sales").status_code == 400
    assert web.as_role("assistant").get("/api/v1/returns/sales?phone=139").status_code == 403


def test_store_credit_refund_then_credit_note_pays(web):
    order = _sale(web)
    c = web.as_role("cashier")
    r = c.post("/api/v1/returns/refund", json={
        "order_id": order.id, "lines": [{"line_id": order.lines[0].line_id, "qty": 1}],
        "reason": "defective", "store_credit": True})
    assert r.status_code == 201, r.get_json()
    [note] = r.get_json()["refund"]["credit_notes"]
    assert note["amount"] == "68.00"
    got = c.get(f"/api/v1/credit-notes/{note['code']}").get_json()
    assert got["remaining"] == "68.00" and got["order_number"] == order.number
    o = c.post("/api/v1/orders", json={}).get_json()
    c.post(f"/api/v1/orders/{o['id']}/lines", json={"barcode": CUP_BLUE})
    p = c.post(f"/api/v1/orders/{o['id']}/payments",
               json={"method": "credit_note", "amount": "35.00", "reference": note["code"]})
    assert p.status_code == 201, p.get_json()
    assert p.get_json()["completed"] is True
    assert c.get(f"/api/v1/credit-notes/{note['code']}").get_json()["remaining"] == "33.00"
    assert c.get("/api/v1/credit-notes/NOPE").status_code == 404
    check_ledger_invariants(web.box.ledger)


def test_quote_then_exchange_with_payment(web):
    order = _sale(web, "13912345678", CUP_BLUE)
    c = web.as_role("cashier")
    body = {"order_id": order.id, "lines": [{"line_id": order.lines[0].line_id, "qty": 1}],
            "items": [{"barcode": TEA, "qty": 1}]}
    q = c.post("/api/v1/returns/quote", json=body).get_json()
    assert (q["returned"], q["new_total"], q["difference"], q["to_pay"]) == \
        ("35.00", "68.00", "33.00", "33.00")
    r = c.post("/api/v1/returns/exchange", json={
        **body, "reason": "wrong_size", "payments": [{"method": "cash", "amount": "50.00"}]})
    assert r.status_code == 201, r.get_json()
    out = r.get_json()
    assert out["difference"] == "33.00" and out["change"] == "17.00"
    assert out["new"]["status"] == "paid"
    assert out["original"]["refunded"] == "35.00"
    check_ledger_invariants(web.box.ledger)


def test_exchange_over_limit_asks_for_the_manager_pin(web):
    web.box.master.settings.set("orders.cashier_refund_limit", 1000)
    order = _sale(web)
    c = web.as_role("cashier")
    body = {"order_id": order.id, "lines": [{"line_id": order.lines[0].line_id, "qty": 1}],
            "items": [{"barcode": CUP_BLUE}], "reason": "defective"}
    assert c.post("/api/v1/returns/quote", json=body).get_json()["needs_approval"] is True
    r = c.post("/api/v1/returns/exchange", json=body)
    assert r.status_code == 403
    r = c.post("/api/v1/returns/exchange", json={**body, "approver_pin": "1357"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["refund"]["approved_by"] == web.staff_ids["manager"]


def test_bad_bodies_are_4xx(web):
    c = web.as_role("owner")
    for path in ("/api/v1/returns/quote", "/api/v1/returns/refund",
                 "/api/v1/returns/exchange"):
        assert c.post(path, json={}).status_code == 400
        assert c.post(path, json={"order_id": "x", "lines": "all"}).status_code == 400
    order = _sale(web)
    r = c.post("/api/v1/returns/exchange", json={
        "order_id": order.id, "lines": [{"line_id": order.lines[0].line_id, "qty": 1}],
        "items": [{"barcode": "0000"}], "reason": "defective"})
    assert r.status_code == 404


def test_credit_note_slip_is_queued_and_laid_out(web):
    from appliance.printing.documents import REPORT_DOCUMENTS
    from appliance.returns.printout import document
    order = _sale(web)
    c = web.as_role("cashier")
    r = c.post("/api/v1/returns/refund", json={
        "order_id": order.id, "lines": [{"line_id": order.lines[0].line_id, "qty": 1}],
        "reason": "other", "reason_text": "不喜欢", "store_credit": True})
    code = r.get_json()["refund"]["credit_notes"][0]["code"]
    raw = code.replace("-", "")
    with web.box.ledger.reading() as conn:
        [(payload,)] = conn.execute("SELECT payload FROM print_jobs WHERE kind = 'report'"
                                    " AND payload LIKE '%credit_note%'").fetchall()
    assert raw in payload
    assert REPORT_DOCUMENTS["credit_note"] == "appliance.returns.printout:document"
    doc = document(web.box, {"document": "credit_note", "code": raw})
    text = "\n".join(ln["text"] for ln in doc["lines"])
    assert code in text and "68.00" in text and order.number in text
    assert doc["qr"] == raw and doc["cut"] is True
