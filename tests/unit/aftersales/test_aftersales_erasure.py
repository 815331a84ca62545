"""Erasing a customer's data (docs/customer-data.md, docs/aftersales.md): their tickets lose
the name, the phone and the words the customer sent, the customer-data lookup and export
show their tickets, and the journal still verifies with projections equal to a replay."""

import sqlite3

from appliance.orders import Actor
from conftest import check_ledger_invariants

NAME, PHONE = "周丽", "13800138000"


def _setup(web):
    box = web.box
    cashier = Actor(web.staff_ids["cashier"], "cashier", "counter")
    sale = box.orders.open_order(cashier, customer_name=NAME, customer_phone=PHONE)
    box.orders.add_line(cashier, sale.id, barcode="6901234567892")
    box.orders.add_payment(cashier, sale.id, "cash", 6800)
    on_order = box.aftersales.open(cashier, kind="repair", summary="壶盖坏了",
                                   order_id=sale.id)
    by_phone = box.aftersales.open(cashier, kind="complaint", summary="服务态度",
                                   customer_name=NAME, customer_phone="138 0013 8000")
    asked = box.aftersales.open_for_customer(sale.id, "return_request",
                                             f"我是{NAME}，电话{PHONE}，想退货")
    other = box.aftersales.open(cashier, kind="complaint", summary="别人的",
                                customer_name="王先生", customer_phone="13900000000")
    return sale, on_order, by_phone, asked, other


def test_lookup_and_export_show_the_tickets(web):
    sale, on_order, by_phone, asked, other = _setup(web)
    manager = web.as_role("manager")
    got = manager.post("/api/v1/customer-data/lookup", {"phone": PHONE}).get_json()
    assert {t["number"] for t in got["tickets"]} == {on_order["number"], by_phone["number"],
                                                     asked["number"]}
    doc = manager.post("/api/v1/customer-data/export", {"phone": PHONE}).get_json()
    assert {t["number"] for t in doc["tickets"]} == {on_order["number"], by_phone["number"],
                                                     asked["number"]}
    assert all("history" in t for t in doc["tickets"])
    assert doc["deliveries"] == [] and doc["feedback"] == []


def test_a_phone_known_only_from_a_ticket_is_found(web):
    cashier = Actor(web.staff_ids["cashier"], "cashier", "counter")
    t = web.box.aftersales.open(cashier, kind="complaint", summary="只打了电话",
                                customer_phone="13700000000")
    got = web.as_role("manager").post("/api/v1/customer-data/lookup",
                                      {"phone": "13700000000"}).get_json()
    assert got["orders"] == 0 and got["tickets"][0]["number"] == t["number"]


def test_erasure_drops_names_phones_and_customer_words_from_tickets(web):
    sale, on_order, by_phone, asked, other = _setup(web)
    manager = web.as_role("manager")
    r = manager.post("/api/v1/customer-data/erase", {"phone": PHONE, "reason": "客户要求"})
    assert r.status_code == 200, r.get_json()
    rec = web.box.ledger.records()[-1]
    assert rec.type == "customer.erased"
    assert set(rec.data["ticket_ids"]) >= {on_order["id"], by_phone["id"], asked["ticket_id"]}
    db = sqlite3.connect(web.box.ledger.path)
    leftovers = []
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        if table == "journal":
            continue
        for row in db.execute(f"SELECT * FROM {table}"):
            text = " ".join(str(v) for v in row)
            leftovers += [f"{table}: {n}" for n in (NAME, PHONE) if n in text]
    db.close()
    assert leftovers == []
    t = web.box.aftersales.get(on_order["id"])
    assert (t["customer_name"], t["customer_phone"], t["summary"]) == ("", "", "壶盖坏了")
    assert web.box.aftersales.get(asked["ticket_id"])["summary"] == ""
    assert web.box.aftersales.get(other["id"])["customer_phone"] == "13900000000"
    check_ledger_invariants(web.box.ledger)
