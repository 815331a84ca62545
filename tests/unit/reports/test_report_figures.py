"""Every section of the report against figures worked out by hand from reportshop's history
(see its docstring for the sales, refund and visitors)."""

from datetime import date

import pytest

import reportshop


@pytest.fixture
def history(shop):
    return reportshop.build(shop)


@pytest.fixture
def report(history):
    r = history["reports"]
    return r.build(r.period(date(2026, 11, 25), date(2026, 11, 27)))


def test_summary(report):
    assert report["summary"] == {
        "orders": 5, "sales": 39000, "refunds": 6800, "refund_count": 1, "net": 32200,
        "cogs": 16500, "gross_profit": 15700,
        "margin_pct": "48.8",             # 157 / 322 = 48.76 %
        "average_basket": 6440,           # 322.00 / 5
        "visitors": 30, "conversion_pct": "16.7"}   # 5 orders / 30 people


def test_by_hour_of_the_day_with_traffic_and_conversion(report):
    hours = {h["hour"]: h for h in report["hours"]}
    assert [h["hour"] for h in report["hours"]] == list(range(24))   # 00:00 to 23:00 busy
    got = {h: (r["orders"], r["sales"], r["refunds"], r["visitors"], r["conversion_pct"])
           for h, r in hours.items() if r["orders"] or r["refunds"] or r["visitors"]}
    assert got == {
        0: (1, 7300, 0, 1, "100.0"),      # the sale at 00:00:30
        9: (1, 6800, 0, 4, "25.0"),
        10: (1, 13600, 0, 10, "10.0"),
        11: (1, 7800, 0, 8, "12.5"),
        14: (0, 0, 6800, 5, "0.0"),       # the refund's hour
        23: (1, 3500, 0, 2, "50.0"),      # the sale at 23:59:30
    }
    assert hours[12]["conversion_pct"] is None   # nobody came in: no rate, not 0


def test_by_week_and_month(report):
    week = {"key": "2026-W48", "first_day": "2026-11-25", "last_day": "2026-11-27",
            "orders": 5, "sales": 39000, "refunds": 6800, "cogs": 16500, "refund_count": 1,
            "net": 32200, "gross_profit": 15700, "margin_pct": "48.8"}
    assert report["weeks"] == [week]
    assert report["months"] == [{**week, "key": "2026-11"}]


def test_by_category(report, shop):
    assert [(c["name"], c["qty"], c["sales"], c["refunds"], c["net"], c["cogs"],
             c["gross_profit"]) for c in report["categories"]] == [
        # 2 + 1 + 1 tea, a blue and two white cups, one tea back
        ("绿茶", 6, 38500, 6800, 31700, 16500, 15200),
        ("No category", 1, 500, 0, 500, 0, 500),     # the gift wrap
    ]


def test_by_product_and_top_products(report):
    rows = [(p["name"], p["spec"], p["sold_qty"], p["refunded_qty"], p["qty"], p["net"],
             p["cogs"], p["gross_profit"], p["margin_pct"]) for p in report["products"]]
    assert rows == [
        ("西湖龙井", "", 4, 1, 3, 27200 - 6800, 16000 - 4000, 8400, "41.2"),
        ("汝窑茶杯", "颜色:月白", 2, 0, 2, 7800, 3000, 4800, "61.5"),
        ("汝窑茶杯", "颜色:天青", 1, 0, 1, 3500, 1500, 2000, "57.1"),
        ("礼品包装", "", 1, 0, 1, 500, 0, 500, "100.0"),
    ]
    assert report["top_products"] == report["products"]   # fewer than ten


def test_by_tender_with_refunds_by_tender(report):
    assert [(t["method"], t["payments"], t["sales"], t["refund_count"], t["refunds"],
             t["net"]) for t in report["tenders"]] == [
        ("cash", 3, 13600 + 2300 + 7800, 1, 6800, 16900),   # applied, not the 200.00 handed over
        ("card", 2, 3500 + 5000, 0, 0, 8500),
        ("wechat", 1, 6800, 0, 0, 6800),
    ]
    assert sum(t["sales"] for t in report["tenders"]) == report["summary"]["sales"]


def test_by_member_level(report):
    assert [(m["level_id"], m["name"], m["orders"], m["sales"], m["refunds"], m["net"],
             m["average_basket"], m["current_level_orders"])
            for m in report["member_levels"]] == [
        ("lv-normal", "普通会员", 1, 7800, 0, 7800, 7800, 0),
        ("", "Not a member", 4, 31200, 6800, 24400, 6100, 0),
    ]


def test_an_old_order_without_its_level_counts_under_the_members_level_today(history, shop):
    with shop.ledger.transaction() as tx:    # as a ledger from before issue 9 would have it
        tx.conn.execute("UPDATE orders SET member_level = NULL WHERE member_id IS NOT NULL")
    r = history["reports"]
    levels = r.build(r.period("2026-11-26", "2026-11-26"))["member_levels"]
    assert [(m["level_id"], m["orders"], m["current_level_orders"]) for m in levels] == [
        ("lv-normal", 1, 1), ("", 1, 0)]


def test_refunds_by_reason(report):
    assert report["refund_reasons"] == [{"reason": "damaged", "count": 1, "amount": 6800}]


def test_slow_products_are_stock_on_hand_that_sold_least(report):
    # on hand: tea 20 - 4 + 1 = 17 (40.00), blue 5 - 1 = 4, white 5 - 2 = 3 (15.00 each);
    # the spec as the stock page writes it
    assert [(s["name"], s["spec"], s["stock"], s["sold"], s["value"])
            for s in report["slow_products"]] == [
        ("汝窑茶杯", "颜色=天青", 4, 1, 6000),
        ("汝窑茶杯", "颜色=月白", 3, 2, 4500),
        ("西湖龙井", "", 17, 4, 68000),
    ]


def test_a_quiet_period_is_all_zeros(history):
    r = history["reports"]
    report = r.build(r.period("2026-12-01", "2026-12-03"))
    assert report["summary"]["orders"] == 0 and report["summary"]["margin_pct"] is None
    assert report["hours"] == [] and report["products"] == [] and report["tenders"] == []
    assert [d["net"] for d in report["days"]] == [0, 0, 0]


def test_presets_and_default_period(history, shop):
    r = history["reports"]
    reportshop.at(shop.clock, 2026, 11, 27, 16, 30)      # 00:30 on Saturday 11-28, local
    assert r.period().first == date(2026, 11, 28)
    assert (r.period(name="yesterday").first, r.period(name="this_week").first) == (
        date(2026, 11, 27), date(2026, 11, 23))
    last = r.period(name="last_month")
    assert (last.first, last.last) == (date(2026, 10, 1), date(2026, 10, 31))


def test_json_amounts_are_decimal_strings(report):
    from appliance.reports import to_json
    doc = to_json(report)
    assert doc["summary"]["net"] == "322.00" and doc["summary"]["orders"] == 5
    assert doc["days"][0]["cogs"] == "95.00"
    assert doc["staff"][0]["opened_sales"] == "287.00"
