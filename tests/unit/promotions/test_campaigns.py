"""Worked examples from real campaigns, priced through the real pipeline. Every expected
figure is computed by hand in the comment next to it (fen)."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from appliance.orders.pricing import PricingLine, PricingPipeline
from appliance.promotions.engine import PriceContext, coupon_rule, gifts, pricing_steps, \
    topup_bonus
from appliance.promotions.rules import normalize_level, normalize_rule

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Thursday 2026-11-26 10:30 in Shanghai.
THURSDAY = datetime(2026, 11, 26, 2, 30, tzinfo=timezone.utc)
GOLD = normalize_level({"id": "lv-gold", "name": "金卡", "discount_percent": "5",
                        "points_per_yuan": "2"})
SILVER = normalize_level({"id": "lv-silver", "name": "银卡", "discount_percent": "2"})


def rule(**doc):
    return normalize_rule(doc)


def cart(*items):
    """items: (price_yuan_str, qty, category, product) -> PricingLine l1, l2, ..."""
    out = []
    for i, (price, qty, cat, pid) in enumerate(items, 1):
        yuan, _, jiao = price.partition(".")
        fen = int(yuan) * 100 + int(jiao.ljust(2, "0") or 0)
        out.append(PricingLine(f"l{i}", pid, "", qty, fen, cat, i))
    return out


def price(rules, lines, *, level=None, coupons=(), now=THURSDAY, unit="none", mode="down"):
    ctx = PriceContext(now=now, tz=SHANGHAI, level=level, coupons=tuple(coupons))
    return PricingPipeline(pricing_steps(rules, ctx)).price(lines, round_off_unit=unit,
                                                            round_off_mode=mode)


def nets(p):
    return {k: v["net"] for k, v in p.lines.items()}


def check_consistent(p):
    assert sum(nets(p).values()) == p.total
    assert sum(a.amount for a in p.adjustments) == p.rounding - p.discount


def test_every_200_off_30_repeats_on_450_for_60_off():
    r = rule(name="满200减30", kind="threshold", tiers=[{"min": "200", "off": "30"}],
             repeat=True)
    p = price([r], cart(("150", 1, "", "a"), ("200", 1, "", "b"), ("100", 1, "", "c")))
    # 450.00 // 200.00 = 2 -> 2 x 30.00
    assert (p.discount, p.total) == (6000, 39000)
    # 6000 by nets 15000:20000:10000 = 2000 : 2666.67 : 1333.33 -> the odd fen to l2
    assert nets(p) == {"l1": 13000, "l2": 17333, "l3": 8667}
    [adj] = p.adjustments
    assert (adj.kind, adj.label, adj.amount, adj.source, adj.line_ids) == \
        ("promotion", "满200减30", -6000, r["id"], ("l1", "l2", "l3"))
    check_consistent(p)


TIERS = [{"min": "300", "off": "40"}, {"min": "500", "off": "100"}]


@pytest.mark.parametrize("amount, off", [
    ("650", 10000),        # highest tier met: 500 -> 100, once
    ("1300", 10000),       # no repeat: still once
    ("499.99", 4000),      # only 300 -> 40 met
    ("300", 4000),         # a tier's minimum counts as met
    ("299.99", 0),
])
def test_tiered_threshold_without_repeat_takes_the_highest_tier_once(amount, off):
    r = rule(name="满300减40 满500减100", kind="threshold", tiers=TIERS)
    p = price([r], cart((amount, 1, "", "a")))
    assert p.discount == off


@pytest.mark.parametrize("amount, off", [
    ("1100", 20000),       # 2 x 500 -> 200, 100 left: no tier
    ("850", 14000),        # 500 -> 100, 350 left: 300 -> 40
    ("1400", 24000),       # 2 x 500 -> 200, 400 left: 300 -> 40
    ("299", 0),
])
def test_tiered_threshold_with_repeat_is_greedy_from_the_top(amount, off):
    r = rule(name="满减", kind="threshold", tiers=TIERS, repeat=True)
    assert price([r], cart((amount, 1, "", "a"))).discount == off


def test_threshold_cap_limits_the_repeats():
    r = rule(name="每满100减10 最多减50", kind="threshold",
             tiers=[{"min": "100", "off": "10"}], repeat=True, cap="50")
    assert price([r], cart(("780", 1, "", "a"))).discount == 5000    # 7 x 10 = 70 -> cap 50
    assert price([r], cart(("380", 1, "", "a"))).discount == 3000    # 3 x 10, under the cap


def test_second_item_half_price_on_three_different_prices():
    r = rule(name="第二件半价", kind="multi_buy", group_size=2, discounted=1, percent="50")
    # Units by price: 100, 80 | 60. Group one: the cheaper (80) is half off; 60 has no pair.
    p = price([r], cart(("60", 1, "", "c"), ("100", 1, "", "a"), ("80", 1, "", "b")))
    assert p.discount == 4000
    assert nets(p) == {"l1": 6000, "l2": 10000, "l3": 4000}
    assert p.adjustments[0].line_ids == ("l3",)
    check_consistent(p)


def test_buy_two_get_one_free_takes_the_cheapest_of_each_three():
    r = rule(name="买二送一", kind="multi_buy", group_size=3, discounted=1, percent="100")
    # Units: 50, 45, 30 | 20, 10, 10 -> 30 and one 10 free.
    p = price([r], cart(("50", 1, "", "a"), ("30", 1, "", "b"), ("20", 1, "", "c"),
                        ("45", 1, "", "d"), ("10", 2, "", "e")))
    assert p.discount == 3000 + 1000
    assert nets(p)["l2"] == 0 and nets(p)["l5"] == 1000
    assert p.adjustments[0].line_ids == ("l2", "l5")
    check_consistent(p)


def test_multi_buy_ties_in_price_go_by_line_position():
    r = rule(name="第二件半价", kind="multi_buy", group_size=2, discounted=1, percent="50")
    p = price([r], cart(("10", 1, "", "a"), ("10", 1, "", "b"), ("10", 1, "", "c")))
    # Units l1, l2 | l3: the second of the pair (l2) is the discounted one.
    assert nets(p) == {"l1": 1000, "l2": 500, "l3": 1000}


def test_gold_member_95_percent_then_coupon_100_off_10():
    coupon = rule(name="满100减10券", kind="coupon", codes=["SAVE10"], min_spend="100",
                  amount="10")
    lines = cart(("120", 1, "", "a"), ("30", 1, "", "b"))
    p = price([coupon], lines, level=GOLD, coupons=["save10"])   # codes match in any case
    # 150.00 -> level 5 % = 7.50 off -> 142.50 >= 100 -> 10.00 off -> 132.50
    assert (p.discount, p.total) == (750 + 1000, 13250)
    assert [(a.kind, a.label, a.amount) for a in p.adjustments] == \
        [("member", "金卡", -750), ("promotion", "满100减10券", -1000)]
    assert p.adjustments[0].source == "lv-gold"
    # Without the code the coupon does nothing; without a member no level discount.
    assert price([coupon], lines, level=GOLD).total == 14250
    assert price([coupon], lines, coupons=["SAVE10"]).total == 14000


def test_coupon_min_spend_is_on_the_net_after_earlier_steps():
    coupon = rule(name="满100减10券", kind="coupon", codes=["SAVE10"], min_spend="100",
                  amount="10")
    # 104.00 - 5 % = 98.80 < 100: the coupon does not apply.
    p = price([coupon], cart(("104", 1, "", "a")), level=GOLD, coupons=["SAVE10"])
    assert p.total == 9880


def test_member_price_beats_the_level_discount_on_its_line():
    member_price = rule(name="会员价", kind="fixed_price", price="80", products=["p-tea"],
                        levels=["*"])
    lines = cart(("100", 1, "", "p-tea"), ("50", 1, "", "p-cup"))
    p = price([member_price], lines, level=GOLD)
    # tea 100 -> member price 80 (no 95折 on top); cup 50 x 95 % = 47.50
    assert nets(p) == {"l1": 8000, "l2": 4750}
    assert [(a.label, a.amount, a.line_ids) for a in p.adjustments] == \
        [("会员价", -2000, ("l1",)), ("金卡", -250, ("l2",))]
    assert price([member_price], lines).total == 15000       # not a member: neither


def test_member_price_only_for_its_levels():
    gold_price = rule(name="金卡价", kind="fixed_price", price="80", products=["p-tea"],
                      levels=["lv-gold"])
    lines = cart(("100", 1, "", "p-tea"))
    assert price([gold_price], lines, level=GOLD).total == 8000
    assert price([gold_price], lines, level=SILVER).total == 9800   # 银卡 2 % instead


FLASH = dict(name="限时特价", kind="fixed_price", price="9.90", products=["p-cake"],
             hours=["10:00", "14:00"], days=[1, 2, 3, 4, 5])


@pytest.mark.parametrize("local, total", [
    (datetime(2026, 11, 26, 10, 0), 990 * 2),       # Thursday, the first minute
    (datetime(2026, 11, 26, 13, 59, 59), 990 * 2),  # the last second inside
    (datetime(2026, 11, 26, 14, 0), 1500 * 2),      # end is exclusive
    (datetime(2026, 11, 26, 9, 59), 1500 * 2),
    (datetime(2026, 11, 28, 11, 0), 1500 * 2),      # Saturday: not in days
])
def test_flash_price_only_inside_its_hours_and_days(local, total):
    now = local.replace(tzinfo=SHANGHAI).astimezone(timezone.utc)
    assert price([rule(**FLASH)], cart(("15", 2, "", "p-cake")), now=now).total == total


def test_flash_price_never_raises_a_cheaper_line_and_two_fixed_prices_do_not_add_up():
    flash = rule(**{**FLASH, "days": [], "hours": None})
    member = rule(name="会员价", kind="fixed_price", price="12", products=["p-cake"],
                  levels=["*"])
    assert price([flash], cart(("8", 1, "", "p-cake"))).total == 800
    p = price([flash, member], cart(("15", 1, "", "p-cake")), level=GOLD)
    assert p.total == 990      # the lower price, not 15 - 3 - 5.10


def test_exclusive_group_picks_what_is_better_for_the_customer():
    ten = rule(name="全场9折", kind="percent_off", percent="10", group="daily", priority=20)
    minus = rule(name="满200减30", kind="threshold", tiers=[{"min": "200", "off": "30"}],
                 group="daily", priority=40)
    wrap = rule(name="包装立减1元", kind="amount_off", amount="1", products=["p-wrap"])
    small = cart(("250", 1, "", "a"), ("5", 1, "", "p-wrap"))
    p = price([ten, minus, wrap], small)
    # 9折 on 255.00 (or 254.00 after the wrap rule) = 25.50 vs 满减 30.00 -> 满减; the
    # wrap rule is in no group and stacks.
    assert [a.label for a in p.adjustments if a.label != "包装立减1元"] == ["满200减30"]
    assert p.discount == 3000 + 100
    big = cart(("400", 1, "", "a"))
    assert [a.label for a in price([ten, minus], big).adjustments] == ["全场9折"]   # 40 > 30


def test_exclusive_group_tie_goes_to_lower_priority_then_id():
    a = normalize_rule({"name": "A", "kind": "amount_off", "amount": "10", "group": "g",
                        "priority": 30}, existing_id="pr-b")
    b = normalize_rule({"name": "B", "kind": "amount_off", "amount": "10", "group": "g",
                        "priority": 20}, existing_id="pr-z")
    c = normalize_rule({"name": "C", "kind": "amount_off", "amount": "10", "group": "g",
                        "priority": 20}, existing_id="pr-a")
    p = price([a, b, c], cart(("100", 1, "", "x")))
    assert [adj.label for adj in p.adjustments] == ["C"]


def test_percent_off_a_category_only():
    r = rule(name="绿茶8折", kind="percent_off", percent="20", categories=["cat-tea"])
    p = price([r], cart(("68", 2, "cat-tea", "p-tea"), ("35", 1, "cat-ware", "p-cup")))
    # 136.00 x 20 % = 27.20 on the tea only
    assert nets(p) == {"l1": 10880, "l2": 3500}
    assert p.adjustments[0].line_ids == ("l1",)


def test_product_and_variant_scope():
    r = rule(name="月白杯减5", kind="amount_off", amount="5", per="unit",
             products=["p-cup:v-white"])
    lines = [PricingLine("l1", "p-cup", "v-white", 2, 3900, "", 1),
             PricingLine("l2", "p-cup", "v-blue", 1, 3500, "", 2)]
    p = price([r], lines)
    assert nets(p) == {"l1": 6800, "l2": 3500}


def test_amount_off_per_unit_is_exact_per_line_and_never_below_zero():
    r = rule(name="每件减5元", kind="amount_off", amount="5", per="unit")
    p = price([r], cart(("35", 3, "", "a"), ("3", 2, "", "b")))
    # 3 x 5.00 off the cups; the 3.00 items can only lose their own 6.00
    assert nets(p) == {"l1": 9000, "l2": 0}
    assert p.discount == 1500 + 600
    check_consistent(p)


def test_amount_off_once_over_the_scope_is_shared_by_net():
    r = rule(name="立减20", kind="amount_off", amount="20", per="scope")
    p = price([r], cart(("30", 1, "", "a"), ("10", 1, "", "b")))
    assert nets(p) == {"l1": 1500, "l2": 500}     # 2000 by 3:1


WINDOW = dict(name="双十一", kind="percent_off", percent="10",
              valid_from="2026-11-01T00:00:00+08:00", valid_to="2026-11-12T00:00:00+08:00")


@pytest.mark.parametrize("when, live", [
    (datetime(2026, 11, 1, 0, 0, tzinfo=SHANGHAI), True),                 # from: inclusive
    (datetime(2026, 10, 31, 23, 59, 59, 999999, tzinfo=SHANGHAI), False),
    (datetime(2026, 11, 11, 23, 59, 59, 999999, tzinfo=SHANGHAI), True),
    (datetime(2026, 11, 12, 0, 0, tzinfo=SHANGHAI), False),               # to: exclusive
    (datetime(2026, 11, 11, 16, 0, tzinfo=timezone.utc), False),          # = 12th 00:00 +8
])
def test_validity_window_is_from_inclusive_to_exclusive(when, live):
    p = price([rule(**WINDOW)], cart(("100", 1, "", "a")), now=when)
    assert p.total == (9000 if live else 10000)


def test_switched_off_rule_does_nothing():
    r = {**rule(name="9折", kind="percent_off", percent="10"), "active": False}
    assert price([r], cart(("100", 1, "", "a"))).total == 10000


def test_round_off_after_discounts():
    r = rule(name="85折", kind="percent_off", percent="15")
    lines = cart(("60", 1, "", "a"), ("39.98", 1, "", "b"))
    p = price([r], lines, unit="0.1")
    # 99.98 x 15 % = 14.997 -> 14.99 off -> 84.99 -> 抹分 to 84.90
    assert (p.discount, p.rounding, p.total) == (1499, -9, 8490)
    assert [a.kind for a in p.adjustments] == ["promotion", "rounding"]
    check_consistent(p)
    up = price([r], lines, unit="0.1", mode="half_up")
    assert (up.rounding, up.total) == (1, 8500)
    check_consistent(up)


def test_order_of_application_is_priority_then_id_whatever_the_input_order():
    first = rule(name="9折", kind="percent_off", percent="10", priority=10)
    then = rule(name="满100减20", kind="threshold", tiers=[{"min": "100", "off": "20"}],
                priority=20)
    lines = cart(("110", 1, "", "a"))
    # 110 -> 99 -> below 100: no 满减. The other way round it would be 110 - 20 = 90 -> 81.
    for rules in ([first, then], [then, first]):
        p = price(rules, lines)
        assert p.total == 9900 and [a.label for a in p.adjustments] == ["9折"]


def test_coupon_rule_and_topup_bonus_and_gifts():
    c = rule(name="券", kind="coupon", codes=["ABC-123"], percent="10")
    off = {**rule(name="旧券", kind="coupon", codes=["OLD-1"], amount="5"), "active": False}
    bonus = rule(name="充500送50", kind="topup_bonus",
                 tiers=[{"min": "500", "bonus": "50"}, {"min": "1000", "bonus": "150"}])
    gift = rule(name="积分换杯", kind="points_gift", product_id="p-cup", points=500,
                levels=["*"])
    rules = [c, off, bonus, gift]
    ctx = PriceContext(THURSDAY, SHANGHAI, GOLD)
    assert coupon_rule(rules, "abc-123", ctx)["id"] == c["id"]
    assert coupon_rule(rules, "OLD-1", ctx) is None and coupon_rule(rules, "NOPE", ctx) is None
    assert topup_bonus(rules, 49999, ctx) == (0, None)
    assert topup_bonus(rules, 50000, ctx) == (5000, bonus)
    assert topup_bonus(rules, 120000, ctx) == (15000, bonus)
    assert gifts(rules, ctx) == [gift]
    assert gifts(rules, PriceContext(THURSDAY, SHANGHAI, None)) == []


def test_hours_over_midnight():
    night = rule(name="夜场", kind="percent_off", percent="10", hours=["22:00", "02:00"])
    lines = cart(("100", 1, "", "a"))
    at = lambda h, m=0: datetime(2026, 11, 26, h, m, tzinfo=SHANGHAI)  # noqa: E731
    assert price([night], lines, now=at(23)).total == 9000
    assert price([night], lines, now=at(1, 59)).total == 9000
    assert price([night], lines, now=at(2)).total == 10000
    assert price([night], lines, now=at(12)).total == 10000


def test_a_discount_never_takes_the_order_below_zero():
    huge = rule(name="立减1000", kind="amount_off", amount="1000")
    more = rule(name="满1减1", kind="threshold", tiers=[{"min": "1", "off": "0.50"}],
                repeat=True)
    p = price([huge, more], cart(("30", 1, "", "a"), ("12.34", 2, "", "b")))
    assert p.total == 0 and all(v == 0 for v in nets(p).values())
    assert [a.amount for a in p.adjustments] == [-5468]      # nothing left for the second
    check_consistent(p)


def test_now_within_a_minute_of_the_end_of_hours():
    # 13:59 local is inside [10:00, 14:00): minutes, not hours, decide.
    now = datetime(2026, 11, 26, 13, 59, tzinfo=SHANGHAI) + timedelta(seconds=30)
    assert price([rule(**FLASH)], cart(("15", 1, "", "p-cake")), now=now).total == 990


def test_a_friday_night_window_runs_past_midnight_into_saturday_only():
    from zoneinfo import ZoneInfo

    from appliance.promotions.rules import is_live, normalize_rule
    sh = ZoneInfo("Asia/Shanghai")
    rule = normalize_rule({"name": "周五夜场", "kind": "percent_off", "percent": "10",
                           "days": [5], "hours": ["22:00", "02:00"]})
    at = lambda d, h, m: datetime(2026, 11, d, h, m, tzinfo=sh)   # noqa: E731  27th: Friday
    assert [is_live(rule, at(*t), sh) for t in
            [(27, 21, 59), (27, 22, 0), (27, 23, 30), (28, 1, 59), (28, 2, 0), (27, 1, 0),
             (28, 22, 30)]] == [False, True, True, True, False, False, False]
