"""Exchanges: return lines and sell new ones in one journal transaction, only the
difference settled (docs/returns.md)."""

from __future__ import annotations

import pytest

from appliance.errors import Conflict, Forbidden, ValidationError
from conftest import check_ledger_invariants
import returnshop

returns, members = returnshop.returns, returnshop.members   # fixtures

TEA = "6901234567892"        # 68.00
CUP_BLUE = "2000000000015"   # 35.00
CUP_WHITE = "2000000000022"  # 39.00


def _stock(shop, product, variant=""):
    return shop.engine.stock_level(product.id, variant)


def _till(shop, method):
    with shop.ledger.reading() as conn:
        return conn.execute("SELECT COALESCE(SUM(delta), 0) FROM till_moves WHERE method = ?",
                            (method,)).fetchone()[0]


def test_even_exchange_settles_nothing_and_moves_stock(shop, returns):
    sale = shop.sale(CUP_BLUE).order
    blue, white = shop.cup.variants[0].id, shop.cup.variants[1].id
    before = (_stock(shop, shop.cup, blue), _stock(shop, shop.cup, white))
    res = returns.exchange(shop.cashier, sale.id, lines=[(sale.lines[0].line_id, 1)],
                           items=[{"barcode": CUP_BLUE, "qty": 1}], reason="defective")
    assert res["difference"] == 0 and res["change"] == 0
    new = res["new"]
    assert new.status == "paid" and new.total == 3500
    assert [(p.method, p.amount, p.reference) for p in new.live_payments] == \
        [("exchange", 3500, sale.number)]
    orig = res["original"]
    assert orig.refunded == 3500 and orig.lines[0].refunded_qty == 1
    assert [(t["method"], t["amount"]) for t in res["refund"].tenders] == [("exchange", 3500)]
    # Returned one blue cup, sold one: the level is back where it was; white untouched.
    assert (_stock(shop, shop.cup, blue), _stock(shop, shop.cup, white)) == before
    # No money moved: cash only holds the original sale, exchange nets to zero.
    assert _till(shop, "cash") == 3500 and _till(shop, "exchange") == 0
    check_ledger_invariants(shop.ledger)


def test_dearer_item_customer_pays_the_difference_with_change(shop, returns):
    sale = shop.sale(CUP_BLUE).order
    res = returns.exchange(shop.cashier, sale.id, lines=[(sale.lines[0].line_id, 1)],
                           items=[{"barcode": TEA}], reason="wrong_size",
                           payments=[("cash", 5000, "")])
    assert res["difference"] == 6800 - 3500
    assert res["change"] == 5000 - 3300
    assert res["new"].status == "paid"
    assert sorted((p.method, p.amount) for p in res["new"].live_payments) == \
        [("cash", 3300), ("exchange", 3500)]
    assert _till(shop, "cash") == 3500 + 3300
    check_ledger_invariants(shop.ledger)


def test_a_payment_more_than_the_difference_needs_is_refused_and_nothing_kept(shop, returns):
    sale = shop.sale(CUP_BLUE).order
    head = shop.ledger.head()
    with pytest.raises(ValidationError) as err:
        returns.exchange(shop.cashier, sale.id, lines=[(sale.lines[0].line_id, 1)],
                         items=[{"barcode": TEA}], reason="wrong_size",
                         payments=[("cash", 3300, ""), ("wechat", 5000, "WX1")])
    assert err.value.field == "payments"
    assert shop.ledger.head() == head


def test_refunding_what_an_exchange_paid_gives_store_credit(shop, returns):
    """The new order of an exchange was paid partly by the returned goods: refunding it gives
    that part back as store credit (a credit note here), the rest by its own tender."""
    sale = shop.sale(CUP_BLUE).order
    res = returns.exchange(shop.cashier, sale.id, lines=[(sale.lines[0].line_id, 1)],
                           items=[{"barcode": TEA}], reason="wrong_size",
                           payments=[("cash", 3300, "")])
    refund = shop.engine.refund(shop.cashier, res["new"].id, reason="changed mind")
    assert sorted((t["method"], t["amount"]) for t in refund.tenders) == \
        [("cash", 3300), ("store_credit", 3500)]
    notes = returns.credit_notes_of(refund.id)
    assert [n["amount"] for n in notes] == ["35.00"]
    assert _till(shop, "cash") == 3500 + 3300 - 3300
    assert _till(shop, "exchange") == 0        # the exchange nets out; nothing left hanging
    check_ledger_invariants(shop.ledger)


def test_dearer_item_without_enough_payment_records_nothing(shop, returns):
    sale = shop.sale(CUP_BLUE).order
    head = shop.ledger.head()
    with pytest.raises(ValidationError) as e:
        returns.exchange(shop.cashier, sale.id, lines=[(sale.lines[0].line_id, 1)],
                         items=[{"barcode": TEA}], reason="wrong_size",
                         payments=[("card", 1000, "T-1")])
    assert e.value.field == "payments"
    assert shop.ledger.head() == head
    assert shop.engine.get_order(sale.id).refunded == 0
    with pytest.raises(ValidationError):
        returns.exchange(shop.cashier, sale.id, lines=[(sale.lines[0].line_id, 1)],
                         items=[{"barcode": TEA}], reason="wrong_size")
    assert shop.ledger.head() == head


def test_cheaper_item_gives_back_the_rest_by_original_tender(shop, returns):
    sale = shop.sale(TEA).order
    res = returns.exchange(shop.cashier, sale.id, lines=[(sale.lines[0].line_id, 1)],
                           items=[{"barcode": CUP_BLUE}], reason="changed_mind")
    assert res["difference"] == 3500 - 6800
    tenders = sorted((t["method"], t["amount"]) for t in res["refund"].tenders)
    assert tenders == [("cash", 3300), ("exchange", 3500)]
    assert _till(shop, "cash") == 6800 - 3300
    check_ledger_invariants(shop.ledger)


def test_cheaper_item_gives_back_as_store_credit_note(shop, returns):
    sale = shop.sale(TEA).order
    res = returns.exchange(shop.cashier, sale.id, lines=[(sale.lines[0].line_id, 1)],
                           items=[{"barcode": CUP_BLUE}], reason="changed_mind",
                           refund_tenders=[("store_credit", 3300, "")])
    notes = returns.credit_notes_of(res["refund"].id)
    assert [n["amount"] for n in notes] == ["33.00"]
    # Cash stays in the till: store credit is not cash.
    assert _till(shop, "cash") == 6800
    assert returns.credit_note(notes[0]["code"])["remaining"] == "33.00"
    check_ledger_invariants(shop.ledger)


def test_refund_tenders_refused_when_nothing_is_given_back(shop, returns):
    sale = shop.sale(CUP_BLUE).order
    with pytest.raises(ValidationError):
        returns.exchange(shop.cashier, sale.id, lines=[(sale.lines[0].line_id, 1)],
                         items=[{"barcode": TEA}], reason="defective",
                         payments=[("cash", 3300, "")],
                         refund_tenders=[("cash", 100, "")])


def test_over_the_cashier_limit_needs_a_manager(shop, returns):
    shop.master.settings.set("orders.cashier_refund_limit", 2000)
    sale = shop.sale(TEA).order
    line = [(sale.lines[0].line_id, 1)]
    with pytest.raises(Forbidden):   # 33.00 given back > 20.00
        returns.exchange(shop.cashier, sale.id, lines=line, items=[{"barcode": CUP_BLUE}],
                         reason="defective")
    # Carried over to the new order does not count: an even exchange needs no one.
    res = returns.exchange(shop.cashier, sale.id, lines=line, items=[{"barcode": TEA}],
                           reason="defective")
    assert res["refund"].approved_by is None


def test_over_the_limit_with_manager_pin_is_recorded(shop, returns):
    shop.master.settings.set("orders.cashier_refund_limit", 2000)
    sale = shop.sale(TEA).order
    res = returns.exchange(shop.cashier, sale.id, lines=[(sale.lines[0].line_id, 1)],
                           items=[{"barcode": CUP_BLUE}], reason="defective",
                           approver=shop.manager)
    assert res["refund"].approved_by == shop.manager.staff_id


def test_sale_older_than_the_window_needs_a_manager(shop, returns, clock):
    sale = shop.sale(CUP_BLUE).order
    clock.advance(days=31)
    line = [(sale.lines[0].line_id, 1)]
    with pytest.raises(Forbidden):
        returns.exchange(shop.cashier, sale.id, lines=line, items=[{"barcode": CUP_BLUE}],
                         reason="defective")
    res = returns.exchange(shop.cashier, sale.id, lines=line, items=[{"barcode": CUP_BLUE}],
                           reason="defective", approver=shop.manager)
    assert res["refund"].approved_by == shop.manager.staff_id


def test_reason_code_and_note_are_journalled(shop, returns):
    sale = shop.sale(CUP_BLUE).order
    with pytest.raises(ValidationError):
        returns.exchange(shop.cashier, sale.id, lines=[(sale.lines[0].line_id, 1)],
                         items=[{"barcode": CUP_BLUE}], reason="broke_it")
    with pytest.raises(ValidationError):   # "other" needs words
        returns.exchange(shop.cashier, sale.id, lines=[(sale.lines[0].line_id, 1)],
                         items=[{"barcode": CUP_BLUE}], reason="other")
    returns.exchange(shop.cashier, sale.id, lines=[(sale.lines[0].line_id, 1)],
                     items=[{"barcode": CUP_WHITE}], reason="other", reason_note="送礼不合适",
                     payments=[("cash", 400, "")])
    rec = next(r for r in shop.ledger.records() if r.type == "order.refunded")
    assert rec.data["reason_code"] == "other"
    assert rec.data["reason"] == "other: 送礼不合适"
    assert rec.data["exchange"]["number"] != sale.number
    pay = next(r for r in shop.ledger.records() if r.type == "order.payment_added"
               and r.data["payment"]["method"] == "exchange")
    assert pay.data["exchange"] == {"order_id": sale.id, "number": sale.number,
                                    "refund_id": rec.data["refund_id"]}


def test_exchange_needs_a_paid_order_lines_and_items(shop, returns):
    sale = shop.sale(CUP_BLUE).order
    with pytest.raises(ValidationError):
        returns.exchange(shop.cashier, sale.id, lines=[], items=[{"barcode": TEA}],
                         reason="defective")
    with pytest.raises(ValidationError):
        returns.exchange(shop.cashier, sale.id, lines=[(sale.lines[0].line_id, 1)], items=[],
                         reason="defective")
    with pytest.raises(ValidationError):   # more than was bought
        returns.exchange(shop.cashier, sale.id, lines=[(sale.lines[0].line_id, 2)],
                         items=[{"barcode": TEA}], reason="defective")
    open_order = shop.engine.open_order(shop.assistant)
    with pytest.raises(Conflict):
        returns.exchange(shop.cashier, open_order.id, lines=[("x", 1)],
                         items=[{"barcode": TEA}], reason="defective")
    with pytest.raises(Forbidden):
        returns.exchange(shop.assistant, sale.id, lines=[(sale.lines[0].line_id, 1)],
                         items=[{"barcode": TEA}], reason="defective")


def test_a_failure_inside_leaves_nothing_half_done(shop, returns, monkeypatch):
    """A crash between the refund and the new order's payment rolls everything back."""
    sale = shop.sale(CUP_BLUE).order
    head = shop.ledger.head()

    def boom(*a, **k):
        raise RuntimeError("power cut")
    monkeypatch.setattr(shop.engine, "exchange_payment_in_tx", boom)
    with pytest.raises(RuntimeError):
        returns.exchange(shop.cashier, sale.id, lines=[(sale.lines[0].line_id, 1)],
                         items=[{"barcode": CUP_BLUE}], reason="defective")
    assert shop.ledger.head() == head
    assert shop.engine.get_order(sale.id).refunded == 0
    check_ledger_invariants(shop.ledger)


def test_member_exchange_keeps_member_and_points_right(shop, returns, members):
    m = members.sign_up(shop.cashier, name="李雷", phone="13800138000")
    e = shop.engine
    order = e.open_order(shop.assistant)
    e.add_line(shop.assistant, order.id, barcode=TEA)
    e.set_member(shop.assistant, order.id, m.id)
    e.add_payment(shop.cashier, order.id, "cash", 6800)
    earned = members.summary(m.id).points
    res = returns.exchange(shop.cashier, order.id, lines=[(e.get_order(order.id).lines[0]
                                                           .line_id, 1)],
                           items=[{"barcode": TEA}], reason="defective")
    assert res["new"].member_id == m.id
    # The returned line's points are taken back and the new sale earns the same again.
    assert members.summary(m.id).points == earned
    check_ledger_invariants(shop.ledger)


def test_serialised_goods_going_out_in_an_exchange_need_their_serial_numbers(shop, returns):
    from appliance.master.catalog import Product
    kettle = shop.master.catalog.save_product(Product(
        id="", sku="KET-9", name="电水壶", category_id=None, unit="台", price=6800,
        cost=4000, barcodes=["6900000000090"], serialised=True))
    sale = shop.sale(TEA).order
    head = shop.ledger.head()
    with pytest.raises(ValidationError) as err:       # no serial: nothing is written
        returns.exchange(shop.cashier, sale.id, lines=[(sale.lines[0].line_id, 1)],
                         items=[{"barcode": "6900000000090"}], reason="wrong_size")
    assert err.value.field == "serials" and "电水壶" in err.value.message
    assert shop.ledger.head() == head
    res = returns.exchange(shop.cashier, sale.id, lines=[(sale.lines[0].line_id, 1)],
                           items=[{"barcode": "6900000000090", "serials": ["SN-0042"]}],
                           reason="wrong_size")
    assert res["new"].status == "paid"
    with shop.ledger.reading() as conn:
        assert conn.execute("SELECT serial FROM line_serials WHERE order_id = ?",
                            (res["new"].id,)).fetchall() == [("SN-0042",)]
    other = shop.sale(TEA).order      # the quote tells the counter to ask for serials
    quote = returns.quote(shop.cashier, other.id, lines=[(other.lines[0].line_id, 1)],
                          items=[{"barcode": "6900000000090"}])
    assert [ln["serialised"] for ln in quote["new_lines"]] == [kettle.serialised] == [True]
    check_ledger_invariants(shop.ledger)
