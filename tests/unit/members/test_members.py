"""Sign-up, look-up, update and their refusals."""

import pytest

from appliance.errors import Conflict, Forbidden, NotFound, ValidationError

from memberclub import TEA, Club


@pytest.fixture
def club(shop):
    return Club(shop)


def test_first_sign_up_creates_the_normal_level_and_the_member(club):
    m = club.join(phone="138 0013-8000", birthday="1990-05-01", card_code="VIP000123")
    assert (m.phone, m.card_code, m.birthday, m.level_id, m.level_name) == (
        "13800138000", "VIP000123", "1990-05-01", "lv-normal", "普通会员")
    assert (m.points, m.balance, m.active) == (0, 0, True)
    assert [lv["id"] for lv in club.members.levels()] == ["lv-normal"]
    types = [r.type for r in club.shop.ledger.records()]
    assert types == ["member_level.saved", "member.joined"]
    club.join(phone="13900000000", name="李先生")
    assert [r.type for r in club.shop.ledger.records()].count("member_level.saved") == 1


def test_lookup_by_phone_or_card_and_find_by_prefix_or_name(club):
    a = club.join(card_code="VIP000123")
    b = club.join(phone="+85291234567", name="陈小姐")
    who = club.shop.assistant
    assert club.members.lookup(who, "13800138000").id == a.id
    assert club.members.lookup(who, "138-0013-8000").id == a.id
    assert club.members.lookup(who, "VIP000123").id == a.id
    assert club.members.lookup(who, "+852 9123 4567").id == b.id
    with pytest.raises(NotFound):
        club.members.lookup(who, "13999999999")
    assert [m.id for m in club.members.find(who, "1380")] == [a.id]
    assert [m.id for m in club.members.find(who, "小姐")] == [b.id]
    assert [m.id for m in club.members.find(who, "VIP000123")] == [a.id]
    assert club.members.find(who, "%") == []


@pytest.mark.parametrize("fields, field", [
    ({"phone": "call me"}, "phone"),
    ({"phone": "123"}, "phone"),
    ({"phone": "+86 138 0013 8000 0000 1"}, "phone"),
    ({"birthday": "1990-13-40"}, "birthday"),
    ({"birthday": "02-30"}, "birthday"),
    ({"birthday": "2999-01-01"}, "birthday"),
    ({"name": " "}, "name"),
    ({"card_code": "a b"}, "card_code"),
])
def test_bad_fields_are_refused_naming_the_field(club, fields, field):
    with pytest.raises(ValidationError) as err:
        club.join(**fields)
    assert err.value.field == field
    assert club.shop.ledger.records() == []


def test_a_birthday_without_a_year_is_fine_also_on_the_29th_of_february(club):
    assert club.join(birthday="02-29").birthday == "02-29"


def test_duplicate_phone_or_card_is_a_conflict(club):
    first = club.join(card_code="VIP1")
    with pytest.raises(Conflict, match="周女士") as err:
        club.join(phone="138 0013 8000", name="另一位")
    assert err.value.field == "phone"
    with pytest.raises(Conflict) as err:
        club.join(phone="13900000000", card_code="VIP1")
    assert err.value.field == "card_code"
    with pytest.raises(Conflict):   # a card code that is someone's phone: scans would clash
        club.join(phone="13900000000", card_code="13800138000")
    second = club.join(phone="13900000000")
    with pytest.raises(Conflict):
        club.members.update(club.shop.cashier, second.id, phone=first.phone)


def test_update_changes_fields_and_the_level_needs_a_manager(club):
    m = club.join(card_code="VIP1")
    gold = club.members.save_level(club.shop.manager, {"name": "金卡", "sort": 2,
                                                       "discount_percent": "5",
                                                       "points_per_yuan": "2"})
    with pytest.raises(Forbidden):
        club.members.update(club.shop.assistant, m.id, name="周")
    with pytest.raises(Forbidden):
        club.members.update(club.shop.cashier, m.id, level_id=gold["id"])
    m2 = club.members.update(club.shop.cashier, m.id, name="周丽", card_code="",
                             note="喜欢龙井")
    assert (m2.name, m2.card_code, m2.note, m2.level_id) == ("周丽", None, "喜欢龙井",
                                                              "lv-normal")
    m3 = club.members.update(club.shop.manager, m.id, level_id=gold["id"], active=False)
    assert (m3.level_id, m3.level_name, m3.active) == (gold["id"], "金卡", False)
    with pytest.raises(ValidationError):
        club.members.update(club.shop.manager, m.id, level_id="lv-nope")
    # Unchanged: no record.
    n = len(club.shop.ledger.records())
    club.members.update(club.shop.manager, m.id, name="周丽")
    assert len(club.shop.ledger.records()) == n
    assert club.replay_matches()


def test_sign_up_into_a_level_other_than_the_first_needs_a_manager(club):
    club.join()
    gold = club.members.save_level(club.shop.manager, {"name": "金卡", "sort": 2})
    with pytest.raises(Forbidden):
        club.join(phone="13900000000", level_id=gold["id"])
    assert club.members.sign_up(club.shop.manager, name="王", phone="13900000000",
                                level_id=gold["id"]).level_id == gold["id"]


def test_levels_are_saved_and_edited_by_managers_only(club):
    with pytest.raises(Forbidden):
        club.members.save_level(club.shop.cashier, {"name": "银卡"})
    silver = club.members.save_level(club.shop.manager, {"name": "银卡", "sort": 1,
                                                         "discount_percent": "2"})
    assert silver["discount_bp"] == 9800 and silver["points_per_yuan_c"] == 100
    edited = club.members.save_level(club.shop.manager, {"name": "银卡",
                                                         "discount_percent": "3"}, silver["id"])
    assert edited["discount_bp"] == 9700
    with pytest.raises(NotFound):
        club.members.save_level(club.shop.manager, {"name": "x"}, "lv-missing")
    assert [lv["id"] for lv in club.members.levels()] == [silver["id"]]


def test_history_lists_moves_newest_first_and_the_members_orders(club):
    m = club.join()
    club.members.adjust_points(club.shop.manager, m.id, 100, "goodwill", note="late delivery")
    order = club.order(TEA, member=m)
    club.pay(order, "cash", 6800)
    h = club.members.history(club.shop.assistant, m.id)
    assert [(mv["kind"], mv["delta"], mv["reason"]) for mv in h["moves"]] == [
        ("points", 68, "earned"), ("points", 100, "adjusted")]
    assert h["moves"][1]["note"] == "goodwill late delivery"
    assert h["moves"][0]["order_number"] == order.number
    assert [(o["number"], o["total"], o["status"], o["points_earned"]) for o in h["orders"]] \
        == [(order.number, "68.00", "paid", 68)]
