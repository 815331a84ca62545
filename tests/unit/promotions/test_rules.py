"""normalize_rule / rule_to_json: API JSON in, internal ints out, and back; every bad field
is refused with a message that names it."""

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from appliance.errors import ValidationError
from appliance.promotions.rules import (DEFAULT_PRIORITY, KINDS, is_live, level_to_json,
                                        normalize_code, normalize_level, normalize_rule,
                                        rule_to_json)

FULL = [
    {"name": "全场9折", "kind": "percent_off", "percent": "10"},
    {"name": "绿茶立减", "name_en": "Tea 5 off", "kind": "amount_off", "amount": "5",
     "per": "unit", "categories": ["cat-tea"], "priority": 25, "group": "tea"},
    {"name": "限时特价", "kind": "fixed_price", "price": "9.90", "products": ["p-1", "p-2:v-1"],
     "valid_from": "2026-11-01T00:00:00+08:00", "valid_to": "2026-11-12T00:00:00+08:00",
     "days": [6, 1, 7], "hours": ["10:00", "14:00"]},
    {"name": "满减", "kind": "threshold", "tiers": [{"min": "300", "off": "40"},
                                                  {"min": "500", "off": "100"}],
     "repeat": True, "cap": "150", "levels": ["*"]},
    {"name": "第二件半价", "kind": "multi_buy", "group_size": 2, "discounted": 1,
     "percent": "50", "levels": ["lv-gold", "lv-silver"]},
    {"name": "券", "kind": "coupon", "codes": ["abc-123", "XYZ9"], "max_uses": 100,
     "max_uses_per_member": 1, "min_spend": "100", "percent": "12.5"},
    {"name": "充500送50", "kind": "topup_bonus", "tiers": [{"min": "500", "bonus": "50"}]},
    {"name": "积分换杯", "kind": "points_gift", "product_id": "p-cup", "variant_id": "v-2",
     "points": 500, "active": False},
]


@pytest.mark.parametrize("doc", FULL, ids=[d["kind"] for d in FULL])
def test_round_trip_through_json_gives_the_same_rule(doc):
    rule = normalize_rule(doc)
    assert re.fullmatch(r"pr-[0-9a-f]{12}", rule["id"])
    assert normalize_rule(rule_to_json(rule), existing_id=rule["id"]) == rule
    # and the JSON holds no ints for money, no basis points
    js = rule_to_json(rule)
    assert "percent_bp" not in js
    for key in ("amount", "price", "cap", "min_spend"):
        if key in js:
            assert isinstance(js[key], str)


def test_internal_units_are_fen_and_basis_points():
    t = normalize_rule(FULL[3])
    assert t["tiers"] == [{"min": 30000, "off": 4000}, {"min": 50000, "off": 10000}]
    assert (t["cap"], t["repeat"], t["priority"]) == (15000, True, DEFAULT_PRIORITY["threshold"])
    c = normalize_rule(FULL[5])
    assert (c["codes"], c["percent_bp"], c["amount"], c["min_spend"]) == \
        (["ABC-123", "XYZ9"], 1250, 0, 10000)
    f = normalize_rule(FULL[2])
    assert f["days"] == [1, 6, 7] and f["price"] == 990
    assert f["valid_from"] == "2026-11-01T00:00:00+08:00"
    assert rule_to_json(c)["percent"] == "12.5"


def test_default_priorities_by_kind():
    assert DEFAULT_PRIORITY == {"fixed_price": 10, "percent_off": 20, "amount_off": 20,
                                "multi_buy": 30, "threshold": 40, "coupon": 50,
                                "topup_bonus": 60, "points_gift": 60}
    for doc in FULL:
        assert normalize_rule(doc)["priority"] == doc.get("priority",
                                                          DEFAULT_PRIORITY[doc["kind"]])


def test_existing_id_is_kept_and_source_and_live_from_a_get_are_ignored():
    rule = normalize_rule({**FULL[0], "source": "shop", "live": True}, existing_id="pr-x")
    assert rule["id"] == "pr-x" and "source" not in rule and "live" not in rule
    assert normalize_rule({**FULL[0], "id": "ho-77"})["id"] == "ho-77"


def ok(**kw):
    return {"name": "x", "kind": "percent_off", "percent": "10", **kw}


BAD = [
    ({"name": "x", "kind": "bogus"}, "kind"),
    ({"name": "x"}, "kind"),
    (ok(colour="red"), "colour"),
    (ok(price="1"), "price"),                       # a field of another kind
    (ok(name=""), "name"),
    (ok(name=None), "name"),
    (ok(name="x" * 61), "name"),
    (ok(active="yes"), "active"),
    (ok(priority="1"), "priority"),
    (ok(priority=-1), "priority"),
    (ok(priority=True), "priority"),
    (ok(group=5), "group"),
    (ok(valid_from="2026-11-01T00:00:00"), "valid_from"),      # no zone
    (ok(valid_from="2026-11-01"), "valid_from"),
    (ok(valid_to="tomorrow"), "valid_to"),
    (ok(valid_from="2026-11-02T00:00:00+08:00", valid_to="2026-11-01T00:00:00+08:00"),
     "valid_to"),
    (ok(valid_from="2026-11-01T00:00:00+08:00", valid_to="2026-11-01T00:00:00+08:00"),
     "valid_to"),
    (ok(days=[0]), "days"),
    (ok(days=[8]), "days"),
    (ok(days=[1, 1]), "days"),
    (ok(days="weekdays"), "days"),
    (ok(hours=["9:00", "14:00"]), "hours"),
    (ok(hours=["10:00", "24:30"]), "hours"),
    (ok(hours=["10:00"]), "hours"),
    (ok(hours=["10:00", "10:00"]), "hours"),
    (ok(hours=["10:60", "11:00"]), "hours"),
    (ok(levels=["*", "lv-gold"]), "levels"),
    (ok(levels="lv-gold"), "levels"),
    (ok(products=["p 1"]), "products"),
    (ok(products=["p-1", "p-1"]), "products"),
    (ok(categories=[5]), "categories"),
    (ok(percent="0"), "percent"),
    (ok(percent="100.01"), "percent"),
    (ok(percent="101"), "percent"),
    (ok(percent="10.123"), "percent"),
    (ok(percent=10), "percent"),
    (ok(percent="-5"), "percent"),
    (ok(id="has space"), "id"),
    ({"name": "x", "kind": "amount_off", "amount": "0"}, "amount"),
    ({"name": "x", "kind": "amount_off", "amount": 5}, "amount"),
    ({"name": "x", "kind": "amount_off", "amount": "5.001"}, "amount"),
    ({"name": "x", "kind": "amount_off", "amount": "5", "per": "line"}, "per"),
    ({"name": "x", "kind": "fixed_price"}, "price"),
    ({"name": "x", "kind": "fixed_price", "price": "-1"}, "price"),
    ({"name": "x", "kind": "threshold", "tiers": []}, "tiers"),
    ({"name": "x", "kind": "threshold", "tiers": [{"min": "100"}]}, "tiers[0]"),
    ({"name": "x", "kind": "threshold", "tiers": [{"min": "100", "off": "100"}]},
     "tiers[0].off"),
    ({"name": "x", "kind": "threshold", "tiers": [{"min": "300", "off": "40"},
                                                  {"min": "300", "off": "50"}]},
     "tiers[1].min"),
    ({"name": "x", "kind": "threshold", "tiers": [{"min": "500", "off": "100"},
                                                  {"min": "300", "off": "40"}]},
     "tiers[1].min"),
    ({"name": "x", "kind": "threshold", "tiers": [{"min": "0", "off": "0"}]}, "tiers[0].min"),
    ({"name": "x", "kind": "threshold", "tiers": [{"min": "100", "off": "10"}],
      "repeat": 1}, "repeat"),
    ({"name": "x", "kind": "threshold", "tiers": [{"min": "100", "off": "10"}],
      "cap": "-1"}, "cap"),
    ({"name": "x", "kind": "multi_buy", "discounted": 1, "percent": "50"}, "group_size"),
    ({"name": "x", "kind": "multi_buy", "group_size": 1, "percent": "50"}, "group_size"),
    ({"name": "x", "kind": "multi_buy", "group_size": 2, "discounted": 2, "percent": "50"},
     "discounted"),
    ({"name": "x", "kind": "multi_buy", "group_size": 2, "discounted": 1}, "percent"),
    ({"name": "x", "kind": "coupon", "codes": [], "amount": "5"}, "codes"),
    ({"name": "x", "kind": "coupon", "codes": ["AB"], "amount": "5"}, "codes[0]"),
    ({"name": "x", "kind": "coupon", "codes": ["A" * 33], "amount": "5"}, "codes[0]"),
    ({"name": "x", "kind": "coupon", "codes": ["ABC_1"], "amount": "5"}, "codes[0]"),
    ({"name": "x", "kind": "coupon", "codes": ["ok-1", "OK-1"], "amount": "5"}, "codes"),
    ({"name": "x", "kind": "coupon", "codes": ["ABC"]}, "percent"),
    ({"name": "x", "kind": "coupon", "codes": ["ABC"], "amount": "5", "percent": "10"},
     "percent"),
    ({"name": "x", "kind": "coupon", "codes": ["ABC"], "amount": "5", "max_uses": -1},
     "max_uses"),
    ({"name": "x", "kind": "coupon", "codes": ["ABC"], "amount": "5",
      "max_uses_per_member": "1"}, "max_uses_per_member"),
    ({"name": "x", "kind": "coupon", "codes": ["ABC"], "amount": "5", "min_spend": "x"},
     "min_spend"),
    ({"name": "x", "kind": "topup_bonus", "tiers": [{"min": "500", "off": "50"}]},
     "tiers[0]"),
    ({"name": "x", "kind": "points_gift", "points": 5}, "product_id"),
    ({"name": "x", "kind": "points_gift", "product_id": "p-1", "points": 0}, "points"),
    ({"name": "x", "kind": "points_gift", "product_id": "p-1", "variant_id": "v 1",
      "points": 5}, "variant_id"),
]


@pytest.mark.parametrize("doc, field", BAD, ids=[f"{i}-{f}" for i, (_d, f) in enumerate(BAD)])
def test_bad_field_is_refused_naming_it(doc, field):
    with pytest.raises(ValidationError) as err:
        normalize_rule(doc)
    assert err.value.field == field
    assert field.split("[")[0].split(".")[0] in err.value.message


def test_not_an_object_is_refused():
    with pytest.raises(ValidationError):
        normalize_rule(["percent_off"])


def test_every_kind_has_a_worked_example():
    assert {d["kind"] for d in FULL} == set(KINDS)


def test_coupon_codes_are_upper_cased():
    assert normalize_code(" abc-12 ") == "ABC-12"
    with pytest.raises(ValidationError):
        normalize_code("a b c")


def test_is_live_uses_shop_local_weekday_and_hours():
    r = normalize_rule(ok(days=[4], hours=["10:00", "14:00"]))
    sh = ZoneInfo("Asia/Shanghai")
    # 2026-11-26 is a Thursday; 02:30 UTC is 10:30 in Shanghai but still Wednesday in
    # New York: the shop's zone decides.
    now = datetime(2026, 11, 26, 2, 30, tzinfo=timezone.utc)
    assert is_live(r, now, sh)
    assert not is_live(r, now, ZoneInfo("America/New_York"))
    assert not is_live({**r, "active": False}, now, sh)
    assert is_live(r, now.replace(tzinfo=None), sh)        # naive is read as UTC


def test_level_normalised_and_back():
    lv = normalize_level({"name": "金卡", "name_en": "Gold", "sort": 2,
                          "discount_percent": "5", "points_per_yuan": "2",
                          "excluded_categories": ["cat-cig"]})
    assert re.fullmatch(r"lv-[0-9a-f]{12}", lv["id"])
    assert (lv["discount_bp"], lv["points_per_yuan_c"], lv["active"]) == (9500, 200, True)
    js = level_to_json(lv)
    assert (js["discount_percent"], js["points_per_yuan"]) == ("5", "2")
    assert normalize_level(js, existing_id=lv["id"]) == lv
    normal = normalize_level({"id": "lv-normal", "name": "普通会员"})
    assert (normal["discount_bp"], normal["points_per_yuan_c"]) == (10000, 100)


@pytest.mark.parametrize("doc, field", [
    ({"name": "x", "discount_percent": "100"}, "discount_percent"),
    ({"name": "x", "discount_percent": 5}, "discount_percent"),
    ({"name": "x", "points_per_yuan": "1.234"}, "points_per_yuan"),
    ({"name": "x", "points_per_yuan": "-1"}, "points_per_yuan"),
    ({"name": ""}, "name"),
    ({"name": "x", "sort": "1"}, "sort"),
    ({"name": "x", "discount_bp": 9500}, "discount_bp"),
    ({"name": "x", "excluded_categories": "cat-1"}, "excluded_categories"),
])
def test_bad_level_field_is_refused(doc, field):
    with pytest.raises(ValidationError) as err:
        normalize_level(doc)
    assert err.value.field == field
