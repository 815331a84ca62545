"""The dashboard's today so far against the same weekday last week, and remembered figures
of past days never hiding a sale made today."""

import pytest

import reportshop
from appliance.reports import Reports


@pytest.fixture
def history(shop):
    return reportshop.build(shop)


def test_today_so_far_against_the_same_weekday_last_week_until_the_same_time(history, shop):
    clock = shop.clock
    # Wednesday 12-02, shop time: a tea at 09:00 and a blue cup at 10:30; it is now 11:00.
    reportshop.at(clock, 2026, 12, 2, 1, 0)
    shop.sale(reportshop.TEA)
    reportshop.at(clock, 2026, 12, 2, 2, 30)
    shop.sale(reportshop.CUP_BLUE, method="card", reference="C9")
    with shop.ledger.transaction() as tx:
        tx.conn.executemany("INSERT INTO visitors (hour, count) VALUES (?, ?)",
                            [("2026-12-02T09", 3), ("2026-12-02T11", 2),
                             ("2026-12-02T12", 7)])   # a later hour: not counted
    reportshop.at(clock, 2026, 12, 2, 3, 0)
    t = history["reports"].today_so_far()
    assert (t["day"], t["last_week_day"], t["now"]) == ("2026-12-02", "2026-11-25",
                                                       "2026-12-02 11:00")
    assert t["today"] == {"orders": 2, "sales": 10300, "refunds": 0, "net": 10300,
                          "average_basket": 5150, "visitors": 5, "conversion_pct": "40.0"}
    # Wednesday 11-25 until 11:00: the 136.00 sale at 10:00, not the cup at 23:59:30;
    # visitors of the hours up to 11 o'clock
    assert t["last_week"] == {"orders": 1, "sales": 13600, "refunds": 0, "net": 13600,
                              "average_basket": 13600, "visitors": 10,
                              "conversion_pct": "10.0"}
    assert t["change_pct"] == {"net": "-24.3", "orders": "100.0", "average_basket": "-62.1",
                               "visitors": "-50.0"}
    assert t["open_orders"] == {"open": 1, "parked": 1}


def test_past_days_are_remembered_and_today_is_read_again(history, shop):
    r = history["reports"]       # it is 11-27 10:00 shop time
    period = r.period("2026-11-25", "2026-11-27")
    before = r.build(period)["summary"]
    reportshop.at(shop.clock, 2026, 11, 27, 3, 0)
    shop.sale(reportshop.TEA)
    after = r.build(period)["summary"]
    assert after["orders"] == before["orders"] + 1 and after["net"] == before["net"] + 6800
    # the same figures as a report that remembers nothing and sees all days as past
    reportshop.at(shop.clock, 2026, 12, 5, 0, 0)
    fresh = Reports(shop.ledger, shop.master, "Asia/Shanghai").build(period)
    assert r.build(period) == fresh
    assert fresh["summary"] == after
