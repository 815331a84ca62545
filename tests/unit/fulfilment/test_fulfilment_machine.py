"""The status machine under random sequences of requested moves: a move is taken exactly
when the flow allows it, the status is what the accepted moves say, and the projections
always equal a replay of the journal."""

from hypothesis import HealthCheck, given, settings, strategies as st

from appliance.errors import Conflict
from appliance.fulfilment import FINAL, NEXT, Fulfilment
from appliance.ledger.projections import replay, snapshot

MOVES = ["packed", "shipped", "delivered", "ready", "collected", "cancelled"]
SHIP = {"carrier": "EMS", "tracking": "EA123456789CN"}


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(["delivery", "pickup"]), paid=st.booleans(),
       moves=st.lists(st.sampled_from(MOVES), max_size=8))
def test_moves_follow_the_flow_and_projections_equal_a_replay(make_shop, kind, paid, moves):
    shop = make_shop()
    ful = Fulfilment(shop.ledger, shop.master, "Asia/Shanghai", orders=shop.engine)
    order = shop.sale("6901234567892").order if paid else \
        shop.engine.open_order(shop.assistant)
    ful.set(shop.assistant, order.id, kind=kind, recipient="王", phone="13800138000",
            address="杭州")
    status, history = "pending", ["pending"]
    for move in moves:
        allowed = status not in FINAL and (move == "cancelled" or NEXT[kind].get(status) == move)
        if move == "collected" and not paid:
            allowed = False
        try:
            ful.update(shop.assistant, order.id, move, **(SHIP if move == "shipped" else {}))
        except Conflict:
            assert not allowed, (status, move)
        else:
            assert allowed, (status, move)
            status = move
            history.append(move)
    seen = ful.for_order(order.id)
    assert seen["status"] == status
    assert [e["status"] for e in seen["events"]] == history
    with shop.ledger.reading() as conn:
        now = snapshot(conn)
    again = snapshot(replay(shop.ledger.records()))
    assert now["fulfilments"] == again["fulfilments"]
    assert now["fulfilment_events"] == again["fulfilment_events"]
