"""Delivery and pick-up (appliance/fulfilment): marking, the status machine, validation,
what customers see, projections equal to a replay, erasure."""

import pytest

from appliance.errors import Conflict, NotFound, ValidationError
from appliance.fulfilment import Fulfilment
from appliance.ledger.projections import replay, snapshot

ADDRESS = {"recipient": "王小明", "phone": "13800138000", "address": "杭州市西湖区龙井路1号"}


@pytest.fixture
def ful(shop):
    return Fulfilment(shop.ledger, shop.master, "Asia/Shanghai", orders=shop.engine)


def open_order(shop, *barcodes, phone=""):
    order = shop.engine.open_order(shop.assistant, customer_name="王小明" if phone else "",
                                   customer_phone=phone)
    for code in barcodes or ("6901234567892",):
        order = shop.engine.add_line(shop.assistant, order.id, barcode=code)
    return order


def test_an_order_marked_for_delivery_starts_pending_and_shows_no_personal_fields(shop, ful):
    order = open_order(shop)
    out = ful.set(shop.assistant, order.id, kind="delivery", note="放门口", **ADDRESS)
    assert out["status"] == "pending" and out["recipient"] == "王小明"
    assert out["next"] == ["packed", "cancelled"]
    seen = ful.for_order(order.id)
    assert seen["kind"] == "delivery" and seen["status"] == "pending"
    assert [e["status"] for e in seen["events"]] == ["pending"]
    flat = repr(seen)
    for personal in ADDRESS.values():
        assert personal not in flat
    assert set(seen) >= {"kind", "status", "carrier", "tracking", "events"}


def test_for_order_is_none_for_an_order_without_delivery(shop, ful):
    assert ful.for_order(open_order(shop).id) is None
    assert ful.for_order("no-such-order") is None


def test_delivery_needs_recipient_phone_and_address_and_a_real_phone(shop, ful):
    order = open_order(shop)
    with pytest.raises(ValidationError) as e:
        ful.set(shop.assistant, order.id, kind="delivery", recipient="王", phone="138")
    assert e.value.field == "address"
    with pytest.raises(ValidationError) as e:
        ful.set(shop.assistant, order.id, kind="delivery", **{**ADDRESS, "phone": "call me"})
    assert e.value.field == "phone"
    with pytest.raises(ValidationError) as e:
        ful.set(shop.assistant, order.id, kind="post")
    assert e.value.field == "kind"
    # pick-up needs nobody's details
    assert ful.set(shop.assistant, order.id, kind="pickup")["status"] == "pending"


def test_the_delivery_flow_and_its_refusals(shop, ful):
    order = open_order(shop)
    ful.set(shop.assistant, order.id, kind="delivery", **ADDRESS)
    with pytest.raises(Conflict) as e:
        ful.update(shop.assistant, order.id, "shipped", carrier="EMS", tracking="EA123456789CN")
    assert "packed" in e.value.message
    with pytest.raises(Conflict):
        ful.update(shop.assistant, order.id, "ready")
    ful.update(shop.assistant, order.id, "packed")
    with pytest.raises(ValidationError) as e:
        ful.update(shop.assistant, order.id, "shipped", carrier="EMS", tracking="12 34")
    assert e.value.field == "tracking"
    with pytest.raises(ValidationError) as e:
        ful.update(shop.assistant, order.id, "shipped", tracking="SF1234567890")
    assert e.value.field == "carrier"
    with pytest.raises(ValidationError) as e:
        ful.update(shop.assistant, order.id, "shipped", carrier="Made Up Express",
                   tracking="SF1234567890")
    assert e.value.field == "carrier"
    with pytest.raises(ValidationError) as e:
        ful.update(shop.assistant, order.id, "shipped", carrier="other", tracking="SF1234567890")
    assert e.value.field == "carrier_name"
    out = ful.update(shop.assistant, order.id, "shipped", carrier="other",
                     carrier_name="德邦快递", tracking="DPK-20261126-01")
    assert (out["status"], out["carrier"], out["tracking"]) == ("shipped", "德邦快递",
                                                                 "DPK-20261126-01")
    # the recipient cannot change once it has left
    with pytest.raises(Conflict):
        ful.set(shop.assistant, order.id, kind="delivery", **{**ADDRESS, "address": "别处"})
    out = ful.update(shop.assistant, order.id, "delivered", note="前台签收")
    assert out["next"] == []
    with pytest.raises(Conflict):
        ful.update(shop.assistant, order.id, "cancelled")
    seen = ful.for_order(order.id)
    assert [e["status"] for e in seen["events"]] == ["pending", "packed", "shipped", "delivered"]
    assert seen["events"][-1]["note"] == "前台签收" and seen["carrier"] == "德邦快递"


def test_a_listed_carrier_and_a_carrier_outside_shipping_is_refused(shop, ful):
    order = open_order(shop)
    ful.set(shop.assistant, order.id, kind="delivery", **ADDRESS)
    with pytest.raises(ValidationError):
        ful.update(shop.assistant, order.id, "packed", tracking="SF1234567890")
    ful.update(shop.assistant, order.id, "packed")
    out = ful.update(shop.assistant, order.id, "shipped", carrier="顺丰速运",
                     tracking="SF1234567890")
    assert out["carrier"] == "顺丰速运"


def test_pickup_is_collected_only_when_paid(shop, ful):
    order = open_order(shop)
    ful.set(shop.assistant, order.id, kind="pickup")
    ful.update(shop.assistant, order.id, "ready")
    with pytest.raises(Conflict) as e:
        ful.update(shop.cashier, order.id, "collected")
    assert "paid" in e.value.message
    shop.engine.add_payment(shop.cashier, order.id, "cash", 6800)
    assert ful.update(shop.cashier, order.id, "collected")["status"] == "collected"


def test_changing_kind_starts_over_and_a_cancelled_one_can_be_marked_again(shop, ful):
    order = open_order(shop)
    ful.set(shop.assistant, order.id, kind="pickup")
    ful.update(shop.assistant, order.id, "ready")
    out = ful.set(shop.assistant, order.id, kind="delivery", **ADDRESS)
    assert out["status"] == "pending"
    out = ful.set(shop.assistant, order.id, kind="delivery", **{**ADDRESS, "note": "下午送"})
    assert out["status"] == "pending" and out["note"] == "下午送"
    ful.update(shop.assistant, order.id, "packed")
    # same kind, other details: the status stays
    assert ful.set(shop.assistant, order.id, kind="delivery", **ADDRESS)["status"] == "packed"
    ful.update(shop.assistant, order.id, "cancelled")
    assert ful.set(shop.assistant, order.id, kind="pickup")["status"] == "pending"


def test_paid_and_parked_orders_can_be_marked_cancelled_ones_and_unknown_ones_not(shop, ful):
    paid = shop.sale("6901234567892").order
    assert ful.set(shop.assistant, paid.id, kind="pickup")["order_status"] == "paid"
    parked = open_order(shop)
    shop.engine.park(shop.assistant, parked.id)
    assert ful.set(shop.assistant, parked.id, kind="pickup")["order_status"] == "parked"
    gone = open_order(shop)
    shop.engine.cancel(shop.cashier, gone.id, "客人不要了")
    with pytest.raises(Conflict):
        ful.set(shop.assistant, gone.id, kind="pickup")
    with pytest.raises(NotFound):
        ful.set(shop.assistant, "no-such-order", kind="pickup")
    with pytest.raises(NotFound):
        ful.update(shop.assistant, open_order(shop).id, "packed")


def test_the_board_sorts_orders_into_lists(shop, ful):
    a, b, c, d = (open_order(shop) for _ in range(4))
    ful.set(shop.assistant, a.id, kind="delivery", **ADDRESS)
    ful.set(shop.assistant, b.id, kind="delivery", **ADDRESS)
    ful.update(shop.assistant, b.id, "packed")
    ful.set(shop.assistant, c.id, kind="pickup")
    ful.update(shop.assistant, c.id, "ready")
    ful.set(shop.assistant, d.id, kind="pickup")
    ful.update(shop.assistant, d.id, "cancelled")
    board = ful.board()
    ids = {k: [x["order_id"] for x in v] for k, v in board.items()}
    assert ids["to_pack"] == [a.id] and ids["to_ship"] == [b.id]
    assert ids["ready"] == [c.id] and ids["recent"] == [d.id]
    assert board["to_pack"][0]["number"] == a.number and board["to_pack"][0]["total"] == "68.00"


def test_projections_equal_a_replay_and_erasure_drops_the_personal_fields(shop, ful):
    from appliance.customers import CustomerData
    order = open_order(shop, phone="13800138000")
    ful.set(shop.assistant, order.id, kind="delivery", note="电话联系王先生", **ADDRESS)
    ful.update(shop.assistant, order.id, "packed", note="王先生要求加急")
    shop.engine.add_payment(shop.cashier, order.id, "cash", 6800)
    ful.update(shop.assistant, order.id, "shipped", carrier="EMS", tracking="EA123456789CN")
    with shop.ledger.reading() as conn:
        before = snapshot(conn)
    assert before["fulfilments"] == snapshot(replay(shop.ledger.records()))["fulfilments"]
    CustomerData(shop.ledger).erase(shop.manager, "13800138000", "客户要求删除")
    with shop.ledger.reading() as conn:
        now = snapshot(conn)
        row = conn.execute("SELECT recipient, phone, address, note, carrier, tracking, status"
                           " FROM fulfilments WHERE order_id = ?", (order.id,)).fetchone()
        notes = [r[0] for r in conn.execute("SELECT note FROM fulfilment_events")]
    assert row == ("", "", "", "", "EMS", "EA123456789CN", "shipped")
    assert set(notes) == {""}
    for table in ("fulfilments", "fulfilment_events"):
        assert now[table] == snapshot(replay(shop.ledger.records()))[table]
        assert "王" not in repr(now[table]) and "13800138000" not in repr(now[table])
    from appliance.ledger.verify import verify
    assert verify(shop.ledger.records()).ok


def test_erasing_a_recipient_clears_their_delivery_on_someone_elses_order(shop, ful):
    """A gift sent to a friend: erasing the friend's phone drops the delivery's recipient,
    phone and address, while the buyer's own customer fields stay."""
    from appliance.customers import CustomerData
    order = open_order(shop, phone="13900139000")            # the buyer
    ful.set(shop.assistant, order.id, kind="delivery", **ADDRESS)   # to the friend
    friend = ADDRESS["phone"]
    CustomerData(shop.ledger).erase(shop.manager, friend, "收件人要求删除")
    with shop.ledger.reading() as conn:
        row = conn.execute("SELECT recipient, phone, address FROM fulfilments"
                           " WHERE order_id = ?", (order.id,)).fetchone()
        buyer = conn.execute("SELECT customer_phone FROM orders WHERE id = ?",
                             (order.id,)).fetchone()
        now = snapshot(conn)["fulfilments"]
    assert now == snapshot(replay(shop.ledger.records()))["fulfilments"]
    assert row == ("", "", "")
    assert buyer == ("13900139000",)
