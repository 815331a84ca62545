"""Reorder suggestions from a hand-made sales history with a fixed clock.

Start 2026-10-01 10:30 Shanghai; suggestions asked 40 days later, so the 28-day window
(stock.velocity_days) starts on day 12 and the sale of day 0 is outside it.
"""

from datetime import datetime, timezone

import pytest

from appliance.clock import FixedClock

from buying import TEA, Buying


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 10, 1, 2, 30, tzinfo=timezone.utc))


@pytest.fixture
def history(shop, clock):
    buy = Buying(shop)
    cups = buy.p.save_supplier(shop.manager, {"name": "景德镇瓷器厂"})
    buy.rule(shop.tea, lead_time_days=7, supplier_id=buy.supplier.id, pack_qty=6)
    buy.rule(shop.cup, variant=buy.blue, supplier_id=cups.id)
    buy.opening(shop.tea, 25)
    buy.opening(shop.cup, 3, buy.blue)
    shop.sale((shop.tea.id, "", 5))                          # day 0: outside the window
    clock.advance(days=15)
    shop.sale((shop.tea.id, "", 10), (shop.cup.id, buy.blue.id, 1))
    clock.advance(days=5)                                    # day 20
    order = shop.sale((shop.tea.id, "", 6), (shop.cup.id, buy.blue.id, 2)).order
    clock.advance(days=1)                                    # day 21: two teas come back
    tea_line = next(ln for ln in order.lines if ln.product_id == shop.tea.id)
    shop.engine.refund(shop.cashier, order.id, reason="不要了", lines=[(tea_line.line_id, 2)])
    clock.advance(days=2)
    po = buy.po((shop.tea, None, 4, 3800))                   # 2 of 4 delivered: 2 on order
    buy.p.receive(shop.manager, [{"barcode": TEA, "qty": 2}], po_id=po["id"])
    clock.advance(days=17)                                   # day 40
    buy.cups = cups
    return buy


def test_suggested_quantities_by_hand(shop, history):
    groups = history.p.suggestions(shop.manager)
    assert [g["supplier_name"] for g in groups] == ["景德镇瓷器厂", "杭州茶叶公司"]
    cups, tea = (g["lines"] for g in groups)
    # Tea: 16 sold - 2 returned in 28 days = 0.50 a day; ceil(0.5 x (7 + 14)) = 11;
    # on hand 25 - 21 + 2 + 2 = 8, on order 2: 11 - 8 - 2 = 1, a pack of 6.
    assert len(tea) == 1
    t = tea[0]
    assert (t["sold"], t["daily_rate"], t["lead_time_days"], t["cover_days"]) == \
        (14, "0.50", 7, 14)
    assert (t["on_hand"], t["on_order"], t["pack_qty"], t["qty"]) == (8, 2, 6, 6)
    # The average so far: 6 at the catalog's 40.00 and 2 received at 38.00 -> 39.50.
    assert t["unit_cost"] == 3950
    # 天青 cup: 3 sold = 3/28 a day; ceil(3/28 x 14) = 2; none on hand: order 2.
    # 月白 has no sales, no rule and no stock: nothing to order.
    assert [(c["variant_id"], c["qty"], c["daily_rate"], c["on_hand"]) for c in cups] == \
        [(history.blue.id, 2, "0.11", 0)]


def test_one_supplier_and_ordering_the_suggestion(shop, history):
    only = history.p.suggestions(shop.manager, supplier_id=history.supplier.id)
    assert [g["supplier_id"] for g in only] == [history.supplier.id]
    lines = [{"product_id": ln["product_id"], "variant_id": ln["variant_id"], "qty": ln["qty"],
              "unit_cost": ln["unit_cost"]} for ln in only[0]["lines"]]
    history.p.create_po(shop.manager, history.supplier.id, lines)
    # Now 2 + 6 are on order: nothing more to suggest for this supplier.
    assert history.p.suggestions(shop.manager, supplier_id=history.supplier.id) == []


def test_a_longer_window_and_more_cover_days(shop, history):
    # 56 days: the sale of day 0 counts too, 19 a day over 56 days (0.34);
    # ceil(19/56 x (7 + 14)) = ceil(7.125) = 8, and 8 on hand + 2 on order cover that.
    shop.master.settings.set("stock.velocity_days", 56)
    assert history.p.suggestions(shop.manager, supplier_id=history.supplier.id) == []
    # 30 cover days: ceil(19/56 x 37) = ceil(12.55) = 13; 13 - 8 - 2 = 3, a pack of 6.
    shop.master.settings.set("stock.reorder_cover_days", 30)
    tea = history.p.suggestions(shop.manager, supplier_id=history.supplier.id)[0]["lines"][0]
    assert (tea["sold"], tea["daily_rate"], tea["cover_days"], tea["qty"]) == \
        (19, "0.34", 30, 6)


def test_only_a_manager_sees_suggestions(shop, history):
    from appliance.errors import Forbidden
    with pytest.raises(Forbidden):
        history.p.suggestions(shop.assistant)


def test_a_products_rule_covers_its_variants_without_one(shop, clock):
    buy = Buying(shop)
    buy.rule(shop.cup, supplier_id=buy.supplier.id, lead_time_days=7, low_level=5)
    buy.opening(shop.cup, 10, buy.blue)
    shop.sale((shop.cup.id, buy.blue.id, 10))
    groups = buy.p.suggestions(shop.manager, supplier_id=buy.supplier.id)
    lines = [ln for g in groups for ln in g["lines"]]
    # 10 sold in 28 days; ceil(10/28 x (7 + 14)) = 8; none left: order 8 from the supplier.
    assert [(ln["variant_id"], ln["lead_time_days"], ln["qty"]) for ln in lines] == \
        [(buy.blue.id, 7, 8)]
