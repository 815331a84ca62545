"""Refunds and returns: by line and qty, referencing the original, never more than was paid."""

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from appliance.errors import Conflict, Forbidden, ValidationError

TEA = "6901234567892"
CUP_BLUE = "2000000000015"


def test_whole_order_refund_gives_back_every_tender(shop):
    e = shop.engine
    order = e.open_order(shop.assistant)
    e.add_line(shop.assistant, order.id, barcode=TEA, qty=2)
    e.add_payment(shop.cashier, order.id, "card", 8000, reference="T1")
    e.add_payment(shop.cashier, order.id, "cash", 10000)
    refund = e.refund(shop.manager, order.id, reason="wrong tea")
    assert refund.amount == 13600
    assert {t["method"]: t["amount"] for t in refund.tenders} == {"cash": 5600, "card": 8000}
    order = e.get_order(order.id)
    assert order.refunded == 13600 and all(ln.refunded_qty == ln.qty for ln in order.lines)
    with pytest.raises(Conflict, match="fully refunded"):
        e.refund(shop.manager, order.id, reason="again")


def test_refund_more_than_bought_is_refused(shop):
    res = shop.sale(TEA)
    line = res.order.lines[0]
    with pytest.raises(ValidationError, match="only 1"):
        shop.engine.refund(shop.cashier, res.order.id, reason="x", lines=[(line.line_id, 2)])


def test_refund_tenders_cannot_exceed_what_was_paid_that_way(shop):
    res = shop.sale(TEA, method="card", reference="T1")
    with pytest.raises(ValidationError, match="by cash"):
        shop.engine.refund(shop.cashier, res.order.id, reason="x",
                           tenders=[("cash", 6800, "")])
    with pytest.raises(ValidationError, match="add up"):
        shop.engine.refund(shop.cashier, res.order.id, reason="x",
                           tenders=[("card", 100, "R1")])
    r = shop.engine.refund(shop.cashier, res.order.id, reason="x",
                           tenders=[("card", 6800, "R1")])
    assert r.tenders == [{"method": "card", "amount": 6800, "reference": "R1", "points": 0}]


def test_large_refunds_need_a_manager(shop):
    shop.master.settings.set("orders.cashier_refund_limit", 5000)
    res = shop.sale(TEA)
    with pytest.raises(Forbidden, match="manager"):
        shop.engine.refund(shop.cashier, res.order.id, reason="x")
    r = shop.engine.refund(shop.cashier, res.order.id, reason="x", approver=shop.manager)
    assert r.approved_by == "s-manager"


def test_refund_of_unpaid_order_is_refused(shop):
    o = shop.engine.open_order(shop.assistant)
    with pytest.raises(Conflict, match="void"):
        shop.engine.refund(shop.manager, o.id, reason="x")


def test_refund_with_round_off_gives_back_what_was_paid(shop):
    shop.master.settings.set("money.round_off_unit", "1")
    e = shop.engine
    order = e.open_order(shop.assistant)
    order = e.add_line(shop.assistant, order.id, barcode=TEA)           # 68.00
    order = e.add_line(shop.assistant, order.id, product_id=shop.wrap.id)  # 5.00
    lid = order.lines[1].line_id
    order = e.change_line(shop.assistant, order.id, lid, unit_price=555, approver=shop.manager)
    res = e.add_payment(shop.cashier, order.id, "cash", 7300)           # 73.55 -> 73.00
    total_back = 0
    for ln in res.order.lines:
        total_back += e.refund(shop.cashier, order.id, reason="x",
                               lines=[(ln.line_id, 1)]).amount
    assert total_back == 7300


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(qtys=st.lists(st.integers(1, 5), min_size=1, max_size=3), data=st.data(),
       unit=st.sampled_from(["none", "0.1", "1"]))
def test_refunds_in_any_steps_never_exceed_what_was_paid(make_shop, qtys, data, unit):
    shop = make_shop()
    shop.master.settings.set("money.round_off_unit", unit)
    e = shop.engine
    order = e.open_order(shop.assistant)
    products = [(shop.tea.id, None), (shop.cup.id, shop.cup.variants[1].id),
                (shop.wrap.id, None)]
    for (pid, vid), q in zip(products, qtys):
        order = e.add_line(shop.assistant, order.id, product_id=pid, variant_id=vid, qty=q)
    res = e.add_payment(shop.cashier, order.id, "cash", e.due(order) + 33)
    paid = res.order.paid
    refunded = 0
    while True:
        order = e.get_order(order.id)
        open_lines = [ln for ln in order.lines if ln.refunded_qty < ln.qty]
        if not open_lines:
            break
        ln = data.draw(st.sampled_from(open_lines))
        q = data.draw(st.integers(1, ln.qty - ln.refunded_qty))
        refunded += e.refund(shop.manager, order.id, reason="r",
                             lines=[(ln.line_id, q)]).amount
        assert refunded <= paid
    assert refunded == paid
    assert e.get_order(order.id).refunded == paid


def test_splitting_a_large_refund_still_needs_a_manager(shop):
    res = shop.sale((shop.tea.id, None, 5))  # 340.00, cashier limit 200.00
    line = res.order.lines[0].line_id
    shop.engine.refund(shop.cashier, res.order.id, reason="x", lines=[(line, 2)])  # 136.00
    with pytest.raises(Forbidden, match="on one order"):
        shop.engine.refund(shop.cashier, res.order.id, reason="x", lines=[(line, 2)])
    r = shop.engine.refund(shop.cashier, res.order.id, reason="x", lines=[(line, 2)],
                           approver=shop.manager)
    assert r.approved_by == "s-manager"


@pytest.mark.parametrize("kw", [{"lines": [("only-an-id",)]}, {"lines": ["x"]},
                                {"tenders": [("cash", 6800)]}, {"tenders": ["cash"]}])
def test_badly_shaped_refund_requests_are_validation_errors(shop, kw):
    res = shop.sale(TEA)
    with pytest.raises(ValidationError):
        shop.engine.refund(shop.manager, res.order.id, reason="x", **kw)
    assert shop.engine.get_order(res.order.id).refunds == []
