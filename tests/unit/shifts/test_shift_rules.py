"""When a shift may open, close, and take money; and what the X and Z reports refuse."""

import pytest

from appliance.errors import Conflict, Forbidden, ValidationError
from appliance.shifts import UnsettledOrders
from appliance.shifts.guard import ShiftNotOpen

from tilldesk import TEA, Till, counts_for


@pytest.fixture
def till(shop):
    return Till(shop)


def test_one_shift_is_open_at_a_time_and_numbers_count_up(till, shop):
    first = till.desk.open(shop.cashier)
    assert (first.number, first.float) == (1, 50000)    # shifts.default_float
    with pytest.raises(Conflict, match="shift 1 is still open"):
        till.desk.open(shop.manager, 10000)
    till.desk.close(shop.cashier, counts=counts_for(50000))
    second = till.desk.open(shop.cashier, 30000)
    assert (second.number, second.float) == (2, 30000)
    assert till.desk.current().id == second.id


def test_the_float_counted_by_denomination_must_match_a_float_given_too(till, shop):
    with pytest.raises(ValidationError) as exc:
        till.desk.open(shop.cashier, 20000, counts={"10000": 1})
    assert exc.value.field == "float"
    assert till.desk.open(shop.cashier, 20000, counts={"10000": 2}).float == 20000


def test_an_assistant_cannot_open_or_close_a_shift(till, shop):
    with pytest.raises(Forbidden):
        till.desk.open(shop.assistant)
    till.desk.open(shop.cashier)
    with pytest.raises(Forbidden):
        till.desk.close(shop.assistant, counts=counts_for(50000))


def test_close_refuses_an_open_order_until_it_is_parked(till, shop):
    till.desk.open(shop.cashier)
    order = till.order(TEA)                        # on a phone, still open
    with pytest.raises(UnsettledOrders) as exc:
        till.desk.close(shop.cashier, counts=counts_for(50000))
    assert exc.value.numbers == [order.number]
    assert order.number in exc.value.message and exc.value.status == 409
    till.engine.park(shop.assistant, order.id)
    shift = till.desk.close(shop.cashier, counts=counts_for(50000))
    assert shift.status == "closed"
    # A parked order without payments carries over to the next shift.
    till.desk.open(shop.cashier)
    till.engine.recall(shop.cashier, order.id)
    till.pay(till.engine.get_order(order.id), "cash", 6800)
    assert till.desk.close(shop.cashier, counts=counts_for(56800)).over_short == {"cash": 0}


def test_close_refuses_a_part_paid_order_until_it_is_settled(till, shop):
    till.desk.open(shop.cashier)
    order = till.order(TEA)
    till.pay(order, "cash", 5000)                  # 50.00 of 68.00 in the drawer
    with pytest.raises(UnsettledOrders) as exc:
        till.desk.close(shop.cashier, counts=counts_for(55000))
    assert exc.value.to_json()["orders"] == [order.number]
    assert exc.value.to_json()["code"] == "unsettled_orders"
    till.pay(order, "cash", 1800)
    shift = till.desk.close(shop.cashier, counts=counts_for(56800))
    assert shift.over_short == {"cash": 0}


def test_close_accepts_an_order_whose_payment_was_voided_and_then_cancelled(till, shop):
    till.desk.open(shop.cashier)
    order = till.order(TEA)
    paid = till.pay(order, "card", 3000, reference="T-9")
    till.engine.void_payment(shop.manager, order.id, paid.payment_id, "刷错卡")
    till.engine.cancel(shop.cashier, order.id, "顾客不要了")
    shift = till.desk.close(shop.cashier, counts=counts_for(50000), tenders={"card": 0})
    assert shift.expected == {"cash": 50000, "card": 0}


def test_member_balance_and_points_are_not_counted(till, shop):
    till.desk.open(shop.cashier)
    member = till.members.sign_up(shop.assistant, name="周女士", phone="13800138000")
    till.members.top_up(shop.cashier, member.id, 10000, "wechat", reference="W-1")
    order = till.order(TEA)
    till.engine.set_member(shop.assistant, order.id, member.id)
    till.pay(till.engine.get_order(order.id), "member_balance", 6800)
    shift = till.desk.close(shop.cashier, counts=counts_for(50000), tenders={"wechat": 10000})
    assert shift.expected == {"cash": 50000, "wechat": 10000}
    till.desk.open(shop.cashier)
    with pytest.raises(ValidationError) as exc:    # nothing to count for stored value
        till.desk.close(shop.cashier, counts={}, tenders={"member_balance": 0})
    assert exc.value.field == "tenders"


def test_with_shifts_required_no_money_is_taken_without_an_open_shift(till, shop):
    shop.master.settings.set("shifts.required", True)
    order = till.order(TEA)
    with pytest.raises(ShiftNotOpen, match="open a shift first") as exc:
        till.pay(order, "cash", 6800)
    assert exc.value.status == 409
    member = till.members.sign_up(shop.assistant, name="周女士", phone="13800138000")
    with pytest.raises(ShiftNotOpen):
        till.members.top_up(shop.cashier, member.id, 10000, "cash")
    till.desk.open(shop.cashier)
    assert till.pay(order, "cash", 6800).completed
    till.members.top_up(shop.cashier, member.id, 10000, "cash")
    till.desk.close(shop.cashier, counts=counts_for(50000 + 6800 + 10000))
    with pytest.raises(ShiftNotOpen):
        till.pay(till.order(TEA), "card", 6800, reference="T-2")


def test_without_the_setting_money_is_taken_with_no_shift_open(till, shop):
    assert till.pay(till.order(TEA), "cash", 6800).completed


def test_cash_moves_need_an_open_shift_a_reason_and_a_kind(till, shop):
    with pytest.raises(Conflict, match="no shift is open"):
        till.desk.move_cash(shop.cashier, "paid_in", 100, "零钱")
    till.desk.open(shop.cashier)
    with pytest.raises(ValidationError) as exc:
        till.desk.move_cash(shop.cashier, "paid_in", 100, " ")
    assert exc.value.field == "reason"
    with pytest.raises(ValidationError) as exc:
        till.desk.move_cash(shop.cashier, "taken", 100, "零钱")
    assert exc.value.field == "kind"
    with pytest.raises(ValidationError) as exc:
        till.desk.move_cash(shop.cashier, "paid_out", 0, "零钱")
    assert exc.value.field == "amount"
    with pytest.raises(Forbidden):
        till.desk.move_cash(shop.assistant, "paid_out", 100, "零钱")
    till.desk.move_cash(shop.cashier, "paid_out", 100, "零钱")
    [rec] = [r for r in shop.ledger.records() if r.type == "shift.cash_moved"]
    assert rec.data["kind"] == "paid_out" and rec.data["amount"] == 100
    assert [j["kind"] for j in rec.data["print_jobs"]] == ["drawer"]


def test_x_needs_an_open_shift_and_z_needs_none(till, shop):
    with pytest.raises(Conflict):
        till.desk.x_report(shop.manager)
    till.desk.open(shop.cashier)
    with pytest.raises(Forbidden):
        till.desk.x_report(shop.cashier)     # the blind counter reads no X report
    with pytest.raises(Forbidden):
        till.desk.z_report(shop.cashier)
    with pytest.raises(Conflict, match="shift 1 is open"):
        till.desk.z_report(shop.manager)
    x1 = till.desk.x_report(shop.manager)
    x2 = till.desk.x_report(shop.manager)
    assert (x1["number"], x2["number"]) == (1, 2)
    assert x1["first_seq"] == x2["first_seq"] == 1      # the shift's opening record
    assert x2["last_seq"] == x1["last_seq"] + 1          # ... up to the head (x1 itself)
    till.desk.close(shop.cashier, counts=counts_for(50000))
    z = till.desk.z_report(shop.manager)
    assert (z["number"], z["first_seq"]) == (1, 1)
    assert till.desk.z_report(shop.manager)["first_seq"] == z["last_seq"] + 1


def test_the_opening_note_and_the_closing_reason_are_kept_apart(till, shop):
    till.desk.open(shop.cashier, 10000, note="早班 张三 (钥匙在抽屉)")
    closed = till.desk.close(shop.cashier, counts=counts_for(10000 - 2000),
                             approver=shop.manager, reason="少了一张二十")
    assert (closed.note, closed.close_reason) == ("早班 张三 (钥匙在抽屉)", "少了一张二十")
    assert till.desk.current() is None
    [last] = [s for s in till.desk.recent(5) if s.id == closed.id]
    assert (last.note, last.close_reason) == ("早班 张三 (钥匙在抽屉)", "少了一张二十")


def test_z_waits_for_part_paid_orders_but_not_for_unpaid_ones(till, shop):
    unpaid = till.order(TEA)                          # an order on a phone: carries over
    part = till.order(TEA)
    till.pay(part, "card", 1000, reference="C1")
    with pytest.raises(UnsettledOrders) as exc:
        till.desk.z_report(shop.manager)
    assert exc.value.numbers == [part.number]
    till.pay(till.engine.get_order(part.id), "cash", till.engine.due(till.engine.get_order(part.id)))
    z = till.desk.z_report(shop.manager)
    assert z["orders"]["count"] == 1 and till.engine.get_order(unpaid.id).status == "open"


def test_a_z_after_midnight_belongs_to_the_day_it_closes(till, shop):
    from datetime import datetime, timezone
    shop.clock.current = datetime(2026, 11, 26, 13, 0, tzinfo=timezone.utc)     # 21:00 local
    till.desk.open(shop.cashier, 10000)
    till.desk.close(shop.cashier, counts=counts_for(10000))                       # handover
    shop.clock.current = datetime(2026, 11, 26, 16, 30, tzinfo=timezone.utc)    # 00:30 next day
    z = till.desk.z_report(shop.manager)
    assert z["business_day"] == "20261126"
