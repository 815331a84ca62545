"""A customer's personal data on request (docs/customer-data.md): looked up, exported and
erased by a manager; after erasure the name, phone and card are nowhere in ledger.db but the
journal, which still verifies, and the projections still equal a replay."""

import sqlite3

import pytest

from appliance.orders import Actor
from appliance.printing.documents import ereceipt_token
from conftest import check_ledger_invariants

NAME, PHONE, CARD = "周丽", "13800138000", "VIP000123"
WALK_IN_NAME = "周丽丽"          # the same person, typed on an order without the member


@pytest.fixture
def customer(web):
    box = web.box
    cashier = Actor(web.staff_ids["cashier"], "cashier", "counter")
    member = box.members.sign_up(cashier, name=NAME, phone=PHONE, card_code=CARD,
                                 birthday="1990-05-01")
    sale = box.orders.open_order(cashier)
    box.orders.set_member(cashier, sale.id, member.id)
    box.orders.add_line(cashier, sale.id, barcode="6901234567892")
    box.orders.add_payment(cashier, sale.id, "cash", 6800)
    walk_in = box.orders.open_order(cashier, customer_name=WALK_IN_NAME, customer_phone=PHONE,
                                    note="送到 幸福路 8 号")
    box.orders.add_line(cashier, walk_in.id, barcode="6901234567892")
    box.orders.add_payment(cashier, walk_in.id, "card", 6800, reference="C1")
    other = box.orders.open_order(cashier, customer_name="王先生", customer_phone="13900000000")
    box.orders.add_line(cashier, other.id, barcode="6901234567892")
    box.orders.add_payment(cashier, other.id, "cash", 6800)
    return {"member": box.members.summary(member.id), "sale": sale, "walk_in": walk_in,
            "other": other}


def personal_data_in_projections(path) -> list[str]:
    """Every table but the journal, every cell, searched for the customer's data."""
    db = sqlite3.connect(path)
    found = []
    tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
              if t != "journal"]
    for table in tables:
        for row in db.execute(f"SELECT * FROM {table}"):
            text = " ".join(str(v) for v in row)
            found += [f"{table}: {needle}" for needle in (NAME, PHONE, CARD, "幸福路")
                      if needle in text]
    db.close()
    return found


def test_a_manager_looks_up_and_exports_everything_about_a_phone(web, customer):
    manager = web.as_role("manager")
    r = manager.post("/api/v1/customer-data/lookup", {"phone": "138 0013 8000"})
    assert r.status_code == 200, r.get_json()
    got = r.get_json()
    assert got["member"]["name"] == NAME and got["member"]["card_code"] == CARD
    assert got["orders"] == 2 and got["names"] == [WALK_IN_NAME]
    r = manager.post("/api/v1/customer-data/export", {"phone": PHONE})
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    doc = r.get_json()
    assert doc["member"]["birthday"] == "1990-05-01" and doc["member"]["balance"] == "0.00"
    assert {o["number"] for o in doc["orders"]} == {customer["sale"].number,
                                                    customer["walk_in"].number}
    assert all(o["lines"][0]["name"] == "西湖龙井" for o in doc["orders"])
    assert [m["reason"] for m in doc["member"]["moves"]] == ["earned"]
    # The export is on the journal, by ids: the record itself carries no personal data.
    [rec] = [r for r in web.box.ledger.records() if r.type == "customer.exported"]
    assert rec.data["member_id"] == customer["member"].id
    assert PHONE not in str(rec.data) and NAME not in str(rec.data)


def test_erasure_leaves_the_data_only_in_the_verifiable_journal(web, customer):
    box = web.box
    before = personal_data_in_projections(box.config.ledger_path)
    assert before, "the test must start with the data in the projections"
    points = customer["member"].points
    assert points > 0
    r = web.as_role("manager").post("/api/v1/customer-data/erase",
                                    {"phone": PHONE, "reason": "顾客书面要求删除"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"member_id": customer["member"].id, "orders": 2,
                            "points_forfeited": points}
    assert personal_data_in_projections(box.config.ledger_path) == []
    [rec] = [r for r in box.ledger.records() if r.type == "customer.erased"]
    assert PHONE not in str(rec.data) and NAME not in str(rec.data)
    check_ledger_invariants(box.ledger)        # verifies, and projections equal a replay
    # Someone else's order keeps its customer; the erased member cannot be brought back.
    assert box.orders.get_order(customer["other"].id).customer_name == "王先生"
    member = box.members.summary(customer["member"].id)
    assert (member.name, member.card_code, member.active, member.points) == ("", None, False, 0)
    r = web.as_role("manager").patch(f"/api/v1/members/{member.id}", {"phone": PHONE})
    assert r.status_code == 409
    # The e-receipt page of the member's sale shows the sale, not the person.
    token = ereceipt_token(box.receipt_key, customer["sale"].id)
    page = web.client().get(f"/r/{token}").get_data(as_text=True)
    assert "西湖龙井" in page and NAME not in page and "8000" not in page
    # Nothing is left to find under that phone.
    r = web.as_role("manager").post("/api/v1/customer-data/lookup", {"phone": PHONE})
    assert r.status_code == 404
    listed = web.as_role("manager").get("/api/v1/members").get_json()["members"]
    assert member.id not in [m["id"] for m in listed]
    # On the owner's audit page, with who did it and why.
    entries = web.as_role("owner").get("/api/v1/audit?kind=customer_data").get_json()
    [erased] = [e for e in entries["entries"] if e["type"] == "customer.erased"]
    assert erased["reason"] == "顾客书面要求删除" and erased["staff_id"] == web.staff_ids["manager"]


def test_erasure_waits_for_the_money_on_the_card_and_for_open_orders(web, customer):
    box = web.box
    cashier = Actor(web.staff_ids["cashier"], "cashier", "counter")
    manager = web.as_role("manager")
    box.members.top_up(cashier, customer["member"].id, 5000, "cash")
    r = manager.post("/api/v1/customer-data/erase", {"phone": PHONE, "reason": "要求删除"})
    assert r.status_code == 409 and "50.00" in r.get_json()["error"]
    box.orders.open_order(cashier, customer_name="周", customer_phone="13700000000")
    r = manager.post("/api/v1/customer-data/erase", {"phone": "13700000000", "reason": "x"})
    assert r.status_code == 409 and r.get_json()["field"] == "phone"
    assert not [r for r in box.ledger.records() if r.type == "customer.erased"]


def test_only_managers_and_clear_errors(web, customer):
    for role in ("assistant", "cashier"):
        r = web.as_role(role).post("/api/v1/customer-data/lookup", {"phone": PHONE})
        assert r.status_code == 403
    manager = web.as_role("manager")
    for body, status, field in (({}, 400, "phone"), ({"phone": 13800138000}, 400, "phone"),
                                ({"phone": "abc"}, 400, "phone"),
                                ({"phone": "13600000000"}, 404, "phone")):
        r = manager.post("/api/v1/customer-data/lookup", body)
        assert r.status_code == status and r.get_json()["field"] == field, r.get_json()
    r = manager.post("/api/v1/customer-data/erase", {"phone": PHONE})
    assert r.status_code == 400 and r.get_json()["field"] == "reason"
