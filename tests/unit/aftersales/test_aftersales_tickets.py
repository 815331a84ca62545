"""After-sales tickets (docs/aftersales.md): the e-receipt's interfaces, opening tickets from
an order number or a serial, numbering per local day, the status flow with its notes, the
warranty window, permissions, and projections equal to a replay."""

import pytest

from appliance.aftersales import AfterSales
from appliance.errors import Conflict, Forbidden, NotFound, ValidationError
from appliance.ledger.projections import replay, snapshot
from conftest import check_ledger_invariants

PHONE = "13800138000"


@pytest.fixture
def desk(shop):
    return AfterSales(shop.ledger, shop.master, "Asia/Shanghai")


@pytest.fixture
def sale(shop):
    order = shop.engine.open_order(shop.assistant, customer_name="周丽",
                                   customer_phone="138 0013 8000")
    shop.engine.add_line(shop.assistant, order.id, barcode="6901234567892")
    return shop.engine.add_payment(shop.cashier, order.id, "cash", 6800).order


def test_a_customer_request_opens_a_ticket_that_the_e_receipt_shows(shop, desk, sale):
    got = desk.open_for_customer(sale.id, "return_request", "盒子破了，想退货")
    assert got == {"ticket_id": got["ticket_id"], "number": "S20261126-0001", "status": "open"}
    rec = shop.ledger.records()[-1]
    assert rec.type == "ticket.opened"
    assert rec.actor["role"] == "customer" and rec.actor["staff"] == ""
    assert rec.actor["terminal"] == "ereceipt"
    # whom to tell: the order's phone, normalised
    assert rec.data["customer_phone"] == PHONE and rec.data["source"] == "customer"
    shown = desk.for_order(sale.id)
    assert shown == [{"number": "S20261126-0001", "kind": "return_request", "status": "open",
                      "updated_at": rec.ts, "events": [{"status": "open", "ts": rec.ts}]}]


def test_the_e_receipt_view_carries_no_names_phones_or_staff_notes(shop, desk, sale):
    t = desk.open(shop.cashier, kind="complaint", summary="茶叶受潮", order_id=sale.id)
    desk.update(shop.cashier, t["id"], status="in_progress", note="联系了 周丽 13800138000")
    desk.update(shop.assistant, t["id"], note="内部备注")          # a plain note: not shown
    text = repr(desk.for_order(sale.id))
    for secret in ("周丽", PHONE, "联系了", "s-cashier"):
        assert secret not in text
    assert [e["status"] for e in desk.for_order(sale.id)[0]["events"]] == ["open",
                                                                            "in_progress"]


def test_customer_requests_are_refused_for_unpaid_orders_and_bad_input(shop, desk, sale):
    unpaid = shop.engine.open_order(shop.assistant)
    with pytest.raises(Conflict):
        desk.open_for_customer(unpaid.id, "complaint", "x")
    with pytest.raises(NotFound):
        desk.open_for_customer("no-such-order", "complaint", "x")
    with pytest.raises(ValidationError):
        desk.open_for_customer(sale.id, "repair", "x")       # staff kind only
    with pytest.raises(ValidationError):
        desk.open_for_customer(sale.id, "complaint", "   ")
    with pytest.raises(ValidationError):
        desk.open_for_customer(sale.id, "complaint", "长" * 501)
    assert desk.for_order(sale.id) == []


def test_a_customer_cannot_pile_up_open_requests_on_one_order(desk, sale):
    for i in range(3):
        desk.open_for_customer(sale.id, "complaint", f"第 {i} 次")
    with pytest.raises(Conflict):
        desk.open_for_customer(sale.id, "complaint", "再来")


def test_numbers_count_per_local_day(shop, desk, sale, clock):
    a = desk.open(shop.assistant, kind="complaint", summary="a", order_id=sale.id)
    b = desk.open(shop.assistant, kind="repair", summary="b", order_number=sale.number)
    assert (a["number"], b["number"]) == ("S20261126-0001", "S20261126-0002")
    clock.advance(hours=15, minutes=30)   # 02:30Z + 15:30 = 18:00Z = 02:00 next day in Shanghai
    c = desk.open(shop.assistant, kind="complaint", summary="c")
    assert c["number"] == "S20261127-0001"
    assert c["order_id"] is None


def test_a_ticket_takes_the_order_customer_and_shows_who_did_what(shop, desk, sale):
    t = desk.open(shop.assistant, kind="repair", summary="杯子裂了", order_id=sale.id,
                  line_id=sale.lines[0].line_id)
    assert t["customer_name"] == "周丽" and t["customer_phone"] == PHONE
    assert t["order_number"] == sale.number and t["item"]["name"] == "西湖龙井"
    assert t["status"] == "open" and t["next"] == ["in_progress", "closed"]
    t = desk.update(shop.cashier, t["id"], status="in_progress", note="送修")
    t = desk.update(shop.assistant, t["id"], note="厂家说要一周")
    t = desk.update(shop.cashier, t["id"], status="resolved", note="换了新的")
    t = desk.update(shop.manager, t["id"], status="closed", note="客户已取走")
    assert [(e["status"], e["note"], e["staff"]) for e in t["events"]] == [
        ("open", "", "s-assistant"), ("in_progress", "送修", "s-cashier"),
        ("in_progress", "厂家说要一周", "s-assistant"), ("resolved", "换了新的", "s-cashier"),
        ("closed", "客户已取走", "s-manager")]
    types = [(r.type, r.data.get("status")) for r in shop.ledger.records()[-5:]]
    assert types == [("ticket.opened", None), ("ticket.updated", "in_progress"),
                     ("ticket.updated", "in_progress"), ("ticket.updated", "resolved"),
                     ("ticket.updated", "closed")]
    assert t["next"] == []
    check_ledger_invariants(shop.ledger)


def test_the_status_flow_refuses_skips_and_needs_notes(shop, desk, sale):
    t = desk.open(shop.assistant, kind="complaint", summary="x", order_id=sale.id)
    with pytest.raises(Conflict):
        desk.update(shop.cashier, t["id"], status="resolved", note="跳过")
    with pytest.raises(ValidationError):
        desk.update(shop.cashier, t["id"], status="closed")            # no note
    with pytest.raises(ValidationError):
        desk.update(shop.cashier, t["id"], status="done", note="x")
    with pytest.raises(ValidationError):
        desk.update(shop.assistant, t["id"], note="")                   # an empty note
    desk.update(shop.cashier, t["id"], status="closed", note="重复的单")
    with pytest.raises(Conflict):
        desk.update(shop.cashier, t["id"], status="in_progress", note="x")
    # reopen after resolved
    u = desk.open(shop.assistant, kind="complaint", summary="y", order_id=sale.id)
    desk.update(shop.cashier, u["id"], status="in_progress")
    desk.update(shop.cashier, u["id"], status="resolved", note="退了差价")
    assert desk.update(shop.cashier, u["id"], status="in_progress",
                       note="客户说没收到")["status"] == "in_progress"


def test_permissions(shop, desk, sale):
    t = desk.open(shop.assistant, kind="complaint", summary="x", order_id=sale.id)
    with pytest.raises(Forbidden):
        desk.update(shop.assistant, t["id"], status="in_progress")
    from appliance.orders import Actor
    with pytest.raises(Forbidden):
        desk.open(Actor("s-x", "nobody"), kind="complaint", summary="x")


def test_warranty_window_and_a_managers_override(shop, desk, sale, clock):
    shop.master.settings.set("aftersales.warranty_days", 30)
    clock.advance(days=30)          # sold 2026-11-26 10:30 local: the last day is 12-26
    t = desk.open(shop.cashier, kind="warranty", summary="不亮了", order_id=sale.id)
    assert t["warranty_until"] == "2026-12-26" and t["approved_by"] is None
    clock.advance(days=1)
    with pytest.raises(Forbidden) as refused:
        desk.open(shop.cashier, kind="warranty", summary="不亮了", order_id=sale.id)
    assert "ended on" in refused.value.message
    t = desk.open(shop.cashier, kind="warranty", summary="不亮了", order_id=sale.id,
                  approver=shop.manager)
    assert t["approved_by"] == "s-manager"
    with pytest.raises(ValidationError):
        desk.open(shop.cashier, kind="warranty", summary="没有单号")
    unpaid = shop.engine.open_order(shop.assistant)
    with pytest.raises(Conflict):
        desk.open(shop.cashier, kind="complaint", summary="x", order_id=unpaid.id)


def test_list_filters_and_search(shop, desk, sale):
    a = desk.open(shop.assistant, kind="complaint", summary="a", order_id=sale.id)
    b = desk.open(shop.assistant, kind="repair", summary="b", customer_phone="13900000000")
    desk.update(shop.cashier, b["id"], status="in_progress")
    assert {t["number"] for t in desk.list()} == {a["number"], b["number"]}
    assert [t["number"] for t in desk.list(status="in_progress")] == [b["number"]]
    assert [t["number"] for t in desk.list(kind="complaint")] == [a["number"]]
    assert [t["number"] for t in desk.list(q="1390000")] == [b["number"]]
    assert [t["number"] for t in desk.list(q=sale.number)] == [a["number"]]
    assert [t["number"] for t in desk.list(q=a["number"])] == [a["number"]]
    assert len(desk.list(status="active")) == 2
    with pytest.raises(ValidationError):
        desk.list(status="nope")
    assert desk.get_by_number(a["number"].lower())["id"] == a["id"]


def test_projections_equal_a_replay(shop, desk, sale):
    t = desk.open(shop.assistant, kind="complaint", summary="a", order_id=sale.id)
    desk.update(shop.cashier, t["id"], status="in_progress", note="n")
    desk.open_for_customer(sale.id, "return_request", "退")
    records = shop.ledger.records()
    with shop.ledger.reading() as conn:
        assert snapshot(conn)["tickets"] == snapshot(replay(records))["tickets"]
    check_ledger_invariants(shop.ledger)
