"""The order lifecycle of ARCHITECTURE section 4, through the engine."""

import pytest

from appliance.errors import Conflict, Forbidden, NotFound, ValidationError
from appliance.orders import Actor

TEA = "6901234567892"
CUP_BLUE = "2000000000015"


def test_order_numbers_are_per_day_and_readable(shop, clock):
    a = shop.engine.open_order(shop.assistant)
    b = shop.engine.open_order(shop.assistant)
    assert a.number == "20261126-0001" and b.number == "20261126-0002"
    clock.advance(days=1)
    assert shop.engine.open_order(shop.assistant).number == "20261127-0001"


def test_business_day_follows_the_shop_time_zone(shop, clock):
    clock.advance(hours=14)  # 16:30 UTC = 00:30 next day in Shanghai
    assert shop.engine.open_order(shop.assistant).number.startswith("20261127-")


def test_open_add_park_recall_and_pay_cash_with_change(shop):
    e = shop.engine
    order = e.open_order(shop.assistant, customer_name="周女士", customer_phone="138 0013 8000",
                         note="送人")
    order = e.add_line(shop.assistant, order.id, barcode=TEA, qty=2)
    order = e.add_line(shop.assistant, order.id, barcode=CUP_BLUE)
    assert [ln.qty for ln in order.lines] == [2, 1]
    assert order.subtotal == 2 * 6800 + 3500
    order = e.park(shop.assistant, order.id)
    assert order.status == "parked"
    assert [o.id for o in e.list_orders(status="parked")] == [order.id]
    with pytest.raises(Conflict, match="recall"):
        e.add_payment(shop.cashier, order.id, "cash", 20000)
    order = e.recall(shop.cashier, order.id)
    res = e.add_payment(shop.cashier, order.id, "cash", 20000)
    assert res.completed and res.applied == 17100 and res.change == 2900
    assert res.order.status == "paid" and res.order.receipt_no == 1
    assert res.order.change_given == 2900


def test_scanning_the_same_item_again_adds_to_its_line(shop):
    e = shop.engine
    order = e.open_order(shop.assistant)
    e.add_line(shop.assistant, order.id, barcode=TEA)
    order = e.add_line(shop.assistant, order.id, barcode=TEA)
    assert len(order.lines) == 1 and order.lines[0].qty == 2


def test_variant_is_required_when_the_product_has_specs(shop):
    e = shop.engine
    order = e.open_order(shop.assistant)
    with pytest.raises(ValidationError, match="choose a spec") as err:
        e.add_line(shop.assistant, order.id, product_id=shop.cup.id)
    assert err.value.field == "variant_id"
    white = next(v for v in shop.cup.variants if v.spec["颜色"] == "月白")
    order = e.add_line(shop.assistant, order.id, product_id=shop.cup.id, variant_id=white.id)
    assert order.lines[0].unit_price == 3900 and "月白" in order.lines[0].spec


def test_unknown_barcode_and_bad_qty_are_clear_errors(shop):
    e = shop.engine
    order = e.open_order(shop.assistant)
    with pytest.raises(NotFound, match="0000000000000"):
        e.add_line(shop.assistant, order.id, barcode="0000000000000")
    for bad in (0, -1, 10000, 1.5, "2", True):
        with pytest.raises(ValidationError):
            e.add_line(shop.assistant, order.id, barcode=TEA, qty=bad)
    assert e.get_order(order.id).lines == []


def test_price_override_needs_a_manager(shop):
    e = shop.engine
    order = e.open_order(shop.assistant)
    with pytest.raises(Forbidden, match="manager"):
        e.add_line(shop.assistant, order.id, barcode=TEA, unit_price=5000)
    order = e.add_line(shop.assistant, order.id, barcode=TEA, unit_price=5000,
                       approver=shop.manager)
    line = order.lines[0]
    assert (line.unit_price, line.list_price, line.override_by) == (5000, 6800, "s-manager")
    with pytest.raises(Forbidden):
        e.change_line(shop.cashier, order.id, line.line_id, unit_price=1)
    # Going back to the list price needs nobody's approval.
    order = e.change_line(shop.assistant, order.id, line.line_id, unit_price=6800)
    assert order.lines[0].override_by is None


def test_change_and_remove_lines(shop):
    e = shop.engine
    order = e.open_order(shop.assistant)
    order = e.add_line(shop.assistant, order.id, barcode=TEA)
    lid = order.lines[0].line_id
    order = e.change_line(shop.assistant, order.id, lid, qty=3)
    assert order.lines[0].qty == 3 and order.subtotal == 20400
    order = e.change_line(shop.assistant, order.id, lid, qty=0)
    assert order.lines == [] and order.subtotal == 0
    with pytest.raises(NotFound):
        e.remove_line(shop.assistant, order.id, lid)


def test_stale_version_is_refused(shop):
    e = shop.engine
    order = e.open_order(shop.assistant)
    v = order.version
    e.add_line(shop.assistant, order.id, barcode=TEA, expected_version=v)
    with pytest.raises(Conflict, match="another screen"):
        e.add_line(shop.assistant, order.id, barcode=TEA, expected_version=v)


def test_split_tenders_and_references(shop):
    e = shop.engine
    order = e.open_order(shop.assistant)
    order = e.add_line(shop.assistant, order.id, barcode=TEA, qty=3)  # 204.00
    with pytest.raises(ValidationError, match="reference"):
        e.add_payment(shop.cashier, order.id, "card", 10000)
    with pytest.raises(ValidationError, match="more than"):
        e.add_payment(shop.cashier, order.id, "wechat", 30000, reference="4200001")
    r1 = e.add_payment(shop.cashier, order.id, "card", 10000, reference="T-889")
    assert not r1.completed and r1.order.total == 20400
    with pytest.raises(Conflict, match="payments"):
        e.add_line(shop.assistant, order.id, barcode=TEA)
    e.add_payment(shop.cashier, order.id, "alipay", 4000, reference="2026112622")
    r3 = e.add_payment(shop.cashier, order.id, "cash", 10000)
    assert r3.completed and r3.applied == 6400 and r3.change == 3600
    assert [p.method for p in r3.order.payments] == ["card", "alipay", "cash"]
    with pytest.raises(Conflict, match="already paid"):
        e.add_payment(shop.cashier, order.id, "cash", 100)


def test_every_tender_kind_settles(shop):
    for method, ref in [("cash", ""), ("card", "T1"), ("transfer", "B1"), ("cheque", "000123"),
                        ("wechat", "W1"), ("alipay", "A1")]:
        res = shop.sale(TEA, method=method, reference=ref)
        assert res.completed and res.order.payments[0].method == method


def test_member_tenders_need_a_member_on_the_order(shop):
    order = shop.engine.open_order(shop.assistant)
    shop.engine.add_line(shop.assistant, order.id, barcode=TEA)
    for method in ("member_balance", "points"):
        with pytest.raises(ValidationError, match="put the member on order"):
            shop.engine.add_payment(shop.cashier, order.id, method, 6800)
    with pytest.raises(ValidationError, match="put the member on order"):
        shop.engine.add_payment(shop.cashier, order.id, "cash", 10000, change_to_card=True)


def test_switched_off_tender_is_refused(shop):
    shop.master.settings.set("tenders.enabled", ["cash"])
    order = shop.engine.open_order(shop.assistant)
    shop.engine.add_line(shop.assistant, order.id, barcode=TEA)
    with pytest.raises(ValidationError, match="switched off"):
        shop.engine.add_payment(shop.cashier, order.id, "card", 6800, reference="x")


def test_assistants_cannot_take_money(shop):
    order = shop.engine.open_order(shop.assistant)
    shop.engine.add_line(shop.assistant, order.id, barcode=TEA)
    with pytest.raises(Forbidden):
        shop.engine.add_payment(shop.assistant, order.id, "cash", 6800)


def test_round_off_applies_to_the_amount_due(shop):
    shop.master.settings.set("money.round_off_unit", "1")
    order = shop.engine.open_order(shop.assistant)
    order = shop.engine.add_line(shop.assistant, order.id, barcode=TEA)
    order = shop.engine.add_line(shop.assistant, order.id, product_id=shop.wrap.id)
    shop.engine.change_line(shop.assistant, order.id, order.lines[0].line_id, unit_price=6850,
                            approver=shop.manager)
    order = shop.engine.get_order(order.id)
    assert shop.engine.due(order) == 7300  # 73.50 rounded down to 73
    res = shop.engine.add_payment(shop.cashier, order.id, "cash", 7300)
    assert res.completed
    o = res.order
    assert (o.subtotal, o.rounding, o.total) == (7350, -50, 7300)
    assert sum(ln.net for ln in o.lines) == 7300
    assert [a["kind"] for a in o.adjustments] == ["rounding"]


def test_idempotent_payment_is_taken_once(shop):
    order = shop.engine.open_order(shop.assistant)
    shop.engine.add_line(shop.assistant, order.id, barcode=TEA)
    r1 = shop.engine.add_payment(shop.cashier, order.id, "cash", 10000, idempotency_key="k1")
    r2 = shop.engine.add_payment(shop.cashier, order.id, "cash", 10000, idempotency_key="k1")
    assert r1.payment_id == r2.payment_id and r2.completed
    assert len(shop.engine.get_order(order.id).payments) == 1


def test_void_payment_unfreezes_the_order(shop):
    e = shop.engine
    order = e.open_order(shop.assistant)
    e.add_line(shop.assistant, order.id, barcode=TEA, qty=2)
    r = e.add_payment(shop.cashier, order.id, "card", 5000, reference="T1")
    with pytest.raises(Conflict, match="void"):
        e.cancel(shop.cashier, order.id, "customer left")
    with pytest.raises(Forbidden, match="manager"):
        e.void_payment(shop.cashier, order.id, r.payment_id, "wrong card")
    order = e.void_payment(shop.cashier, order.id, r.payment_id, "wrong card",
                           approver=shop.manager)
    assert order.paid == 0 and order.total is None and not order.frozen
    order = e.add_line(shop.assistant, order.id, barcode=TEA)
    assert order.lines[0].qty == 3
    order = e.cancel(shop.cashier, order.id, "customer left")
    assert order.status == "cancelled" and order.cancel_reason == "customer left"


def test_cancel_rules(shop):
    e = shop.engine
    mine = e.open_order(shop.assistant)
    other = e.open_order(Actor("s-a2", "assistant", "phone-2"))
    with pytest.raises(ValidationError):
        e.cancel(shop.assistant, mine.id, "  ")
    assert e.cancel(shop.assistant, mine.id, "duplicate").status == "cancelled"
    with pytest.raises(Forbidden):
        e.cancel(shop.assistant, other.id, "not mine")
    paid = shop.sale(TEA).order
    with pytest.raises(Conflict, match="refund"):
        e.cancel(shop.manager, paid.id, "too late")


def test_receipt_numbers_are_gap_free_across_cancellations(shop):
    shop.sale(TEA)
    o = shop.engine.open_order(shop.assistant)
    shop.engine.cancel(shop.assistant, o.id, "oops")
    shop.sale(TEA)
    receipts = [o.receipt_no for o in shop.engine.list_orders(status="paid")]
    assert sorted(receipts) == [1, 2]


def test_stock_moves_with_sales_and_returns(shop):
    e = shop.engine
    e.adjust_stock(shop.manager, shop.tea.id, 10, "receiving")
    res = shop.sale(TEA, TEA, (shop.wrap.id, None, 1))
    assert e.stock_level(shop.tea.id) == 8
    assert e.stock_level(shop.wrap.id) == 0  # not stock-tracked: never moves
    line = next(ln for ln in res.order.lines if ln.product_id == shop.tea.id)
    e.refund(shop.cashier, res.order.id, reason="damaged box", lines=[(line.line_id, 1)])
    assert e.stock_level(shop.tea.id) == 9
    e.refund(shop.cashier, res.order.id, reason="unwanted", lines=[(line.line_id, 1)],
             restock=False)
    assert e.stock_level(shop.tea.id) == 9


def test_negative_stock_refused_when_the_shop_says_so(shop):
    shop.master.settings.set("orders.allow_negative_stock", False)
    e = shop.engine
    e.adjust_stock(shop.manager, shop.tea.id, 1, "receiving")
    order = e.open_order(shop.assistant)
    e.add_line(shop.assistant, order.id, barcode=TEA)
    with pytest.raises(Conflict, match="only 1"):
        e.add_line(shop.assistant, order.id, barcode=TEA)


def test_stock_adjustment_needs_a_manager_and_a_known_reason(shop):
    with pytest.raises(Forbidden):
        shop.engine.adjust_stock(shop.cashier, shop.tea.id, 5, "count")
    with pytest.raises(ValidationError, match="reason must be one of"):
        shop.engine.adjust_stock(shop.manager, shop.tea.id, 5, "found")
    with pytest.raises(ValidationError, match="note"):
        shop.engine.adjust_stock(shop.manager, shop.tea.id, 5, "other")
    assert shop.engine.adjust_stock(shop.manager, shop.tea.id, 5, "other",
                                    note="found behind the shelf") == 5
    assert shop.engine.adjust_stock(shop.manager, shop.tea.id, -1, "damaged") == 4
    with shop.ledger.reading() as conn:
        moves = conn.execute("SELECT delta, after, reason FROM stock_moves WHERE product_id = ?"
                             " ORDER BY seq", (shop.tea.id,)).fetchall()
    assert moves == [(5, 5, "other"), (-1, 4, "damaged")]


def test_customer_phone_is_checked(shop):
    with pytest.raises(ValidationError, match="phone"):
        shop.engine.open_order(shop.assistant, customer_phone="call me")
    o = shop.engine.open_order(shop.assistant)
    o = shop.engine.set_customer(shop.assistant, o.id, customer_name="吴先生", note="VIP")
    assert (o.customer_name, o.note) == ("吴先生", "VIP")


def test_completion_queues_a_receipt_and_a_drawer_kick_for_cash(shop):
    cash = shop.sale(TEA).order
    card = shop.sale(TEA, method="card", reference="T9").order
    with shop.ledger.reading() as conn:
        jobs = conn.execute("SELECT order_id, kind FROM print_jobs ORDER BY seq, kind").fetchall()
    assert (cash.id, "drawer") in jobs and (cash.id, "receipt") in jobs
    assert (card.id, "receipt") in jobs and (card.id, "drawer") not in jobs


def test_order_json_uses_decimal_strings(shop):
    o = shop.sale(TEA, amount=10000).order
    j = o.to_json()
    assert j["total"] == "68.00" and j["paid"] == "68.00" and j["change"] == "32.00"
    assert j["lines"][0]["unit_price"] == "68.00"
    assert j["payments"][0]["tendered"] == "100.00"


def test_idempotency_key_reused_after_a_void_or_for_another_amount_is_a_conflict(shop):
    e = shop.engine
    order = e.open_order(shop.assistant)
    e.add_line(shop.assistant, order.id, barcode=TEA)
    p = e.add_payment(shop.cashier, order.id, "card", 1000, reference="T1", idempotency_key="k")
    with pytest.raises(Conflict, match="already used"):
        e.add_payment(shop.cashier, order.id, "card", 2000, reference="T1", idempotency_key="k")
    e.void_payment(shop.manager, order.id, p.payment_id, "wrong")
    with pytest.raises(Conflict, match="voided"):
        e.add_payment(shop.cashier, order.id, "card", 1000, reference="T1", idempotency_key="k")
    assert e.get_order(order.id).paid == 0


def test_stock_is_checked_before_money_is_taken_so_a_started_sale_completes(shop):
    shop.master.settings.set("orders.allow_negative_stock", False)
    e = shop.engine
    e.adjust_stock(shop.manager, shop.tea.id, 1, "count")
    order = e.open_order(shop.assistant)
    e.add_line(shop.assistant, order.id, barcode=TEA)
    e.add_payment(shop.cashier, order.id, "card", 3000, reference="T1")
    # Another till sells the same last box meanwhile (its first payment comes later, so its
    # own check passes only because this order has not completed yet).
    other = e.open_order(shop.assistant)
    e.add_line(shop.assistant, other.id, barcode=TEA)
    e.add_payment(shop.cashier, other.id, "cash", 6800)
    res = e.add_payment(shop.cashier, order.id, "card", 3800, reference="T2")
    assert res.completed  # the customer who already paid by card gets the goods
    assert e.stock_level(shop.tea.id) == -1  # shown, not hidden, for the owner to resolve


def test_order_numbers_follow_journal_time_when_the_clock_falls_behind(shop, clock):
    shop.engine.open_order(shop.assistant)
    clock.advance(days=-20000)  # a Pi booted without NTP thinks it is the 1970s
    assert shop.engine.open_order(shop.assistant).number == "20261126-0002"
    assert shop.engine.today() == "20261126"
