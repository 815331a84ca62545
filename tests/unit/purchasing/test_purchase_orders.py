"""Purchase orders: numbering, partial deliveries, over-receiving, cancel and close."""

import pytest

from appliance.errors import Conflict, Forbidden, NotFound, ValidationError

from buying import BLUE, TEA, Buying


@pytest.fixture
def buy(shop):
    return Buying(shop)


def head(shop):
    return shop.ledger.head()[0]


def test_numbers_run_per_business_day(shop, buy, clock):
    a = buy.po((shop.tea, None, 10, 3800))
    b = buy.po((shop.tea, None, 5, 3800))
    assert (a["number"], b["number"]) == ("PO20261126-001", "PO20261126-002")
    clock.advance(hours=14)                  # 00:30 on the 27th in Shanghai
    assert buy.po((shop.tea, None, 1, 3800))["number"] == "PO20261127-001"
    assert a["status"] == "open" and a["total"] == 38000
    assert a["lines"][0]["name"] == "西湖龙井" and a["supplier_name"] == "杭州茶叶公司"


def test_an_order_needs_a_manager_lines_and_a_spec_for_variants(shop, buy):
    with pytest.raises(Forbidden):
        buy.p.create_po(shop.assistant, buy.supplier.id,
                        [{"product_id": shop.tea.id, "qty": 1, "unit_cost": 100}])
    with pytest.raises(ValidationError) as e:
        buy.p.create_po(shop.manager, buy.supplier.id, [{"product_id": shop.cup.id, "qty": 1}])
    assert e.value.field == "variant_id"
    with pytest.raises(ValidationError):
        buy.p.create_po(shop.manager, buy.supplier.id, [])
    with pytest.raises(ValidationError) as e:
        buy.p.create_po(shop.manager, buy.supplier.id,
                        [{"product_id": shop.tea.id, "qty": 0, "unit_cost": 100}])
    assert e.value.field == "qty"
    with pytest.raises(ValidationError):     # a service keeps no stock
        buy.p.create_po(shop.manager, buy.supplier.id, [{"product_id": shop.wrap.id, "qty": 1}])
    with pytest.raises(NotFound):
        buy.p.create_po(shop.manager, "sup-nobody", [{"product_id": shop.tea.id, "qty": 1}])
    # No unit cost given: the catalog's.
    po = buy.p.create_po(shop.manager, buy.supplier.id, [{"product_id": shop.tea.id, "qty": 2}])
    assert po["lines"][0]["unit_cost"] == 4000


def test_partial_deliveries_add_up_to_received(shop, buy, ledger_invariants):
    po = buy.po((shop.tea, None, 10, 3800), (shop.cup, buy.blue, 6, 1500))
    first = buy.p.receive(shop.assistant, [{"barcode": TEA, "qty": 4}], po_id=po["id"])
    assert first["po_number"] == po["number"] and first["supplier_id"] == buy.supplier.id
    assert first["lines"][0]["unit_cost"] == 3800        # from the order line
    po = buy.p.purchase_order(shop.assistant, po["id"])
    assert po["status"] == "partly_received"
    assert [ln["received_qty"] for ln in po["lines"]] == [4, 0]
    buy.p.receive(shop.assistant, [{"barcode": BLUE, "qty": 6}, {"barcode": TEA, "qty": 3}],
                  po_id=po["id"])
    po = buy.p.purchase_order(shop.assistant, po["id"])
    assert po["status"] == "partly_received"
    buy.p.receive(shop.manager, [{"barcode": TEA, "qty": 3, "unit_cost": 3900}],
                  po_id=po["id"])
    po = buy.p.purchase_order(shop.assistant, po["id"])
    assert po["status"] == "received" and [ln["received_qty"] for ln in po["lines"]] == [10, 6]
    assert len(po["receipts"]) == 3
    # 7 at 38.00 then 3 at 39.00: (7 x 38 + 3 x 39) / 10 = 38.30
    assert buy.level(shop.tea) == (10, 3830)
    assert buy.level(shop.cup, buy.blue) == (6, 1500)
    ledger_invariants(shop.ledger)


def test_receiving_more_than_ordered_is_refused_unless_a_manager_approves(shop, buy,
                                                                           ledger_invariants):
    po = buy.po((shop.tea, None, 5, 3800))
    before = head(shop)
    with pytest.raises(Conflict) as e:
        buy.p.receive(shop.assistant, [{"barcode": TEA, "qty": 6}], po_id=po["id"])
    assert "1 more than ordered" in e.value.message
    with pytest.raises(Conflict) as e:            # an item that is not on the order at all
        buy.p.receive(shop.assistant, [{"barcode": BLUE, "qty": 1}], po_id=po["id"])
    assert "was not ordered" in e.value.message
    with pytest.raises(Forbidden):                # asking is not enough: a manager approves
        buy.p.receive(shop.assistant, [{"barcode": TEA, "qty": 6}], po_id=po["id"], over=True)
    assert head(shop) == before and buy.level(shop.tea) == (0, None)
    receipt = buy.p.receive(shop.assistant, [{"barcode": TEA, "qty": 6}], po_id=po["id"],
                            over=True, approver=shop.manager)
    po = buy.p.purchase_order(shop.manager, po["id"])
    assert po["status"] == "received" and po["lines"][0]["received_qty"] == 6
    assert shop.ledger.records()[-1].data["over_approved_by"] == shop.manager.staff_id
    assert receipt["lines"][0]["po_line_id"] == po["lines"][0]["line_id"]
    # Once everything came, even one more is over.
    with pytest.raises(Conflict):
        buy.p.receive(shop.manager, [{"barcode": TEA, "qty": 1}], po_id=po["id"])
    ledger_invariants(shop.ledger)


def test_the_same_item_on_two_lines_fills_them_in_order(shop, buy):
    po = buy.po((shop.tea, None, 2, 3800), (shop.tea, None, 3, 3600))
    receipt = buy.p.receive(shop.manager, [{"barcode": TEA, "qty": 4}], po_id=po["id"])
    assert [(ln["qty"], ln["unit_cost"]) for ln in receipt["lines"]] == [(2, 3800), (2, 3600)]
    po = buy.p.purchase_order(shop.manager, po["id"])
    assert [ln["received_qty"] for ln in po["lines"]] == [2, 2]
    assert buy.level(shop.tea) == (4, 3700)


def test_receiving_without_an_order(shop, buy, ledger_invariants):
    receipt = buy.p.receive(shop.assistant, [{"barcode": TEA, "qty": 3}],
                            supplier_id=buy.supplier.id, note="送货单 A-17")
    assert receipt["po_id"] is None and receipt["supplier_name"] == "杭州茶叶公司"
    assert receipt["lines"][0]["unit_cost"] == 4000      # nothing else known: catalog cost
    assert buy.p.receipt(shop.assistant, receipt["id"])["note"] == "送货单 A-17"
    with pytest.raises(NotFound):
        buy.p.receive(shop.assistant, [{"barcode": "6900000000000", "qty": 1}])
    with pytest.raises(Forbidden):
        buy.p.receive(shop.cashier.__class__("s-x", "nobody"), [{"barcode": TEA, "qty": 1}])
    ledger_invariants(shop.ledger)


def test_change_cancel_and_close(shop, buy, ledger_invariants):
    po = buy.po((shop.tea, None, 5, 3800))
    po = buy.p.change_po(shop.manager, po["id"], [
        {"product_id": shop.tea.id, "qty": 8, "unit_cost": 3700},
        {"barcode": BLUE, "qty": 2, "unit_cost": 1400}], note="加急")
    assert [(ln["qty"], ln["unit_cost"]) for ln in po["lines"]] == [(8, 3700), (2, 1400)]
    assert po["note"] == "加急"
    buy.p.receive(shop.manager, [{"barcode": TEA, "qty": 8}], po_id=po["id"])
    with pytest.raises(Conflict):
        buy.p.change_po(shop.manager, po["id"], [{"product_id": shop.tea.id, "qty": 1}])
    with pytest.raises(Conflict):
        buy.p.cancel_po(shop.manager, po["id"], "不要了")
    po = buy.p.close_po(shop.manager, po["id"], "缺货，不再发")
    assert po["status"] == "closed"
    with pytest.raises(Conflict):
        buy.p.receive(shop.manager, [{"barcode": BLUE, "qty": 2}], po_id=po["id"])
    other = buy.po((shop.tea, None, 1, 3800))
    with pytest.raises(Conflict):                 # nothing came: cancel, not close
        buy.p.close_po(shop.manager, other["id"], "x")
    assert buy.p.cancel_po(shop.manager, other["id"], "下错单")["status"] == "cancelled"
    assert [p["number"] for p in buy.p.purchase_orders(shop.assistant, "cancelled")] == \
        [other["number"]]
    with pytest.raises(ValidationError):
        buy.p.purchase_orders(shop.assistant, "lost")
    ledger_invariants(shop.ledger)


def test_only_a_manager_sets_the_cost_of_a_delivery(shop):
    from appliance.errors import Forbidden
    buy = Buying(shop)
    po = buy.po((shop.tea, None, 10, 4000))
    with pytest.raises(Forbidden):
        buy.p.receive(shop.assistant, [{"barcode": TEA, "qty": 10, "unit_cost": 1}],
                      po_id=po["id"])
    buy.p.receive(shop.assistant, [{"barcode": TEA, "qty": 10}], po_id=po["id"])
    assert buy.level(shop.tea) == (10, 4000)          # the order's cost, not the assistant's
