"""Coupons on orders: unknown and not-live codes refused, use limits in total and per member,
checked when added and again at payment."""

import pytest

from appliance.errors import Conflict, NotFound

from memberclub import TEA, Club


@pytest.fixture
def club(shop):
    return Club(shop)


def coupon(club, **extra):
    return club.rule({"name": "新客券", "kind": "coupon", "codes": ["WELCOME10"],
                      "amount": "10.00", "min_spend": "50.00", **extra})


def test_a_coupon_takes_its_amount_off_and_is_used_once_paid(club):
    rule = coupon(club)
    order = club.order(TEA)
    with pytest.raises(NotFound):
        club.engine.add_coupon(club.shop.cashier, order.id, "NOPE99")
    order = club.engine.add_coupon(club.shop.cashier, order.id, "welcome10")
    assert order.coupons == ["WELCOME10"] and club.engine.quote(order).total == 5800
    res = club.pay(order, "cash", 5800)
    assert res.completed
    froze = next(r for r in club.shop.ledger.records() if r.type == "order.payment_added")
    assert froze.data["coupons"] == [{"code": "WELCOME10", "rule_id": rule["id"]}]
    with club.shop.ledger.reading() as conn:
        assert conn.execute("SELECT code, order_id FROM coupon_uses").fetchall() == [
            ("WELCOME10", order.id)]
    assert club.replay_matches()


def test_removing_a_coupon_reprices(club):
    coupon(club)
    order = club.engine.add_coupon(club.shop.cashier, club.order(TEA).id, "WELCOME10")
    order = club.engine.remove_coupon(club.shop.cashier, order.id, "welcome10")
    assert order.coupons == [] and club.engine.quote(order).total == 6800
    with pytest.raises(NotFound):
        club.engine.remove_coupon(club.shop.cashier, order.id, "WELCOME10")


def test_a_switched_off_coupon_is_refused_as_not_valid_now(club):
    rule = coupon(club)
    club.promotions.switch(club.shop.manager, rule["id"], False)
    with pytest.raises(Conflict, match="not valid now"):
        club.engine.add_coupon(club.shop.cashier, club.order(TEA).id, "WELCOME10")
    club.promotions.switch(club.shop.manager, rule["id"], True)
    club.rule({"name": "过期券", "kind": "coupon", "codes": ["OLD2020"], "amount": "1.00",
               "valid_to": "2020-01-01T00:00:00+08:00"})
    with pytest.raises(Conflict, match="not valid now"):
        club.engine.add_coupon(club.shop.cashier, club.order(TEA).id, "OLD2020")


def test_total_use_limit_is_checked_when_added_and_again_at_payment(club):
    coupon(club, max_uses=1)
    a = club.engine.add_coupon(club.shop.cashier, club.order(TEA).id, "WELCOME10")
    b = club.engine.add_coupon(club.shop.cashier, club.order(TEA).id, "WELCOME10")
    club.pay(a, "cash", 5800)
    with pytest.raises(Conflict, match="used up"):
        club.pay(b, "cash", 5800)
    with pytest.raises(Conflict, match="used up"):
        club.engine.add_coupon(club.shop.cashier, club.order(TEA).id, "WELCOME10")
    b = club.engine.remove_coupon(club.shop.cashier, b.id, "WELCOME10")
    assert club.pay(b, "cash", 6800).completed


def test_a_part_paid_order_holds_its_coupon_use(club):
    coupon(club, max_uses=1)
    a = club.engine.add_coupon(club.shop.cashier, club.order(TEA).id, "WELCOME10")
    b = club.engine.add_coupon(club.shop.cashier, club.order(TEA).id, "WELCOME10")
    assert not club.pay(a, "card", 1000, reference="T1").completed   # price frozen: 58.00
    with pytest.raises(Conflict, match="used up"):
        club.pay(b, "cash", 5800)                                     # the last use is a's
    assert club.pay(a, "cash", 4800).completed
    with club.shop.ledger.reading() as conn:
        assert conn.execute("SELECT order_id FROM coupon_uses").fetchall() == [(a.id,)]
    assert club.replay_matches()


def test_void_gives_a_coupon_use_back(club):
    coupon(club, max_uses=1)
    a = club.engine.add_coupon(club.shop.cashier, club.order(TEA).id, "WELCOME10")
    b = club.engine.add_coupon(club.shop.cashier, club.order(TEA).id, "WELCOME10")
    part = club.pay(a, "card", 1000, reference="T1")
    club.engine.void_payment(club.shop.manager, a.id, part.payment_id, "wrong card")
    assert club.pay(b, "cash", 5800).completed
    with club.shop.ledger.reading() as conn:
        assert conn.execute("SELECT order_id FROM coupon_uses").fetchall() == [(b.id,)]
    assert club.replay_matches()


def test_two_codes_of_one_offer_share_its_limits_and_cannot_both_be_on_an_order(club):
    coupon(club, codes=["WELCOME-A", "WELCOME-B"], max_uses_per_member=1)
    m = club.join()
    a = club.engine.add_coupon(club.shop.cashier, club.order(TEA, member=m).id, "WELCOME-A")
    with pytest.raises(Conflict, match="same offer"):
        club.engine.add_coupon(club.shop.cashier, a.id, "WELCOME-B")
    club.pay(a, "cash", 5800)
    with pytest.raises(Conflict, match="already used"):
        club.engine.add_coupon(club.shop.cashier, club.order(TEA, member=m).id, "WELCOME-B")


def test_per_member_limit_counts_that_members_uses_only(club):
    coupon(club, max_uses_per_member=1)
    m = club.join()
    other = club.join(phone="13900000000", name="李")
    with pytest.raises(Conflict, match="for members"):
        club.engine.add_coupon(club.shop.cashier, club.order(TEA).id, "WELCOME10")
    a = club.engine.add_coupon(club.shop.cashier, club.order(TEA, member=m).id, "WELCOME10")
    club.pay(a, "cash", 5800)
    with pytest.raises(Conflict, match="already used"):
        club.engine.add_coupon(club.shop.cashier, club.order(TEA, member=m).id, "WELCOME10")
    b = club.engine.add_coupon(club.shop.cashier, club.order(TEA, member=other).id,
                               "WELCOME10")
    assert club.pay(b, "cash", 5800).completed


def test_a_coupon_below_its_min_spend_is_not_counted_as_used(club):
    coupon(club, max_uses=1)
    order = club.engine.add_coupon(club.shop.cashier,
                                   club.order((club.shop.wrap.id, 1)).id, "WELCOME10")
    assert club.engine.quote(order).total == 500
    club.pay(order, "cash", 500)
    with club.shop.ledger.reading() as conn:
        assert conn.execute("SELECT COUNT(*) FROM coupon_uses").fetchone()[0] == 0


def test_preview_prices_a_made_up_cart_with_a_draft_rule_and_a_member(club):
    m = club.join()
    club.members.save_level(club.shop.manager, {"id": "lv-gold", "name": "金卡", "sort": 2,
                                                "discount_percent": "5"})
    gold = club.members.update(club.shop.manager, m.id, level_id="lv-gold")
    draft = {"name": "满100减10", "kind": "threshold", "tiers": [{"min": "100.00",
                                                               "off": "10.00"}]}
    priced = club.engine.preview([(club.shop.tea.id, "", 2)], draft=draft, member_id=gold.id)
    # 136.00, gold 5 % off = 129.20, then 满100减10 = 119.20.
    assert (priced.subtotal, priced.discount, priced.total) == (13600, 1680, 11920)
    assert [a.kind for a in priced.adjustments] == ["member", "promotion"]
    assert set(priced.lines) == {"l1"}
    assert club.promotions.list() == []          # the draft was not saved
    assert club.engine.preview([(club.shop.tea.id, "", 2)]).total == 13600
