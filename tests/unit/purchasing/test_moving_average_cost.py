"""Receiving updates the moving-average cost to the fen (figures worked by hand)."""

import pytest

from appliance.stock.purchasing import moving_average, round_half_up

from buying import BLUE, TEA, WHITE, Buying


@pytest.fixture
def buy(shop):
    return Buying(shop)


def test_round_half_up_and_the_formula():
    assert round_half_up(2001, 2) == 1001            # 1000.5 -> 1001
    assert round_half_up(2003, 3) == 668             # 667.67 -> 668
    assert round_half_up(59165, 15) == 3944          # 3944.33 -> 3944
    assert moving_average(10, 3850, 5, 4133) == 3944
    assert moving_average(0, 9999, 5, 3700) == 3700  # nothing in stock: the new cost
    assert moving_average(-2, 9999, 5, 3700) == 3700  # owed stock counts as none


def test_first_delivery_sets_the_cost_and_the_next_one_averages(shop, buy, ledger_invariants):
    r1 = buy.p.receive(shop.manager, [{"barcode": TEA, "qty": 10, "unit_cost": 3850}],
                       supplier_id=buy.supplier.id)
    assert buy.level(shop.tea) == (10, 3850)
    buy.p.receive(shop.manager, [{"barcode": TEA, "qty": 5, "unit_cost": 4133}])
    # (10 x 38.50 + 5 x 41.33) / 15 = 591.65 / 15 = 39.443.. -> 39.44
    assert buy.level(shop.tea) == (15, 3944)
    rec = [r for r in shop.ledger.records() if r.type == "stock.received"][0]
    assert rec.data["costs"] == [{"product_id": shop.tea.id, "variant_id": "", "avg_cost": 3850}]
    assert rec.data["stock"] == [{"product_id": shop.tea.id, "variant_id": "", "delta": 10,
                                  "reason": "receiving", "ref": r1["id"]}]
    with shop.ledger.reading() as conn:
        moves = conn.execute("SELECT delta, after, reason, ref FROM stock_moves WHERE"
                             " product_id = ? ORDER BY seq", (shop.tea.id,)).fetchall()
    assert moves[0] == (10, 10, "receiving", r1["id"]) and moves[1][:3] == (5, 15, "receiving")
    ledger_invariants(shop.ledger)


def test_half_a_fen_rounds_up(shop, buy):
    buy.p.receive(shop.manager, [{"barcode": TEA, "qty": 1, "unit_cost": 1000}])
    buy.p.receive(shop.manager, [{"barcode": TEA, "qty": 1, "unit_cost": 1001}])
    assert buy.level(shop.tea) == (2, 1001)          # 10.005 -> 10.01


def test_stock_never_received_averages_with_the_catalog_cost(shop, buy):
    buy.opening(shop.tea, 3)                         # no cost yet: the catalog's 40.00
    buy.p.receive(shop.manager, [{"barcode": TEA, "qty": 2, "unit_cost": 4500}])
    assert buy.level(shop.tea) == (5, 4200)          # (3 x 40 + 2 x 45) / 5 = 42.00


def test_receiving_at_zero_or_below_takes_the_delivery_cost(shop, buy, ledger_invariants):
    shop.master.settings.set("orders.allow_negative_stock", True)
    buy.p.receive(shop.manager, [{"barcode": TEA, "qty": 1, "unit_cost": 9000}])
    shop.sale((shop.tea.id, "", 3))                  # 1 - 3 = -2
    assert buy.level(shop.tea) == (-2, 9000)
    buy.p.receive(shop.manager, [{"barcode": TEA, "qty": 5, "unit_cost": 3700}])
    assert buy.level(shop.tea) == (3, 3700)          # old quantity clamped at 0
    ledger_invariants(shop.ledger)


def test_each_variant_keeps_its_own_average(shop, buy, ledger_invariants):
    buy.opening(shop.cup, 4, buy.blue)               # variant without a cost: product's 15.00
    buy.p.receive(shop.manager, [{"barcode": BLUE, "qty": 6, "unit_cost": 1625}])
    buy.p.receive(shop.manager, [{"product_id": shop.cup.id, "variant_id": buy.white.id,
                                  "qty": 3, "unit_cost": 1700}])
    assert buy.level(shop.cup, buy.blue) == (10, 1575)   # (4 x 15 + 6 x 16.25) / 10
    assert buy.level(shop.cup, buy.white) == (3, 1700)
    ledger_invariants(shop.ledger)


def test_two_lines_of_one_item_in_one_delivery_average_in_turn(shop, buy):
    receipt = buy.p.receive(shop.manager, [{"barcode": TEA, "qty": 4, "unit_cost": 1000},
                                           {"barcode": TEA, "qty": 6, "unit_cost": 1235}])
    assert buy.level(shop.tea) == (10, 1141)         # (4 x 10 + 6 x 12.35) / 10 = 11.41
    assert [ln["qty"] for ln in receipt["lines"]] == [4, 6]
    rec = shop.ledger.records()[-1]
    assert rec.data["costs"] == [{"product_id": shop.tea.id, "variant_id": "", "avg_cost": 1141}]


def test_a_sale_records_the_average_as_its_cost(shop, buy):
    buy.p.receive(shop.manager, [{"barcode": WHITE, "qty": 2, "unit_cost": 1777},
                                 {"barcode": TEA, "qty": 2, "unit_cost": 3999}])
    buy.opening(shop.cup, 2, buy.blue)
    order = shop.engine.open_order(shop.assistant)
    for code in (WHITE, TEA, BLUE):
        order = shop.engine.add_line(shop.assistant, order.id, barcode=code)
    costs = {(ln.product_id, ln.variant_id): ln.cost for ln in order.lines}
    assert costs == {(shop.cup.id, buy.white.id): 1777, (shop.tea.id, ""): 3999,
                     (shop.cup.id, buy.blue.id): 1500}   # never received: the catalog cost


def test_the_receiving_and_the_cost_change_are_audited(shop, buy, caplog):
    buy.p.receive(shop.manager, [{"barcode": TEA, "qty": 2, "unit_cost": 3900}])
    with caplog.at_level("INFO", logger="audit"):
        buy.p.receive(shop.manager, [{"barcode": TEA, "qty": 2, "unit_cost": 4100}])
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == "audit")
    assert "stock received" in text and "value=82.00" in text
    assert f"cost changed product={shop.tea.id} variant= from=39.00 to=40.00" in text
