"""Screens in training mode and real screens share one event bus: an event of a training
action is tagged, and each stream passes only its own mode's (plus the devices', which are
shared). Checked over real HTTP with the SSE streams a browser would read."""

import pytest
from conftest import PINS, HttpScreen
from training_helpers import TEA

from loopback import LoopbackServer
from webui.api.training import shown_to


def test_who_sees_which_event():
    real_order = {"id": 1, "event": "order", "data": {"id": "o1"}}
    training_order = {"id": 2, "event": "order", "data": {"id": "o2", "training": True}}
    printer = {"id": 3, "event": "printer", "data": {"state": "ready"}}
    assert shown_to(real_order, False) and not shown_to(real_order, True)
    assert shown_to(training_order, True) and not shown_to(training_order, False)
    assert shown_to(printer, True) and shown_to(printer, False)


@pytest.fixture
def served(web):
    srv = LoopbackServer(web.app, threads=8)
    yield srv.port
    srv.close()


def sale(screen):
    status, order, _ = screen.call("POST", "/api/v1/orders")
    assert status == 201, order
    status, body, _ = screen.call("POST", f"/api/v1/orders/{order['id']}/lines",
                                  {"barcode": TEA})
    assert status in (200, 201), body
    status, body, _ = screen.call("POST", f"/api/v1/orders/{order['id']}/payments",
                                  {"method": "card", "amount": "68.00", "reference": "T1"})
    assert status == 201, body
    return order["id"]


def order_ids(stream):
    return {d.get("id") for kind, d in stream.parsed() if kind == "order"}


def test_training_and_real_screens_do_not_see_each_others_orders(web, served):
    real = HttpScreen(served, PINS["cashier"])
    trainee = HttpScreen(served, PINS["cashier"])
    status, body, _ = trainee.call("POST", "/api/v1/training/session", {"on": True})
    assert status == 200, body
    real_events, training_events = real.events(), trainee.events()
    try:
        practice = sale(trainee)
        training_events.next_event(lambda k, d: k == "order" and d.get("id") == practice)
        sold = sale(real)
        real_events.next_event(lambda k, d: k == "order" and d.get("id") == sold)
        # Events are delivered in order: had the training sale reached the real screen, it
        # would be there before the real one.
        assert practice not in order_ids(real_events)
        again = sale(trainee)
        training_events.next_event(lambda k, d: k == "order" and d.get("id") == again)
        assert sold not in order_ids(training_events)
        assert all(d.get("training") is True for k, d in training_events.parsed()
                   if k in ("order", "print_job"))
        # The printer is the same printer for both.
        device = web.app.test_client()
        r = device.put("/api/v1/device/printer", json={"ready": False, "reason": "paper_out",
                                                        "online": True, "paper_out": True},
                       headers={"Authorization": f"Bearer {web.box.device_token}"})
        assert r.status_code == 200
        for stream in (real_events, training_events):
            stream.next_event(lambda k, d: k == "printer")
    finally:
        real_events.close()
        training_events.close()
