"""Reports.daily and Reports.staff (what finance builds on) against hand-worked figures."""

from datetime import date

import pytest

import reportshop


@pytest.fixture
def history(shop):
    return reportshop.build(shop)


def test_daily_counts_sales_on_the_shop_local_day_they_were_completed(history):
    days = history["reports"].daily(date(2026, 11, 24), date(2026, 11, 28))
    assert [d["day"] for d in days] == ["2026-11-24", "2026-11-25", "2026-11-26",
                                        "2026-11-27", "2026-11-28"]
    pick = [{k: d[k] for k in ("day", "orders", "sales", "refunds", "net", "cogs",
                               "gross_profit")} for d in days]
    assert pick == [
        # nothing happened: a row of zeros, not a missing day
        {"day": "2026-11-24", "orders": 0, "sales": 0, "refunds": 0, "net": 0, "cogs": 0,
         "gross_profit": 0},
        # 136.00 (2 tea) + 35.00 (cup at 23:59:30 local); cost 2 x 40 + 15
        {"day": "2026-11-25", "orders": 2, "sales": 17100, "refunds": 0, "net": 17100,
         "cogs": 9500, "gross_profit": 7600},
        # 73.00 (at 00:00:30 local) + 78.00; refund 68.00 (one tea, cost 40 back)
        {"day": "2026-11-26", "orders": 2, "sales": 15100, "refunds": 6800, "net": 8300,
         "cogs": 4000 + 3000 - 4000, "gross_profit": 5300},
        {"day": "2026-11-27", "orders": 1, "sales": 6800, "refunds": 0, "net": 6800,
         "cogs": 4000, "gross_profit": 2800},
        {"day": "2026-11-28", "orders": 0, "sales": 0, "refunds": 0, "net": 0, "cogs": 0,
         "gross_profit": 0},
    ]


def test_daily_of_one_day_has_one_row(history):
    (day,) = history["reports"].daily(date(2026, 11, 26), date(2026, 11, 26))
    assert (day["day"], day["orders"], day["net"]) == ("2026-11-26", 2, 8300)


def test_staff_by_who_opened_and_who_settled(history):
    rows = history["reports"].staff(date(2026, 11, 25), date(2026, 11, 27))
    wang, li = history["wang"], history["li"]
    assert rows == [
        {"staff_id": wang.id, "name": "王导购", "opened_orders": 3,
         "opened_sales": 13600 + 7300 + 7800, "settled_orders": 0, "settled_sales": 0},
        {"staff_id": li.id, "name": "李收银", "opened_orders": 1, "opened_sales": 6800,
         "settled_orders": 5, "settled_sales": 13600 + 3500 + 7300 + 7800 + 6800},
        # not in the staff list (any more): shown by id
        {"staff_id": "s-manager", "name": "s-manager", "opened_orders": 1,
         "opened_sales": 3500, "settled_orders": 0, "settled_sales": 0},
    ]


def test_staff_of_one_day_counts_only_that_days_orders(history):
    rows = history["reports"].staff(date(2026, 11, 25), date(2026, 11, 25))
    by_id = {r["staff_id"]: r for r in rows}
    assert by_id[history["wang"].id]["opened_sales"] == 13600
    assert by_id[history["li"].id]["settled_orders"] == 2
    assert by_id["s-manager"]["opened_orders"] == 1


def test_a_period_that_ends_before_it_starts_is_refused(history):
    from appliance.errors import ValidationError
    with pytest.raises(ValidationError):
        history["reports"].daily(date(2026, 11, 27), date(2026, 11, 26))


def test_goods_refunded_without_restocking_stay_a_cost(history, shop):
    """Broken goods taken back and thrown away: the money goes back, their cost does not."""
    e = shop.engine
    reportshop.at(shop.clock, 2026, 11, 28, 2, 0)
    order = e.open_order(shop.cashier)
    e.add_line(shop.cashier, order.id, barcode=reportshop.TEA)
    e.add_payment(shop.cashier, order.id, "cash", 6800)
    e.refund(shop.manager, order.id, reason="碎了", restock=False)
    (day,) = history["reports"].daily(date(2026, 11, 28), date(2026, 11, 28))
    # sold 68.00 at cost 40.00, all refunded: net 0, the 40.00 of tea is lost
    assert (day["sales"], day["refunds"], day["net"], day["cogs"], day["gross_profit"]) == \
        (6800, 6800, 0, 4000, -4000)
