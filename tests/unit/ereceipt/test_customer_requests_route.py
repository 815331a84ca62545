"""POST /api/v1/device/customer-requests: head office's cmd/customer.request, handed over by
uplinkd (docs/ereceipt.md). The box checks the link again with its own key."""

import uuid

import pytest

from appliance.orders import Actor
from appliance.printing.documents import ereceipt_token
from conftest import check_ledger_invariants

PATH = "/api/v1/device/customer-requests"


@pytest.fixture
def paid(web):
    box = web.box
    cashier = Actor(web.staff_ids["cashier"], "cashier", "counter")
    order = box.orders.open_order(cashier)
    box.orders.add_line(cashier, order.id, barcode="6901234567892")
    box.orders.add_payment(cashier, order.id, "cash", 6800)
    return {"order_id": order.id, "token": ereceipt_token(box.receipt_key, order.id)}


def test_feedback_from_head_office_is_recorded(web, device, paid):
    r = device.post(PATH, json={**paid, "kind": "feedback", "rating": 5, "comment": "好"})
    assert r.status_code == 201, r.get_json()
    [rec] = [r for r in web.box.ledger.records() if r.type == "customer.feedback"]
    assert rec.data == {"order_id": paid["order_id"], "rating": 5, "comment": "好",
                        "source": "head_office"}
    assert rec.actor["terminal"] == "head_office" and rec.actor["staff"] is None
    check_ledger_invariants(web.box.ledger)


def test_a_complaint_from_head_office_opens_a_ticket(web, device, paid):
    r = device.post(PATH, json={**paid, "kind": "complaint", "comment": "店员态度不好"})
    assert r.status_code == 201, r.get_json()
    number = r.get_json()["ticket"]["number"]
    [ticket] = web.box.aftersales.for_order(paid["order_id"])
    assert ticket["number"] == number and ticket["kind"] == "complaint"
    [rec] = [r for r in web.box.ledger.records() if r.type == "ticket.opened"]
    assert rec.data["source"] == "head_office"


@pytest.mark.parametrize("kind, extra", [("complaint", {}), ("feedback", {"rating": 4})])
def test_a_command_handed_over_twice_is_recorded_once(web, device, paid, kind, extra):
    """uplinkd hands a command to core again after a restart before core answered: the
    command id it adds makes the second hand-over a no-op."""
    body = {**paid, "kind": kind, "comment": "盒子压坏了", "command_id": "c-42", **extra}
    assert device.post(PATH, json=body).status_code == 201
    again = device.post(PATH, json=body)
    assert again.status_code == 200 and again.get_json()["detail"] == "already recorded"
    other = device.post(PATH, json={**body, "command_id": "c-43"})
    assert other.status_code == 201                      # a new command is a new request
    recs = [r for r in web.box.ledger.records()
            if r.type in ("customer.feedback", "ticket.opened")]
    assert [r.data["request_id"] for r in recs] == ["c-42", "c-43"]
    check_ledger_invariants(web.box.ledger)


@pytest.mark.parametrize("change, status, field", [
    ({"token": None}, 400, "token"),
    ({"token": "x.y"}, 404, "token"),
    ({"order_id": "other"}, 400, "order_id"),
    ({"kind": "refund"}, 400, "kind"),
    ({"kind": "feedback", "rating": 0}, 400, "rating"),
    ({"kind": "feedback", "rating": True}, 400, "rating"),
    ({"kind": "feedback", "rating": 3, "comment": "x" * 501}, 400, "comment"),
    ({"kind": "complaint", "comment": ""}, 400, "comment"),
    ({"command_id": 7}, 400, "command_id"),
])
def test_bad_requests_are_refused_with_the_field(web, device, paid, change, status, field):
    body = {**paid, "kind": "feedback", "rating": 4, "comment": "", **change}
    r = device.post(PATH, json=body)
    assert r.status_code == status and r.get_json()["field"] == field, r.get_json()
    assert not [r for r in web.box.ledger.records()
                if r.type in ("customer.feedback", "ticket.opened")]


def test_forged_and_unpaid_links_are_refused(web, device, paid):
    box = web.box
    other = str(uuid.uuid4())
    mac = paid["token"].partition(".")[2]
    r = device.post(PATH, json={"order_id": other, "token": f"{other}.{mac}",
                                "kind": "feedback", "rating": 5})
    assert r.status_code == 404
    cashier = Actor(web.staff_ids["cashier"], "cashier", "counter")
    unpaid = box.orders.open_order(cashier)
    r = device.post(PATH, json={"order_id": unpaid.id,
                                "token": ereceipt_token(box.receipt_key, unpaid.id),
                                "kind": "feedback", "rating": 5})
    assert r.status_code == 404


def test_people_cannot_call_it(web, paid):
    r = web.as_role("owner").post(PATH, {**paid, "kind": "feedback", "rating": 5})
    assert r.status_code == 401
