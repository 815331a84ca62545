"""Properties of the engine over random carts and random rule sets (every kind, groups,
priorities, windows, levels, coupons), priced by the real PricingPipeline."""

import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings, strategies as st

from appliance import money
from appliance.orders.pricing import PricingLine, PricingPipeline
from appliance.promotions.engine import PriceContext, pricing_steps
from appliance.promotions.rules import normalize_level, normalize_rule

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 4, 15, tzinfo=timezone.utc)     # Thursday 12:15 in Shanghai
PRODUCTS = [f"p-{i}" for i in range(8)]
CATEGORIES = ["cat-a", "cat-b", "cat-c", ""]
CODES = ["ABC-1", "SAVE10", "VIP-99"]
LEVELS = {None: None,
          "lv-gold": normalize_level({"id": "lv-gold", "name": "金卡", "discount_percent": "5"}),
          "lv-silver": normalize_level({"id": "lv-silver", "name": "银卡",
                                        "discount_percent": "2.5"}),
          "lv-normal": normalize_level({"id": "lv-normal", "name": "普通会员"})}

EXAMPLES = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def yuan(fen: int) -> str:
    return money.format_amount(fen)


@st.composite
def lines_st(draw):
    n = draw(st.integers(1, 30))
    out = []
    for i in range(n):
        pid = draw(st.sampled_from(PRODUCTS))
        out.append(PricingLine(f"l{i}", pid, draw(st.sampled_from(["", "v-1", "v-2"])),
                               draw(st.integers(1, 12)), draw(st.integers(0, 200_000)),
                               draw(st.sampled_from(CATEGORIES)), i + 1))
    return out


percent = st.integers(1, 10000).map(lambda bp: f"{bp // 100}.{bp % 100:02d}")
amount = st.integers(1, 50_000).map(yuan)


@st.composite
def tiers_st(draw, second):
    mins = sorted(draw(st.sets(st.integers(100, 500_000), min_size=1, max_size=4)))
    return [{"min": yuan(m), second: yuan(draw(st.integers(1, m - 1)))} for m in mins]


@st.composite
def rule_st(draw, i):
    kind = draw(st.sampled_from(["percent_off", "amount_off", "fixed_price", "threshold",
                                 "multi_buy", "coupon"]))
    doc = {"name": f"r{i}-{kind}", "kind": kind}
    if draw(st.booleans()):
        doc["priority"] = draw(st.integers(0, 60))
    if draw(st.integers(0, 3)) == 0:
        doc["group"] = draw(st.sampled_from(["g1", "g2"]))
    scope = draw(st.integers(0, 3))
    if scope == 1:
        doc["products"] = draw(st.lists(st.sampled_from(PRODUCTS + ["p-1:v-1", "p-2:v-2"]),
                                        min_size=1, max_size=3, unique=True))
    elif scope == 2:
        doc["categories"] = draw(st.lists(st.sampled_from(CATEGORIES[:3]), min_size=1,
                                          max_size=2, unique=True))
    if draw(st.integers(0, 3)) == 0:
        doc["levels"] = draw(st.sampled_from([["*"], ["lv-gold"], ["lv-silver", "lv-normal"]]))
    window = draw(st.integers(0, 5))
    if window == 1:        # around now: live or not
        start = NOW + timedelta(hours=draw(st.integers(-48, 2)))
        doc["valid_from"] = start.astimezone(TZ).isoformat()
        doc["valid_to"] = (start + timedelta(hours=draw(st.integers(1, 72)))).isoformat()
    elif window == 2:
        doc["days"] = sorted(draw(st.sets(st.integers(1, 7), min_size=1)))
    elif window == 3:
        a, b = draw(st.lists(st.integers(0, 23), min_size=2, max_size=2, unique=True))
        doc["hours"] = [f"{a:02d}:00", f"{b:02d}:30"]
    if kind == "percent_off":
        doc["percent"] = draw(percent)
    elif kind == "amount_off":
        doc.update(amount=draw(amount), per=draw(st.sampled_from(["unit", "scope"])))
    elif kind == "fixed_price":
        doc["price"] = yuan(draw(st.integers(0, 150_000)))
    elif kind == "threshold":
        doc.update(tiers=draw(tiers_st("off")), repeat=draw(st.booleans()),
                   cap=yuan(draw(st.sampled_from([0, 0, 1000, 20_000]))))
    elif kind == "multi_buy":
        size = draw(st.integers(2, 4))
        doc.update(group_size=size, discounted=draw(st.integers(1, size - 1)),
                   percent=draw(percent))
    else:
        doc["codes"] = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=2,
                                     unique=True))
        doc["min_spend"] = yuan(draw(st.sampled_from([0, 5000, 50_000])))
        if draw(st.booleans()):
            doc["percent"] = draw(percent)
        else:
            doc["amount"] = draw(amount)
    return normalize_rule(doc, existing_id=f"pr-{i:04d}")


@st.composite
def case_st(draw):
    lines = draw(lines_st())
    rules = [draw(rule_st(i)) for i in range(draw(st.integers(0, 12)))]
    level = LEVELS[draw(st.sampled_from(list(LEVELS)))]
    coupons = tuple(c.lower() if draw(st.booleans()) else c
                    for c in draw(st.lists(st.sampled_from(CODES), max_size=2, unique=True)))
    ctx = PriceContext(NOW + timedelta(minutes=draw(st.integers(-600, 600))), TZ, level,
                       coupons)
    unit = draw(st.sampled_from(["none", "0.1", "1"]))
    mode = draw(st.sampled_from(["down", "half_up"]))
    return lines, rules, ctx, unit, mode


def price(lines, rules, ctx, unit, mode):
    return PricingPipeline(pricing_steps(rules, ctx)).price(lines, round_off_unit=unit,
                                                            round_off_mode=mode)


@EXAMPLES
@given(case_st())
def test_never_negative_and_everything_adds_up_to_the_fen(case):
    lines, rules, ctx, unit, mode = case
    p = price(*case)
    assert p.total >= 0 and p.discount >= 0
    assert all(v["net"] >= 0 for v in p.lines.values())
    assert sum(v["net"] for v in p.lines.values()) == p.total
    # what the lines lost is exactly what the order lost (discount and round-off)
    assert sum(v["discount"] for v in p.lines.values()) == p.subtotal - p.total
    assert p.total == p.subtotal - p.discount + p.rounding
    assert sum(a.amount for a in p.adjustments) == p.rounding - p.discount
    names = {r["id"]: r["name"] for r in rules}
    line_ids = {ln.line_id for ln in lines}
    for a in p.adjustments:
        assert a.amount != 0
        if a.kind == "promotion":
            assert a.label == names[a.source] and a.amount < 0
            assert a.line_ids and set(a.line_ids) <= line_ids
        elif a.kind == "member":
            assert ctx.level is not None and a.source == ctx.level["id"]
        else:
            assert a.kind == "rounding"


@EXAMPLES
@given(case_st(), st.randoms(use_true_random=False))
def test_same_input_same_result_whatever_the_order_of_the_rules(case, rnd):
    lines, rules, ctx, unit, mode = case
    first = price(*case).to_record()
    assert price(*case).to_record() == first
    shuffled = list(rules)
    rnd.shuffle(shuffled)
    assert price(lines, shuffled, ctx, unit, mode).to_record() == first


@EXAMPLES
@given(case_st(), st.randoms(use_true_random=False))
def test_refunding_every_line_in_random_steps_gives_back_exactly_what_was_paid(case, rnd):
    lines, *_ = case
    p = price(*case)
    given_back = 0
    for ln in lines:
        net, done_qty, done_amount = p.lines[ln.line_id]["net"], 0, 0
        while done_qty < ln.qty:
            q = rnd.randint(1, ln.qty - done_qty)
            part = money.share_for_qty(net, ln.qty, done_qty, q, done_amount)
            assert part >= 0
            done_qty, done_amount = done_qty + q, done_amount + part
        assert done_amount == net
        given_back += done_amount
    assert given_back == p.total


@settings(max_examples=100, deadline=None)
@given(case_st())
def test_rules_that_are_all_off_change_nothing(case):
    lines, rules, ctx, unit, mode = case
    off = [{**r, "active": False} for r in rules]
    p = PricingPipeline(pricing_steps(off, PriceContext(ctx.now, TZ, None))).price(lines)
    assert p.total == p.subtotal and p.adjustments == []


def test_a_big_random_cart_is_priced_the_same_in_any_rule_order():
    # One fixed, larger example on top of the property runs: 30 lines, 60 rules.
    rnd = random.Random(7)
    lines = [PricingLine(f"l{i}", rnd.choice(PRODUCTS), "", rnd.randint(1, 5),
                         rnd.randint(100, 90_000), rnd.choice(CATEGORIES), i) for i in range(30)]
    docs = []
    for i in range(60):
        kind = ["percent_off", "threshold", "multi_buy", "fixed_price", "amount_off"][i % 5]
        doc = {"name": f"r{i}", "kind": kind, "priority": rnd.randint(0, 50),
               "group": rnd.choice(["", "", "g1"]),
               "categories": [rnd.choice(CATEGORIES[:3])]}
        doc.update({"percent_off": {"percent": "5"},
                    "threshold": {"tiers": [{"min": "100", "off": "5"}], "repeat": True},
                    "multi_buy": {"group_size": 3, "discounted": 1, "percent": "100"},
                    "fixed_price": {"price": "300"},
                    "amount_off": {"amount": "2", "per": "unit"}}[kind])
        docs.append(normalize_rule(doc, existing_id=f"pr-{i:03d}"))
    ctx = PriceContext(NOW, TZ, LEVELS["lv-gold"])
    first = price(lines, docs, ctx, "0.1", "down")
    for _ in range(5):
        rnd.shuffle(docs)
        assert price(lines, docs, ctx, "0.1", "down").to_record() == first.to_record()
    assert first.discount > 0 and first.total >= 0
