"""Property tests of the exchange arithmetic (docs/returns.md): random baskets, discounts and
round-offs, earlier partial refunds, then an exchange settled either way.

What must hold every time: a line never gives back more than was paid for it; the
difference is the new total less the returned value; money is conserved across tenders (the
returned value is carried over or given back, the new order is paid exactly); stock moves by
what came back less what went out; the journal verifies and the projections equal a replay.
"""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings, strategies as st

from appliance.promotions.commands import PromotionAdmin
from appliance.returns import Returns
from conftest import check_ledger_invariants

TEA = "6901234567892"
CUP_BLUE = "2000000000015"
CUP_WHITE = "2000000000022"
CODES = (TEA, CUP_BLUE, CUP_WHITE, "wrap")

basket = st.lists(st.tuples(st.sampled_from(CODES), st.integers(1, 3)), min_size=1,
                  max_size=4)


def _add(shop, order_id, code, qty):
    e = shop.engine
    if code == "wrap":
        return e.add_line(shop.assistant, order_id, product_id=shop.wrap.id, qty=qty)
    return e.add_line(shop.assistant, order_id, barcode=code, qty=qty)


def _item(shop, code, qty):
    return {"product_id": shop.wrap.id, "qty": qty} if code == "wrap" else \
        {"barcode": code, "qty": qty}


def _stock(shop):
    with shop.ledger.reading() as conn:
        return dict(((p, v), q) for p, v, q in conn.execute(
            "SELECT product_id, variant_id, qty FROM stock_levels"))


def _till(shop, method):
    with shop.ledger.reading() as conn:
        return conn.execute("SELECT COALESCE(SUM(delta), 0) FROM till_moves WHERE method = ?",
                            (method,)).fetchone()[0]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sold=basket, new=basket, round_off=st.sampled_from(["none", "0.1", "1"]),
       percent=st.sampled_from([0, 5, 12]), split_card=st.booleans(),
       earlier=st.lists(st.integers(0, 3), min_size=4, max_size=4),
       back=st.lists(st.integers(0, 3), min_size=4, max_size=4),
       give_back=st.sampled_from(["original", "store_credit", "cash"]),
       extra_cash=st.integers(0, 5000))
def test_exchange_arithmetic(make_shop, sold, new, round_off, percent, split_card, earlier,
                             back, give_back, extra_cash):
    shop = make_shop()
    e = shop.engine
    shop.master.settings.set("money.round_off_unit", round_off)
    if percent:
        PromotionAdmin(shop.ledger).save(shop.manager, {
            "name": "店庆", "kind": "percent_off", "percent": str(percent)})
    returns = Returns(shop.ledger, shop.master, "Asia/Shanghai", orders=e)

    order = e.open_order(shop.assistant)
    for code, qty in sold:
        order = _add(shop, order.id, code, qty)
    due = e.due(order)
    card = due // 3 if split_card and due > 2 else 0
    if card:
        e.add_payment(shop.cashier, order.id, "card", card, reference="T-1")
    e.add_payment(shop.cashier, order.id, "cash", due - card)
    order = e.get_order(order.id)
    # Earlier partial refunds to the original tenders.
    first = [(ln.line_id, min(n, ln.qty - 1)) for ln, n in zip(order.lines, earlier)
             if min(n, ln.qty - 1) > 0]
    if first:
        e.refund(shop.manager, order.id, reason="earlier", lines=first)
        order = e.get_order(order.id)
    lines = [(ln.line_id, min(n, ln.qty - ln.refunded_qty))
             for ln, n in zip(order.lines, back) if min(n, ln.qty - ln.refunded_qty) > 0]
    assume(lines)

    value = e.refund_value(order, lines)
    quote = returns.quote(shop.cashier, order.id, lines=lines,
                          items=[_item(shop, c, q) for c, q in new])
    stock0, cash0, card0 = _stock(shop), _till(shop, "cash"), _till(shop, "card")
    from appliance.money import parse_amount
    new_total = parse_amount(quote["new_total"])
    payments = refund_tenders = None
    if new_total > value:
        payments = [("cash", new_total - value + extra_cash, "")]
    elif value > new_total and give_back == "store_credit":
        refund_tenders = [("store_credit", value - new_total, "")]
    elif value > new_total and give_back == "cash":
        cash_left = (due - card) - sum(t["amount"] for r in order.refunds for t in r.tenders
                                      if t["method"] == "cash")
        assume(cash_left >= value - new_total)
        refund_tenders = [("cash", value - new_total, "")]
    res = returns.exchange(shop.cashier, order.id, lines=lines,
                           items=[_item(shop, c, q) for c, q in new], reason="defective",
                           payments=payments, refund_tenders=refund_tenders,
                           approver=shop.manager)

    # The quote was the truth, and the difference is what it says.
    assert res["returned"] == value and res["new_total"] == new_total
    assert res["difference"] == new_total - value
    refund, new_order, orig = res["refund"], res["new"], res["original"]
    # Never more back per line than was paid for it.
    for ln in orig.lines:
        assert ln.refunded_amount <= (ln.net or 0) and ln.refunded_qty <= ln.qty
    # Money conserved: the refund is its tenders; the carried part is the new order's
    # exchange payment; the new order is paid exactly.
    assert refund.amount == value == sum(t["amount"] for t in refund.tenders)
    carried = sum(t["amount"] for t in refund.tenders if t["method"] == "exchange")
    assert carried == min(value, new_total)
    assert sum(p.amount for p in new_order.live_payments if p.method == "exchange") == carried
    assert new_order.status == "paid" and new_order.paid == new_order.total == new_total
    paid_more = sum(p.amount for p in new_order.live_payments if p.method != "exchange")
    given = sum(t["amount"] for t in refund.tenders if t["method"] != "exchange")
    assert paid_more == max(new_total - value, 0) and given == max(value - new_total, 0)
    assert res["change"] == (extra_cash if payments else 0)
    # The till: cash and card moved by exactly what changed hands; exchange nets to zero.
    cash_back = sum(t["amount"] for t in refund.tenders if t["method"] == "cash")
    card_back = sum(t["amount"] for t in refund.tenders if t["method"] == "card")
    assert _till(shop, "cash") - cash0 == paid_more - cash_back
    assert _till(shop, "card") - card0 == -card_back
    assert _till(shop, "exchange") == 0
    # Stock: what came back in, less what went out.
    moved: dict = {}
    for line_id, qty in lines:
        ln = orig.line(line_id)
        if ln.stock_tracked:
            key = (ln.product_id, ln.variant_id)
            moved[key] = moved.get(key, 0) + qty
    for ln in new_order.lines:
        if ln.stock_tracked:
            key = (ln.product_id, ln.variant_id)
            moved[key] = moved.get(key, 0) - ln.qty
    stock1 = _stock(shop)
    for key in set(stock0) | set(stock1) | set(moved):
        assert stock1.get(key, 0) - stock0.get(key, 0) == moved.get(key, 0), key
    check_ledger_invariants(shop.ledger)
