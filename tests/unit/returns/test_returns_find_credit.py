"""Finding the original sale without a receipt, plain returns to store credit, and credit
notes as a tender (docs/returns.md)."""

from __future__ import annotations

import pytest

from appliance.errors import Conflict, Forbidden, NotFound, ValidationError
from appliance.returns import codes
from conftest import check_ledger_invariants
import returnshop

returns, members = returnshop.returns, returnshop.members   # fixtures

TEA = "6901234567892"        # 68.00
CUP_BLUE = "2000000000015"   # 35.00


def _sale_with_phone(shop, phone, *barcodes):
    e = shop.engine
    order = e.open_order(shop.assistant, customer_name="王芳", customer_phone=phone)
    for b in barcodes:
        e.add_line(shop.assistant, order.id, barcode=b)
    return e.add_payment(shop.cashier, order.id, "cash", e.due(e.get_order(order.id))).order


def test_find_by_order_phone_newest_first_with_returnable_lines(shop, returns, clock):
    first = _sale_with_phone(shop, "139 1234 5678", TEA)
    clock.advance(minutes=5)
    second = _sale_with_phone(shop, "13912345678", CUP_BLUE)
    _sale_with_phone(shop, "13700000000", TEA)
    found = returns.find_sales(shop.cashier, phone="139-1234-5678")
    assert [s["number"] for s in found] == [second.number, first.number]
    assert found[1]["customer_phone"] == "139****5678"
    line = found[1]["lines"][0]
    assert (line["returnable_qty"], line["returnable_amount"]) == (1, "68.00")


def test_find_by_member_phone(shop, returns, members):
    m = members.sign_up(shop.cashier, name="李雷", phone="13800138000")
    e = shop.engine
    order = e.open_order(shop.assistant)
    e.add_line(shop.assistant, order.id, barcode=TEA)
    e.set_member(shop.assistant, order.id, m.id)
    e.add_payment(shop.cashier, order.id, "cash", 6800)
    found = returns.find_sales(shop.cashier, phone="13800138000")
    assert [s["order_id"] for s in found] == [order.id]


def test_filters_combine_and_number_day_product(shop, returns):
    tea = _sale_with_phone(shop, "13912345678", TEA)
    cup = _sale_with_phone(shop, "13912345678", CUP_BLUE)
    assert [s["number"] for s in returns.find_sales(shop.cashier, phone="13912345678",
                                                    product=TEA)] == [tea.number]
    assert [s["number"] for s in returns.find_sales(shop.cashier, product="茶杯")] == \
        [cup.number]
    assert [s["number"] for s in returns.find_sales(shop.cashier, number=cup.number)] == \
        [cup.number]
    daily = str(int(tea.number.split("-")[1]))
    assert [s["number"] for s in returns.find_sales(shop.cashier, number=daily)] == \
        [tea.number]
    assert len(returns.find_sales(shop.cashier, day="2026-11-26")) == 2   # Shanghai day
    assert returns.find_sales(shop.cashier, day="2026-11-25") == []


def test_only_paid_orders_are_found_and_input_is_checked(shop, returns):
    open_order = shop.engine.open_order(shop.assistant, customer_phone="13912345678")
    shop.engine.add_line(shop.assistant, open_order.id, barcode=TEA)
    assert returns.find_sales(shop.cashier, phone="13912345678") == []
    with pytest.raises(ValidationError):
        returns.find_sales(shop.cashier)
    with pytest.raises(ValidationError):
        returns.find_sales(shop.cashier, day="26/11/2026")
    with pytest.raises(ValidationError):
        returns.find_sales(shop.cashier, number="abc")
    with pytest.raises(Forbidden):
        returns.find_sales(shop.assistant, phone="13912345678")


def test_results_are_bounded(shop, returns):
    for _ in range(53):
        _sale_with_phone(shop, "13912345678", CUP_BLUE)
    assert len(returns.find_sales(shop.cashier, phone="13912345678")) == 50


def test_plain_return_to_store_credit_for_member_goes_on_balance(shop, returns, members):
    m = members.sign_up(shop.cashier, name="李雷", phone="13800138000")
    e = shop.engine
    order = e.open_order(shop.assistant)
    e.add_line(shop.assistant, order.id, barcode=TEA)
    e.set_member(shop.assistant, order.id, m.id)
    order = e.add_payment(shop.cashier, order.id, "cash", 6800).order
    r = returns.refund(shop.cashier, order.id, lines=[(order.lines[0].line_id, 1)],
                       reason="changed_mind", store_credit=True)
    assert [(t["method"], t["amount"]) for t in r.tenders] == [("store_credit", 6800)]
    assert members.summary(m.id).balance == 6800
    assert returns.credit_notes_of(r.id) == []
    # The balance then pays like any member balance.
    o2 = e.open_order(shop.assistant)
    e.add_line(shop.assistant, o2.id, barcode=CUP_BLUE)
    e.set_member(shop.assistant, o2.id, m.id)
    assert e.add_payment(shop.cashier, o2.id, "member_balance", 3500).completed
    assert members.summary(m.id).balance == 3300
    check_ledger_invariants(shop.ledger)


def test_store_credit_is_not_cash_in_the_shift(shop, returns):
    from appliance.shifts.totals import expected_in_till
    order = shop.sale(TEA).order
    returns.refund(shop.cashier, order.id, lines=[(order.lines[0].line_id, 1)],
                   reason="defective", store_credit=True)
    with shop.ledger.reading() as conn:
        expected = expected_in_till(conn, 10000, 0)
    assert expected["cash"] == 10000 + 6800          # the cash stays in the drawer
    assert "store_credit" not in expected and "credit_note" not in expected


def test_credit_note_issued_printed_and_spent_in_parts(shop, returns):
    order = shop.sale(TEA).order
    r = returns.refund(shop.cashier, order.id, lines=[(order.lines[0].line_id, 1)],
                       reason="defective", store_credit=True)
    [note] = returns.credit_notes_of(r.id)
    code = note["code"]
    assert codes.normalize(code) and len(codes.normalize(code)) == 16
    with shop.ledger.reading() as conn:
        jobs = conn.execute("SELECT kind, payload FROM print_jobs WHERE payload LIKE"
                            " '%credit_note%'").fetchall()
    assert len(jobs) == 1 and jobs[0][0] == "report"
    e = shop.engine
    o2 = e.open_order(shop.assistant)
    e.add_line(shop.assistant, o2.id, barcode=CUP_BLUE)
    res = e.add_payment(shop.cashier, o2.id, "credit_note", 3500,
                        reference=code.lower().replace("-", " "))
    assert res.completed
    assert returns.credit_note(code)["remaining"] == "33.00"
    o3 = e.open_order(shop.assistant)
    e.add_line(shop.assistant, o3.id, barcode=TEA)
    with pytest.raises(ValidationError):   # more than is left
        e.add_payment(shop.cashier, o3.id, "credit_note", 3400, reference=code)
    e.add_payment(shop.cashier, o3.id, "credit_note", 3300, reference=code)
    assert returns.credit_note(code)["used_up"] is True
    o4 = e.open_order(shop.assistant)
    e.add_line(shop.assistant, o4.id, barcode=TEA)
    with pytest.raises(Conflict):
        e.add_payment(shop.cashier, o4.id, "credit_note", 100, reference=code)
    check_ledger_invariants(shop.ledger)


def test_unknown_credit_note_is_refused(shop, returns):
    e = shop.engine
    o = e.open_order(shop.assistant)
    e.add_line(shop.assistant, o.id, barcode=TEA)
    with pytest.raises(NotFound):
        e.add_payment(shop.cashier, o.id, "credit_note", 100, reference=codes.new_code())
    with pytest.raises(NotFound):
        e.add_payment(shop.cashier, o.id, "credit_note", 100, reference="not-a-code")
    with pytest.raises(NotFound):
        returns.credit_note("ABCD")


def test_voided_credit_note_payment_gives_the_value_back(shop, returns):
    order = shop.sale(TEA).order
    r = returns.refund(shop.cashier, order.id, lines=[(order.lines[0].line_id, 1)],
                       reason="defective", store_credit=True)
    code = returns.credit_notes_of(r.id)[0]["code"]
    e = shop.engine
    o = e.open_order(shop.assistant)
    e.add_line(shop.assistant, o.id, barcode=TEA)
    e.add_line(shop.assistant, o.id, barcode=CUP_BLUE)
    res = e.add_payment(shop.cashier, o.id, "credit_note", 6800, reference=code)
    assert returns.credit_note(code)["remaining"] == "0.00"
    e.void_payment(shop.cashier, o.id, res.payment_id, "wrong tender", approver=shop.manager)
    assert returns.credit_note(code)["remaining"] == "68.00"
    check_ledger_invariants(shop.ledger)


def test_refund_of_a_credit_note_sale_becomes_a_new_credit_note(shop, returns):
    order = shop.sale(TEA).order
    r = returns.refund(shop.cashier, order.id, lines=[(order.lines[0].line_id, 1)],
                       reason="defective", store_credit=True)
    code = returns.credit_notes_of(r.id)[0]["code"]
    e = shop.engine
    o = e.open_order(shop.assistant)
    e.add_line(shop.assistant, o.id, barcode=CUP_BLUE)
    o = e.add_payment(shop.cashier, o.id, "credit_note", 3500, reference=code).order
    back = e.refund(shop.cashier, o.id, reason="changed mind")
    [again] = returns.credit_notes_of(back.id)
    assert again["amount"] == "35.00" and again["code"] != code
    assert not any(t["method"] == "cash" for t in back.to_json()["tenders"])
    check_ledger_invariants(shop.ledger)


def test_credit_note_cannot_top_up_a_card(shop, members):
    m = members.sign_up(shop.cashier, name="李雷", phone="13800138000")
    with pytest.raises(ValidationError):
        members.top_up(shop.cashier, m.id, 1000, "credit_note", reference=codes.new_code())


def test_credit_note_codes_are_unguessable():
    made = {codes.new_code() for _ in range(2000)}
    assert len(made) == 2000
    assert all(codes.normalize(c) == c for c in made)
    assert codes.normalize("abcd-efgh") == ""
