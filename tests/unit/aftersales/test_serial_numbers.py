"""Serial numbers captured at the sale (docs/aftersales.md "Serial numbers"): one per unit of
a serialised product, recorded before payment, unique among sales not returned, and a sale
found again from its serial alone for a warranty ticket."""

import pytest

from appliance.aftersales import AfterSales
from appliance.errors import Conflict, ValidationError
from appliance.master.catalog import Product
from conftest import check_ledger_invariants


@pytest.fixture
def desk(shop):
    return AfterSales(shop.ledger, shop.master, "Asia/Shanghai")


@pytest.fixture
def kettle(shop):
    return shop.master.catalog.save_product(Product(
        id="", sku="KET-1", name="电水壶", category_id=None, unit="台", price=19900,
        cost=12000, barcodes=["6900000000014"], serialised=True))


def _cart(shop, kettle, qty=2):
    order = shop.engine.open_order(shop.assistant)
    order = shop.engine.add_line(shop.assistant, order.id, product_id=kettle.id, qty=qty)
    return order, order.lines[0].line_id


def test_the_serialised_flag_is_kept_and_defaults_to_false(shop, kettle):
    assert shop.master.catalog.get_product(kettle.id).serialised is True
    assert shop.tea.serialised is False
    with pytest.raises(ValidationError):
        shop.master.catalog.save_product(Product(
            id="", sku="X-1", name="x", category_id=None, unit="个", price=1, cost=0,
            serialised="yes"))


def test_serials_are_recorded_per_line_and_replaced(shop, desk, kettle):
    order, line = _cart(shop, kettle)
    assert desk.missing_serials(order.id)[0]["qty"] == 2
    assert desk.set_serials(shop.assistant, order.id, line, [" sn-001 "]) == ["SN-001"]
    assert desk.set_serials(shop.assistant, order.id, line, ["SN-001", "SN-002"]) == [
        "SN-001", "SN-002"]
    rec = shop.ledger.records()[-1]
    assert rec.type == "order.serials_set"
    assert rec.data == {"order_id": order.id, "line_id": line, "serials": ["SN-001", "SN-002"]}
    assert desk.missing_serials(order.id) == []
    check_ledger_invariants(shop.ledger)


def test_bad_lists_are_refused(shop, desk, kettle):
    order, line = _cart(shop, kettle)
    for bad in (["A", "A"], ["A", "B", "C"], ["a b"], [""], "SN-1", [1], ["X" * 65]):
        with pytest.raises(ValidationError):
            desk.set_serials(shop.assistant, order.id, line, bad)


def test_payment_check_names_the_product_until_every_unit_has_a_serial(shop, desk, kettle):
    order, line = _cart(shop, kettle)
    desk.set_serials(shop.assistant, order.id, line, ["SN-1"])
    with pytest.raises(ValidationError) as refused:
        desk.check_serials(order.id)
    assert "电水壶" in refused.value.message and refused.value.field == "serials"
    desk.set_serials(shop.assistant, order.id, line, ["SN-1", "SN-2"])
    desk.check_serials(order.id)
    plain = shop.engine.open_order(shop.assistant)
    shop.engine.add_line(shop.assistant, plain.id, barcode="6901234567892")
    desk.check_serials(plain.id)      # not serialised: nothing needed


def test_a_serial_sold_once_cannot_be_sold_again_until_returned(shop, desk, kettle):
    order, line = _cart(shop, kettle, qty=1)
    desk.set_serials(shop.assistant, order.id, line, ["SN-9"])
    paid = shop.engine.add_payment(shop.cashier, order.id, "cash", 19900).order
    with pytest.raises(Conflict):
        desk.set_serials(shop.assistant, order.id, line, ["SN-8"])   # paid: too late
    again, line2 = _cart(shop, kettle, qty=1)
    with pytest.raises(Conflict) as refused:
        desk.set_serials(shop.assistant, again.id, line2, ["sn-9"])
    assert paid.number in refused.value.message
    shop.engine.refund(shop.manager, paid.id, reason="退货",
                       lines=[(line, 1)])
    desk.set_serials(shop.assistant, again.id, line2, ["SN-9"])     # back in stock


def test_a_unit_returned_from_a_line_of_two_can_be_sold_again(shop, desk, kettle):
    order, line = _cart(shop, kettle, qty=2)
    desk.set_serials(shop.assistant, order.id, line, ["SN-A1", "SN-B2"])
    paid = shop.engine.add_payment(shop.cashier, order.id, "cash", 2 * 19900).order
    again, line2 = _cart(shop, kettle, qty=1)
    with pytest.raises(Conflict):                                  # both still sold
        desk.set_serials(shop.assistant, again.id, line2, ["SN-B2"])
    shop.engine.refund(shop.manager, paid.id, reason="退一台", lines=[(line, 1)])
    desk.set_serials(shop.assistant, again.id, line2, ["SN-B2"])   # the returned unit sells
    shop.engine.add_payment(shop.cashier, again.id, "cash", 19900)


def test_find_a_sale_by_serial_and_open_a_warranty_ticket_from_it(shop, desk, kettle, clock):
    order, line = _cart(shop, kettle, qty=1)
    desk.set_serials(shop.assistant, order.id, line, ["SN-77"])
    paid = shop.engine.add_payment(shop.cashier, order.id, "cash", 19900).order
    clock.advance(days=100)
    found = desk.find_serial("sn-77")
    assert found["order_number"] == paid.number and found["line_id"] == line
    assert found["name"] == "电水壶" and found["in_warranty"] is True
    assert found["warranty_until"] == "2027-11-26" and found["tickets"] == []
    t = desk.open(shop.assistant, kind="warranty", summary="不加热", serial="SN-77")
    assert (t["order_id"], t["line_id"], t["serial"]) == (order.id, line, "SN-77")
    assert desk.find_serial("SN-77")["tickets"] == [
        {"number": t["number"], "kind": "warranty", "status": "open"}]
    assert [x["number"] for x in desk.list(q="SN-77")] == [t["number"]]
    with pytest.raises(ValidationError):   # a serial not sold on the given order
        desk.open(shop.assistant, kind="repair", summary="x", order_id=order.id,
                  serial="OTHER-1")
    clock.advance(days=300)
    assert desk.find_serial("SN-77")["in_warranty"] is False
    check_ledger_invariants(shop.ledger)


def test_a_catalog_csv_round_trip_keeps_the_serialised_flag(shop, kettle, tmp_path):
    from appliance.master import export_catalog, import_catalog
    path = tmp_path / "catalog.csv"
    export_catalog(shop.master, path)
    import_catalog(shop.master, path)
    assert shop.master.catalog.get_product(kettle.id).serialised is True
    assert shop.master.catalog.find_by_sku("TEA-1").serialised is False
