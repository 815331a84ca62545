"""Points: earned per yuan paid at the level's rate, paid with, reversed on refund, gifts,
manager corrections; never negative."""

import pytest

from appliance.errors import Conflict, Forbidden, NotFound, ValidationError

from memberclub import TEA, Club


@pytest.fixture
def club(shop):
    return Club(shop)


def gold_member(club):
    club.join(phone="13700000000")   # creates lv-normal
    gold = club.members.save_level(club.shop.manager, {
        "name": "金卡", "sort": 2, "discount_percent": "5", "points_per_yuan": "2",
        "excluded_categories": [club.shop.tea.category_id]})
    return club.members.sign_up(club.shop.manager, name="金先生", phone="13800138000",
                                level_id=gold["id"])


def test_a_gold_member_gets_5_percent_off_and_2_points_per_yuan_outside_excluded(club):
    m = gold_member(club)
    order = club.order(TEA, (club.shop.wrap.id, 2), member=m)
    # 68.00 + 2 x 5.00 = 78.00; 5 % off = 3.90 -> 74.10 (tea 64.60, wrap 9.50).
    quote = club.engine.quote(order)
    assert (quote.discount, quote.total) == (390, 7410)
    assert [a.kind for a in quote.adjustments] == ["member"]
    res = club.pay(order, "cash", 7410)
    # Tea's category earns nothing; the wrap's 9.50 at 2 per yuan earns 19.
    assert res.order.points_earned == 19
    assert {ln.name: ln.points for ln in res.order.lines} == {"西湖龙井": 0, "礼品包装": 19}
    assert club.member(m.id).points == 19
    assert club.replay_matches()


def test_the_part_paid_with_points_earns_nothing(club):
    m = gold_member(club)
    club.members.adjust_points(club.shop.manager, m.id, 1000, "welcome")
    order = club.order(TEA, (club.shop.wrap.id, 2), member=m)
    club.pay(order, "points", 1000)
    res = club.pay(order, "cash", 6410)
    # eligible 9.50 x (74.10 - 10.00) / 74.10 = 8.21 (floored); x 2 per yuan = 16.
    assert res.completed and res.order.points_earned == 16
    assert club.member(m.id).points == 16
    assert res.order.payments[0].points == 1000


def test_without_a_member_nobody_earns_and_clearing_the_member_reprices(club):
    m = gold_member(club)
    order = club.order(TEA, member=m)
    assert club.engine.quote(order).total == 6460
    order = club.engine.set_member(club.shop.assistant, order.id, None)
    assert order.member_id is None and club.engine.quote(order).total == 6800
    res = club.pay(order, "cash", 6800)
    assert res.order.points_earned == 0 and club.member(m.id).points == 0


def test_the_member_cannot_change_once_money_is_taken(club):
    m = club.join()
    order = club.order(TEA, TEA, member=m)
    club.pay(order, "cash", 100)
    with pytest.raises(Conflict, match="void"):
        club.engine.set_member(club.shop.assistant, order.id, None)


def test_points_pay_at_fen_per_point_in_whole_points_and_never_overdraw(club):
    club.shop.master.settings.set("members.fen_per_point", 2)
    m = club.join()
    club.members.adjust_points(club.shop.manager, m.id, 600, "welcome")
    order = club.order(TEA, member=m)
    with pytest.raises(ValidationError, match="whole number of points"):
        club.pay(order, "points", 1001)
    with pytest.raises(ValidationError, match="600 points"):
        club.pay(order, "points", 1202)
    res = club.pay(order, "points", 1200)
    assert res.order.payments[0].points == 600 and club.member(m.id).points == 0


def test_refund_reverses_points_line_by_line_and_exactly_in_full(club):
    m = club.join()
    order = club.order((club.shop.tea.id, 3), member=m)
    res = club.pay(order, "cash", 20400)
    assert res.order.points_earned == 204 and club.member(m.id).points == 204
    line = res.order.lines[0].line_id
    club.engine.refund(club.shop.manager, order.id, reason="one was broken", lines=[(line, 1)])
    assert club.member(m.id).points == 204 - 68
    club.engine.refund(club.shop.manager, order.id, reason="the rest")
    assert club.member(m.id).points == 0
    after = club.engine.get_order(order.id)
    assert after.lines[0].points_reversed == 204
    assert club.replay_matches()


def test_points_already_spent_stop_at_zero_and_the_shortfall_is_recorded(club):
    m = club.join()
    first = club.order((club.shop.tea.id, 3), member=m)
    club.pay(first, "cash", 20400)
    second = club.order(TEA, member=m)
    club.pay(second, "points", 200)          # spends 200 of the 204
    club.pay(second, "cash", 6600)           # earns 66
    assert club.member(m.id).points == 4 + 66
    club.engine.refund(club.shop.manager, first.id, reason="returned")
    rec = club.shop.ledger.records()[-1]
    assert rec.data["points_reversed"]["total"] == 70
    assert rec.data["points_reversed"]["shortfall"] == 134
    assert club.member(m.id).points == 0
    assert club.replay_matches()


def test_a_points_payment_goes_back_to_the_card_partly_and_in_full(club):
    m = club.join()
    club.members.adjust_points(club.shop.manager, m.id, 1000, "welcome")
    order = club.order((club.shop.tea.id, 2), member=m)     # 136.00
    club.pay(order, "points", 1000)
    res = club.pay(order, "cash", 12600)
    assert res.order.points_earned == 126 and club.member(m.id).points == 126
    line = res.order.lines[0].line_id
    r = club.engine.refund(club.shop.manager, order.id, reason="one back", lines=[(line, 1)],
                           tenders=[("points", 500, ""), ("cash", 6300, "")])
    assert [t["points"] for t in r.tenders] == [500, 0]
    # +500 back from the tender, -63 earned by the returned cup.
    assert club.member(m.id).points == 126 + 500 - 63
    club.engine.refund(club.shop.manager, order.id, reason="the other")
    assert club.member(m.id).points == 1000
    assert club.replay_matches()


def test_a_manager_corrects_points_with_a_reason_and_never_below_zero(club):
    m = club.join()
    with pytest.raises(Forbidden):
        club.members.adjust_points(club.shop.cashier, m.id, 10, "goodwill")
    with pytest.raises(ValidationError):
        club.members.adjust_points(club.shop.manager, m.id, 10, "")
    with pytest.raises(ValidationError):
        club.members.adjust_points(club.shop.manager, m.id, 0, "nothing")
    assert club.members.adjust_points(club.shop.manager, m.id, 100, "goodwill").points == 100
    with pytest.raises(Conflict, match="only 100 points"):
        club.members.adjust_points(club.shop.manager, m.id, -101, "typo")
    assert club.members.adjust_points(club.shop.manager, m.id, -100, "typo").points == 0
    rec = club.shop.ledger.records()[-1]
    assert (rec.type, rec.data["delta"], rec.data["reason"]) == (
        "member.points_adjusted", -100, "typo")


def test_a_cashier_redeems_only_listed_gifts_and_a_tracked_gift_leaves_stock(club):
    m = club.join()
    gift = club.rule({"name": "龙井茶样", "kind": "points_gift",
                      "product_id": club.shop.tea.id, "points": 500})
    other = club.rule({"name": "停用的礼品", "kind": "points_gift", "active": False,
                       "product_id": club.shop.tea.id, "points": 1})
    stock = club.engine.stock_level(club.shop.tea.id)
    with pytest.raises(Conflict, match="needs 500"):
        club.members.redeem_gift(club.shop.cashier, m.id, gift["id"])
    club.members.adjust_points(club.shop.manager, m.id, 600, "welcome")
    with pytest.raises(NotFound):
        club.members.redeem_gift(club.shop.cashier, m.id, other["id"])
    with pytest.raises(Forbidden):
        club.members.redeem_gift(club.shop.assistant, m.id, gift["id"])
    assert club.members.redeem_gift(club.shop.cashier, m.id, gift["id"]).points == 100
    assert club.engine.stock_level(club.shop.tea.id) == stock - 1
    rec = club.shop.ledger.records()[-1]
    assert rec.data["gift"]["rule_id"] == gift["id"] and rec.data["stock"][0]["reason"] == "gift"
    moves = club.members.history(club.shop.cashier, m.id)["moves"]
    assert (moves[0]["delta"], moves[0]["reason"], moves[0]["note"]) == (-500, "gift",
                                                                        "龙井茶样")
    assert club.replay_matches()


@pytest.mark.parametrize("first", ["points", "cash"])
def test_after_a_partial_refund_what_is_left_earns_only_on_what_was_not_paid_in_points(
        club, first):
    """Points follow the money paid other than in points, whichever tender the refund gives
    back first (refunds go back newest payment first)."""
    m = club.join()
    club.members.adjust_points(club.shop.manager, m.id, 10000, "welcome")
    order = club.order((club.shop.tea.id, 2), member=m)         # 136.00 at 1 point per yuan
    pays = {"points": 10000, "cash": 3600}                       # 100.00 in points, 36.00 cash
    club.pay(order, first, pays[first])
    res = club.pay(order, "cash" if first == "points" else "points",
                   pays["cash" if first == "points" else "points"])
    assert res.order.points_earned == 36
    line = res.order.lines[0]
    club.engine.refund(club.shop.manager, order.id, reason="one back",
                       lines=[(line.line_id, 1)])
    after = club.engine.get_order(order.id)
    back = {t["method"]: t["amount"] for t in after.refunds[0].tenders}
    paid_by_cash = 3600 - back.get("cash", 0)
    paid_in_points = 10000 - back.get("points", 0)
    kept = after.lines[0].points - after.lines[0].points_reversed
    assert paid_by_cash + paid_in_points == 6800
    # What is left (68.00) earns a point per yuan of its cash share, as a fresh sale would.
    assert kept == paid_by_cash // 100
    assert club.member(m.id).points == 10000 - 10000 + back.get("points", 0) + kept
    club.engine.refund(club.shop.manager, order.id, reason="the other too")
    after = club.engine.get_order(order.id)
    assert after.lines[0].points_reversed == after.lines[0].points == 36
    assert club.member(m.id).points == 10000
    assert club.replay_matches()
