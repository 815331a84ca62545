"""Stock levels, low-stock flags, negative stock, each product's history, stock value and
slow movers (appliance/stock/levels.py; docs/stock.md)."""

import pytest

from appliance.errors import Conflict, Forbidden, NotFound, ValidationError
from appliance.i18n import language
from appliance.ledger.projections import replay, snapshot
from appliance.stock.levels import StockService

from stockrig import count, receive


@pytest.fixture
def stock(shop):
    return StockService(shop.ledger, shop.master)


def item(stock, product_id, variant_id=""):
    return next(i for i in stock.items() if (i.product_id, i.variant_id)
                == (product_id, variant_id))


def test_every_tracked_product_and_variant_is_listed_with_its_level(shop, stock):
    blue, white = shop.cup.variants
    shop.engine.adjust_stock(shop.manager, shop.tea.id, 12, "opening_stock")
    shop.engine.adjust_stock(shop.manager, shop.cup.id, 3, "opening_stock", variant_id=blue.id)
    shop.sale((shop.tea.id, "", 2))
    listed = {(i.product_id, i.variant_id): i.qty for i in stock.items()}
    # The gift wrapping service is not stock-tracked, so it has no level at all.
    assert listed == {(shop.tea.id, ""): 10, (shop.cup.id, blue.id): 3, (shop.cup.id, white.id): 0}
    cup = item(stock, shop.cup.id, blue.id)
    assert cup.spec == "颜色=天青" and cup.sku == "CUP-1-B" and cup.unit == "只"
    assert [i.product_id for i in stock.levels(shop.assistant, "龙井")] == [shop.tea.id]


def test_low_flag_follows_the_rule_then_the_shop_default_and_0_means_no_alert(shop, stock):
    blue, white = shop.cup.variants
    shop.engine.adjust_stock(shop.manager, shop.tea.id, 4, "opening_stock")
    assert not item(stock, shop.tea.id).low and stock.low_stock_count() == 0   # default 0
    shop.master.settings.set("stock.low_stock_default", 4)
    assert item(stock, shop.tea.id).low                       # at the level counts as low
    assert stock.low_stock_count() == 3                       # both cups are at 0
    stock.set_rule(shop.manager, shop.tea.id, low_level=3)
    assert not item(stock, shop.tea.id).low and item(stock, shop.tea.id).low_level == 3
    stock.set_rule(shop.manager, shop.cup.id, low_level=0)    # the product: no alert
    stock.set_rule(shop.manager, shop.cup.id, white.id, low_level=2)   # but this colour
    assert not item(stock, shop.cup.id, blue.id).low
    assert item(stock, shop.cup.id, white.id).low and stock.low_stock_count() == 1
    assert [(i.product_id, i.variant_id) for i in stock.levels(shop.assistant, low_only=True)] \
        == [(shop.cup.id, white.id)]
    again = replay(shop.ledger.records())
    with shop.ledger.reading() as conn:
        assert snapshot(conn)["stock_rules"] == snapshot(again)["stock_rules"]


def test_stock_rules_need_purchasing_and_valid_figures(shop, stock):
    with pytest.raises(Forbidden):
        stock.set_rule(shop.assistant, shop.tea.id, low_level=3)
    with pytest.raises(ValidationError) as exc:
        stock.set_rule(shop.manager, shop.tea.id, low_level=-1)
    assert exc.value.field == "low_level"
    with pytest.raises(ValidationError) as exc:
        stock.set_rule(shop.manager, shop.tea.id, low_level=3, pack_qty=0)
    assert exc.value.field == "pack_qty"
    with pytest.raises(NotFound):
        stock.set_rule(shop.manager, shop.cup.id, "no-such-variant", low_level=3)
    with pytest.raises(NotFound):
        stock.set_rule(shop.manager, shop.tea.id, low_level=3, supplier_id="sup-nobody")
    rule = stock.set_rule(shop.manager, shop.tea.id, low_level=3, lead_time_days=5, pack_qty=12)
    assert rule == {"product_id": shop.tea.id, "variant_id": "", "low_level": 3,
                    "lead_time_days": 5, "supplier_id": None, "pack_qty": 12}
    assert [r.type for r in shop.ledger.records()] == ["stock.rule_set"]


def test_negative_stock_is_shown_whether_the_shop_allows_it_or_not(shop, stock):
    shop.sale((shop.tea.id, "", 2))                          # allowed by default
    tea = item(stock, shop.tea.id)
    assert tea.qty == -2 and tea.negative
    alerts = stock.alerts(shop.assistant)
    assert alerts["negative"] == 1 and alerts["items"][0].product_id == shop.tea.id
    shop.master.settings.set("orders.allow_negative_stock", False)
    with pytest.raises(Conflict):
        shop.sale((shop.tea.id, "", 1))
    # Still shown below zero: refusing new sales does not hide what already happened.
    assert item(stock, shop.tea.id).negative
    assert [i.product_id for i in stock.levels(shop.assistant, negative_only=True)] \
        == [shop.tea.id]
    assert item(stock, shop.tea.id).value == 0


def test_history_names_the_reason_and_what_each_move_belongs_to(shop, stock):
    shop.engine.adjust_stock(shop.manager, shop.tea.id, 5, "damaged", note="dropped a box")
    with shop.ledger.transaction() as tx:       # what the purchasing engine writes
        tx.append("po.created", shop.manager.journal("till-1"), {
            "po_id": "po-1", "number": "PO20261126-001", "supplier_id": "sup-1", "note": "",
            "expected_on": "", "lines": [{"line_id": "l1", "product_id": shop.tea.id,
                                          "variant_id": "", "name": "西湖龙井", "qty": 10,
                                          "unit_cost": 3900}]})
    receive(shop, shop.tea.id, "", 10, 3900, po_id="po-1")
    paid = shop.sale((shop.tea.id, "", 3))
    shop.engine.refund(shop.manager, paid.order.id, reason="wrong tea")
    count(shop, shop.tea.id, "", 14, "PD-7")
    moves = stock.moves(shop.assistant, shop.tea.id)
    assert [(m["reason"], m["delta"], m["after"]) for m in moves] == [
        ("count", -1, 14), ("return", 3, 15), ("sale", -3, 12), ("receiving", 10, 15),
        ("damaged", 5, 5)]
    assert [m["ref_label"] for m in moves] == ["PD-7", paid.order.number, paid.order.number,
                                               "PO20261126-001", None]
    assert [m["ref_kind"] for m in moves] == ["count", "order", "order", "receipt", None]
    assert moves[-1]["reason_label"] == "damaged" and moves[-1]["note"] == "dropped a box"
    assert moves[-1]["staff"] == "s-manager"        # not in this test's staff directory
    assert [m["reason"] for m in stock.moves(shop.assistant, shop.tea.id, limit=2)] \
        == ["count", "return"]
    with shop.ledger.reading() as conn:             # the rows _move_stock wrote
        rows = conn.execute("SELECT reason, delta, after, ref FROM stock_moves WHERE"
                            " product_id = ? ORDER BY seq", (shop.tea.id,)).fetchall()
    assert rows[0] == ("damaged", 5, 5, None) and rows[2][3] == paid.order.id
    with pytest.raises(NotFound):
        stock.moves(shop.assistant, "p-nope")


def test_history_labels_follow_the_readers_language(shop, stock):
    shop.engine.adjust_stock(shop.manager, shop.tea.id, 5, "own_use")
    count(shop, shop.tea.id, "", 2, "PD-1")
    with language("zh_CN"):
        labels = [m["reason_label"] for m in stock.moves(shop.assistant, shop.tea.id)]
    assert labels == ["盘点修正", "自用"]
    assert [m["reason_label"] for m in stock.moves(shop.assistant, shop.tea.id)] \
        == ["count correction", "own use"]


def test_stock_value_uses_the_moving_average_else_the_catalog_cost(shop, stock):
    blue, white = shop.cup.variants
    receive(shop, shop.tea.id, "", 10, 3000)
    receive(shop, shop.tea.id, "", 5, 3301)         # (10*30.00 + 5*33.01) / 15 = 31.0033
    assert item(stock, shop.tea.id).avg_cost == 3100
    shop.engine.adjust_stock(shop.manager, shop.cup.id, 4, "opening_stock", variant_id=blue.id)
    shop.sale((shop.cup.id, white.id, 1))            # below zero: worth nothing, not less
    report = stock.report(shop.manager)
    assert report["value"] == 15 * 3100 + 4 * 1500
    assert report["items"] == 2 and report["units"] == 19
    with pytest.raises(Forbidden):
        stock.report(shop.assistant)


def test_slow_movers_have_stock_held_for_the_window_and_no_sale_within_it(shop, stock):
    blue, _ = shop.cup.variants
    shop.engine.adjust_stock(shop.manager, shop.tea.id, 10, "opening_stock")
    shop.engine.adjust_stock(shop.manager, shop.cup.id, 2, "opening_stock", variant_id=blue.id)
    shop.sale((shop.tea.id, "", 1))
    sold_at = shop.clock.now()
    assert stock.report(shop.manager)["slow_movers"] == []      # it all just arrived
    shop.clock.advance(days=59)
    assert stock.report(shop.manager)["slow_movers"] == []
    shop.clock.advance(days=2)          # 61 days: the cup never sold, the tea's sale is old
    slow = stock.report(shop.manager)["slow_movers"]
    assert [s["product_id"] for s in slow] == [shop.tea.id, shop.cup.id]   # biggest value first
    assert slow[0]["last_sale"] == sold_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert (slow[1]["last_sale"], slow[1]["value"]) == (None, 2 * 1500)
    shop.master.settings.set("stock.slow_mover_days", 90)
    assert stock.report(shop.manager)["slow_movers"] == []
    shop.engine.adjust_stock(shop.manager, shop.cup.id, 3, "receiving", variant_id=blue.id)
    shop.clock.advance(days=89)         # 150 days since the first stock, 89 since this one
    assert [s["product_id"] for s in stock.report(shop.manager)["slow_movers"]] == [shop.tea.id]


def test_a_deactivated_product_is_listed_only_while_it_has_stock(shop, stock):
    shop.master.settings.set("stock.low_stock_default", 5)
    shop.engine.adjust_stock(shop.manager, shop.tea.id, 2, "opening_stock")
    shop.master.catalog.deactivate_product(shop.tea.id)
    tea = item(stock, shop.tea.id)
    assert tea.qty == 2 and not tea.active
    assert stock.low_stock_count() == 2              # the cups; not a product no longer sold
    shop.engine.adjust_stock(shop.manager, shop.tea.id, -2, "lost")
    assert shop.tea.id not in {i.product_id for i in stock.items()}
    assert stock.item(shop.tea.id).qty == 0
