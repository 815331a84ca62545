"""Whatever mix of sales, returns, deliveries, manual adjustments and approved counts: the
stock levels and every product's history equal a replay of the journal, each history adds up
to its level move by move, and the stock screen shows what the moves add up to."""

from hypothesis import HealthCheck, given, settings, strategies as st

from appliance.errors import Conflict
from appliance.ledger.projections import replay, snapshot
from appliance.stock.levels import StockService

from stockrig import count, receive

OPS = st.lists(st.tuples(st.sampled_from(["sale", "return", "receive", "adjust", "count"]),
                         st.integers(0, 2),          # which item
                         st.integers(1, 4),          # quantity
                         st.integers(-3, 3)),        # adjustment delta / count offset
               min_size=1, max_size=20)
REASONS = ["damaged", "lost", "gift", "own_use", "count", "opening_stock", "receiving"]


def _rows(conn, table):
    return snapshot(conn)[table]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS, allow_negative=st.booleans())
def test_levels_and_histories_equal_a_replay_of_the_journal(make_shop, ops, allow_negative):
    shop = make_shop()
    shop.master.settings.set("orders.allow_negative_stock", allow_negative)
    e, stock = shop.engine, StockService(shop.ledger, shop.master)
    keys = [(shop.tea.id, ""), (shop.cup.id, shop.cup.variants[0].id),
            (shop.cup.id, shop.cup.variants[1].id)]
    expected = {k: 0 for k in keys}
    paid = []                                   # (order id, key, qty) not yet returned
    for i, (op, which, qty, delta) in enumerate(ops):
        key = keys[which]
        if op == "sale":
            try:
                res = shop.sale((key[0], key[1], qty))
            except Conflict:
                assert not allow_negative and expected[key] < qty
                continue
            assert allow_negative or expected[key] >= qty
            expected[key] -= qty
            paid.append((res.order.id, key, qty))
        elif op == "return" and paid:
            order_id, rkey, rqty = paid.pop(which % len(paid))
            e.refund(shop.manager, order_id, reason="customer changed their mind")
            expected[rkey] += rqty
        elif op == "receive":
            receive(shop, key[0], key[1], qty * 6, 1000 + 37 * delta)
            expected[key] += qty * 6
        elif op == "adjust" and delta:
            reason = REASONS[(qty + which) % len(REASONS)]
            after = e.adjust_stock(shop.manager, key[0], delta, reason, variant_id=key[1])
            expected[key] += delta
            assert after == expected[key]
        elif op == "count":
            counted = max(expected[key] + delta, 0)
            count(shop, key[0], key[1], counted, f"C{i}")
            expected[key] = counted

    with shop.ledger.reading() as conn:
        live = {t: _rows(conn, t) for t in ("stock_levels", "stock_moves")}
    again = replay(shop.ledger.records())
    assert live == {t: _rows(again, t) for t in ("stock_levels", "stock_moves")}

    shown = {(i.product_id, i.variant_id): i for i in stock.items()}
    for key in keys:
        assert shown[key].qty == expected[key]
        assert shown[key].negative == (expected[key] < 0)
        history = stock.moves(shop.owner, key[0], key[1], limit=500)
        assert sum(m["delta"] for m in history) == expected[key]
        running = 0
        for m in reversed(history):             # oldest first: each "after" is the sum so far
            running += m["delta"]
            assert m["after"] == running
        for m in history:
            if m["record"] != "stock.adjusted":
                assert m["ref"] and m["ref_kind"], m    # the order, delivery or count
            if m["reason"] in ("sale", "return", "count") and m["record"] != "stock.adjusted":
                assert m["ref_label"], m        # its order or count number
