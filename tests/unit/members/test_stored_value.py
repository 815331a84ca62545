"""Stored value: top-ups with bonus tiers and change, paying with the balance in split tenders,
存零, refunds and voids back to the card, and overdrafts refused."""

import json

import pytest

from appliance.errors import Forbidden, ValidationError

from memberclub import TEA, Club


@pytest.fixture
def club(shop):
    return Club(shop)


def bonus_rules(club):
    club.rule({"name": "充值送", "kind": "topup_bonus", "tiers": [
        {"min": "200.00", "bonus": "10.00"}, {"min": "500.00", "bonus": "50.00"}]})


def drawer_jobs(club):
    with club.shop.ledger.reading() as conn:
        return conn.execute("SELECT kind FROM print_jobs WHERE kind = 'drawer'").fetchall()


@pytest.mark.parametrize("amount, bonus", [(19999, 0), (20000, 1000), (49999, 1000),
                                           (50000, 5000), (100000, 5000)])
def test_top_up_bonus_is_the_highest_tier_reached(club, amount, bonus):
    bonus_rules(club)
    m = club.join()
    res = club.members.top_up(club.shop.cashier, m.id, amount, "wechat", reference="W1")
    assert (res.bonus, res.balance, res.change) == (bonus, amount + bonus, 0)
    moves = club.members.history(club.shop.cashier, m.id)["moves"]
    assert {mv["reason"] for mv in moves} == ({"top_up", "bonus"} if bonus else {"top_up"})
    assert not drawer_jobs(club)


def test_a_cash_top_up_gives_change_and_kicks_the_drawer(club):
    bonus_rules(club)
    m = club.join()
    res = club.members.top_up(club.shop.cashier, m.id, 50000, "cash", tendered=60000)
    assert (res.amount, res.bonus, res.balance, res.change) == (50000, 5000, 55000, 10000)
    assert len(drawer_jobs(club)) == 1
    rec = club.shop.ledger.records()[-1]
    assert rec.type == "member.topped_up" and rec.data["change"] == 10000
    assert club.replay_matches()


def test_top_up_refusals(club):
    m = club.join()
    cashier = club.shop.cashier
    with pytest.raises(Forbidden):
        club.members.top_up(club.shop.assistant, m.id, 100, "cash")
    with pytest.raises(ValidationError):
        club.members.top_up(cashier, m.id, 0, "cash")
    with pytest.raises(ValidationError, match="transaction number"):
        club.members.top_up(cashier, m.id, 100, "wechat")
    with pytest.raises(ValidationError):
        club.members.top_up(cashier, m.id, 100, "member_balance")
    with pytest.raises(ValidationError, match="handed over"):
        club.members.top_up(cashier, m.id, 10000, "cash", tendered=5000)
    with pytest.raises(ValidationError, match="handed over"):
        club.members.top_up(cashier, m.id, 10000, "card", reference="T", tendered=20000)
    assert club.member(m.id).balance == 0


def test_pay_with_the_balance_and_cash_split_then_refund_back_to_the_card(club):
    m = club.join()
    club.members.top_up(club.shop.cashier, m.id, 10000, "wechat", reference="W1")
    order = club.order(TEA, TEA, member=m)                    # 136.00
    with pytest.raises(ValidationError, match="balance is 100.00"):
        club.pay(order, "member_balance", 13600)
    first = club.pay(order, "member_balance", 10000)
    assert not first.completed and club.member(m.id).balance == 0
    res = club.pay(order, "cash", 3600)
    assert res.completed
    assert [(p.method, p.amount, p.member_id) for p in res.order.payments] == [
        ("member_balance", 10000, m.id), ("cash", 3600, None)]
    # Refund everything: newest tender first, so the cash goes back, then the card.
    r = club.engine.refund(club.shop.manager, order.id, reason="returned")
    assert [(t["method"], t["amount"]) for t in r.tenders] == [("cash", 3600),
                                                               ("member_balance", 10000)]
    assert club.member(m.id).balance == 10000
    assert club.replay_matches()


def test_change_to_card_puts_cash_change_on_the_balance(club):
    m = club.join()
    order = club.order(TEA, member=m)
    res = club.pay(order, "cash", 10000, change_to_card=True)
    assert res.completed and res.change == 0
    p = res.order.payments[0]
    assert (p.amount, p.tendered, p.change, p.stored_change) == (6800, 10000, 0, 3200)
    assert res.order.change_given == 0
    assert club.member(m.id).balance == 3200
    with pytest.raises(ValidationError, match="cash"):
        other = club.order(TEA, member=m)
        club.pay(other, "card", 6800, reference="T", change_to_card=True)
    assert club.replay_matches()


def test_voiding_a_balance_payment_returns_the_balance(club):
    m = club.join()
    club.members.top_up(club.shop.cashier, m.id, 5000, "cash")
    order = club.order(TEA, member=m)
    res = club.pay(order, "member_balance", 5000)
    assert club.member(m.id).balance == 0
    club.engine.void_payment(club.shop.manager, order.id, res.payment_id, "wrong card")
    assert club.member(m.id).balance == 5000
    moves = club.members.history(club.shop.cashier, m.id)["moves"]
    assert [(mv["delta"], mv["reason"]) for mv in moves[:2]] == [("50.00", "void"),
                                                                ("-50.00", "payment")]
    assert club.replay_matches()


def test_voiding_a_points_payment_returns_the_points(club):
    m = club.join()
    club.members.adjust_points(club.shop.manager, m.id, 300, "welcome")
    order = club.order(TEA, member=m)
    res = club.pay(order, "points", 300)
    club.engine.void_payment(club.shop.manager, order.id, res.payment_id, "changed mind")
    assert club.member(m.id).points == 300


def test_the_receipt_shows_the_member_block(club):
    from drivers.printer.from_order import receipt_for
    from appliance.printing.documents import member_block_of

    m = club.join()
    club.members.top_up(club.shop.cashier, m.id, 2000, "cash")
    order = club.order(TEA, member=m)
    club.pay(order, "member_balance", 2000)
    res = club.pay(order, "cash", 4800)

    class FakeBox:   # only what member_block_of reads
        members = club.members
    block = member_block_of(FakeBox, res.order)
    assert block == {"name": "周女士", "phone": "138****8000", "points_earned": 68,
                     "points_balance": 68, "balance": 0}
    receipt = receipt_for(res.order, club.shop.master.settings, cashier_name="张",
                          member=block)
    assert receipt.member["points_earned"] == 68


def test_a_member_payment_records_the_member_and_the_order_json_carries_it(club):
    m = club.join()
    club.members.top_up(club.shop.cashier, m.id, 10000, "cash")
    order = club.order(TEA, member=m)
    res = club.pay(order, "member_balance", 6800)
    body = res.order.to_json()
    assert (body["member_id"], body["coupons"], body["points_earned"]) == (m.id, [], 68)
    json.dumps(body)


def test_a_member_receipt_in_chinese_shows_the_card_tenders_and_the_change_put_on_it(club):
    from appliance.i18n import language
    from appliance.printing.documents import member_block_of
    from drivers.printer.from_order import receipt_for
    from drivers.printer.layout import lay_out

    m = club.join()
    club.members.top_up(club.shop.cashier, m.id, 2000, "cash")
    order = club.order(TEA, member=m)
    club.pay(order, "member_balance", 2000)
    res = club.shop.engine.add_payment(club.shop.cashier, order.id, "cash", 5000,
                                       change_to_card=True)

    class FakeBox:   # only what member_block_of reads
        members = club.members
    with language("zh_CN"):
        receipt = receipt_for(res.order, club.shop.master.settings, cashier_name="张",
                              member=member_block_of(FakeBox, res.order))
        text = "\n".join(line.text for line in lay_out(receipt, 80))
    assert "会员储值" in text and "存入储值" in text and "2.00" in text
    assert "找零" not in text   # the 2.00 went on the card, none was handed over
    assert "138****8000" in text and "13800138000" not in text


def test_a_card_deactivated_after_it_went_on_the_order_cannot_pay(club):
    from appliance.errors import Conflict
    m = club.join()
    club.members.top_up(club.shop.cashier, m.id, 10000, "cash")
    order = club.order(TEA, member=m)
    club.members.update(club.shop.manager, m.id, active=False)     # reported lost
    for method in ("member_balance", "points"):
        with pytest.raises(Conflict, match="deactivated"):
            club.pay(order, method, 100)
    with pytest.raises(Conflict, match="deactivated"):
        club.pay(order, "cash", 10000, change_to_card=True)
    assert club.member(m.id).balance == 10000


def test_only_small_change_goes_on_the_card(club):
    m = club.join()
    order = club.order(TEA, member=m)                          # 68.00
    with pytest.raises(ValidationError, match="top the card up"):
        club.pay(order, "cash", 20000, change_to_card=True)    # 132.00 change > 100.00
    res = club.pay(order, "cash", 10000, change_to_card=True)  # 32.00 goes on the card
    assert res.completed and club.member(m.id).balance == 3200


def test_a_manager_pays_stored_value_out_in_cash_and_the_till_expects_less(club):
    """Closing a card (or before erasing a customer's data): the balance goes back in cash
    from the drawer; the till and the shift's expected cash follow, history says why."""
    from appliance.errors import Conflict
    from appliance.shifts.totals import expected_in_till
    m = club.join()
    club.members.top_up(club.shop.cashier, m.id, 30000, "cash")
    with pytest.raises(Forbidden):
        club.members.pay_out(club.shop.cashier, m.id, 100, "cash", "退卡")
    with pytest.raises(Conflict):
        club.members.pay_out(club.shop.manager, m.id, 30001, "cash", "退卡")
    with pytest.raises(ValidationError):
        club.members.pay_out(club.shop.manager, m.id, 100, "member_balance", "退卡")
    with pytest.raises(ValidationError):
        club.members.pay_out(club.shop.manager, m.id, 100, "transfer", "退卡")  # no reference
    with pytest.raises(ValidationError):
        club.members.pay_out(club.shop.manager, m.id, 100, "cash", "")          # no reason
    res = club.members.pay_out(club.shop.manager, m.id, 30000, "cash", "退卡")
    assert res["balance"] == 0 and club.member(m.id).balance == 0
    assert len(drawer_jobs(club)) == 2                        # the top-up's and the payout's
    with club.shop.ledger.reading() as conn:
        assert expected_in_till(conn, 0, 0)["cash"] == 0      # 300.00 in, 300.00 out
    moves = club.members.history(club.shop.cashier, m.id)["moves"]
    assert [mv["reason"] for mv in moves][:1] == ["payout"]
    rec = club.shop.ledger.records()[-1]
    assert rec.type == "member.paid_out" and rec.data["amount"] == 30000
    assert club.replay_matches()
