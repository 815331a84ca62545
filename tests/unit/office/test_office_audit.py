"""The audit trail (docs/staff-audit.md): every kind of sensitive action shows with who,
when (shop-local), amount, reason and order number, newest first; filters by day, kind and
staff; pages; CSV."""

import csv
import io

from datetime import datetime, timezone

import pytest

from appliance.audit_trail import KINDS, AuditTrail
from appliance.clock import FixedClock
from appliance.errors import Forbidden, ValidationError
from appliance.finance import Finance
from appliance.orders import Actor
from appliance.settings_changes import change_settings
from appliance.staffing import StaffAdmin


@pytest.fixture
def trail(web):
    box = web.box
    assert box.ledger.head()[0] == 0        # so the clock may start on 26 Nov
    box.ledger.clock = FixedClock(datetime(2026, 11, 26, 2, 30, tzinfo=timezone.utc))
    ids = web.staff_ids
    owner, manager, cashier, assistant = (Actor(ids[r], r, "counter") for r in
                                          ("owner", "manager", "cashier", "assistant"))
    e, clock = box.orders, box.ledger.clock
    change_settings(box.ledger, box.master, owner, {"orders.cashier_refund_limit": 30000})
    StaffAdmin(box.ledger, box.master).add(owner, "吴导购", "assistant", "7391")
    box.shifts.open(cashier, 50000)
    box.shifts.move_cash(cashier, "paid_out", 2000, "买茶叶罐")
    # a price override on a new line and on a changed one, then paid and reprinted
    order = e.open_order(assistant)
    order = e.add_line(assistant, order.id, barcode="6901234567892", unit_price=6000,
                       approver=manager)
    order = e.change_line(assistant, order.id, order.lines[0].line_id, unit_price=5800,
                          approver=manager)
    e.add_line(assistant, order.id, product_id=web.cup.id, variant_id=web.cup.variants[0].id)
    paid = e.add_payment(cashier, order.id, "cash", e.due(e.get_order(order.id))).order
    e.reprint_receipt(cashier, paid.id)
    e.refund(cashier, paid.id, reason="茶杯有裂纹",
             lines=[(paid.lines[1].line_id, 1)])
    # a payment voided with a manager's approval, then the order cancelled
    other = e.add_line(assistant, e.open_order(assistant).id, barcode="6901234567892")
    pay = e.add_payment(cashier, other.id, "card", 1000, reference="T1")
    e.void_payment(cashier, other.id, pay.payment_id, "刷错卡", approver=manager)
    e.cancel(cashier, other.id, "顾客不要了")
    e.open_drawer(cashier, "换零钱")
    e.adjust_stock(manager, web.tea.id, -1, "damaged", note="摔坏")
    member = box.members.sign_up(assistant, name="周丽", phone="13800138000")
    box.members.adjust_points(manager, member.id, 50, "补登积分")
    box.customers.export(manager, "13800138000")     # the member asked for their data
    finance = Finance(box.ledger, box.master)
    entry = finance.add_entry(owner, "utilities", 12345, note="电费")
    finance.void_entry(owner, entry["id"], "记错了")
    box.shifts.close(manager, counts={"10000": 1}, reason="交班差额已核实")
    clock.advance(days=1)
    box.orders.open_drawer(cashier, "次日开箱")
    return {"box": box, "ids": ids, "order": paid, "other": other,
            "audit": AuditTrail(box.ledger, box.master, "Asia/Shanghai"), "owner": owner}


def test_every_kind_shows_with_who_and_when(trail):
    page = trail["audit"].list(trail["owner"], limit=200)
    entries = page["entries"]
    assert page["next_before"] is None
    assert [e["seq"] for e in entries] == sorted((e["seq"] for e in entries), reverse=True)
    kinds = [e["kind"] for e in entries]
    assert set(kinds) == set(KINDS)
    assert kinds.count("price_override") == 2 and kinds.count("finance") == 2
    assert kinds.count("drawer_open") == 2
    ids, by = trail["ids"], {}
    for e in entries:
        by.setdefault(e["kind"], e)
        assert e["staff_name"].endswith("张") and e["time"].startswith("2026-11-2")
    refund = by["refund"]
    assert (refund["staff_id"], refund["staff_name"]) == (ids["cashier"], "cashier 张")
    assert refund["amount"] == "35.00" and refund["reason"] == "茶杯有裂纹"
    assert refund["order_number"] == trail["order"].number
    void = by["payment_void"]
    assert (void["amount"], void["approved_by_name"], void["reason"]) == ("10.00", "manager 张",
                                                                         "刷错卡")
    assert void["order_number"] == trail["other"].number
    assert by["order_cancel"]["reason"] == "顾客不要了"
    overrides = [e for e in entries if e["kind"] == "price_override"]
    assert [o["amount"] for o in overrides] == ["58.00", "60.00"]
    assert all(o["approved_by"] == ids["manager"] and o["staff_id"] == ids["assistant"]
               and o["order_number"] == trail["order"].number for o in overrides)
    assert "68.00" in overrides[1]["detail"] and "西湖龙井" in overrides[1]["detail"]
    assert "68.00" in overrides[0]["detail"]            # the list price from the order line
    assert by["drawer_open"]["reason"] == "次日开箱"     # newest first
    assert by["drawer_open"]["time"].startswith("2026-11-27 10:30")   # shop-local
    assert by["reprint"]["order_number"] == trail["order"].number
    assert "-1" in by["stock_adjust"]["detail"] and "摔坏" in by["stock_adjust"]["reason"]
    assert "周丽" in by["points"]["detail"] and by["points"]["reason"] == "补登积分"
    assert (by["cash_move"]["amount"], by["cash_move"]["reason"]) == ("20.00", "买茶叶罐")
    shift = by["shift_override"]
    assert shift["staff_id"] == ids["manager"] and shift["approved_by"] is None
    assert shift["reason"] == "交班差额已核实" and "cash" in shift["detail"]
    assert by["settings"]["detail"] == "orders.cashier_refund_limit: 200.00 → 300.00"
    assert "吴导购" in by["staff"]["detail"] and by["staff"]["staff_name"] == "owner 张"
    finance = [e for e in entries if e["kind"] == "finance"]
    assert [f["amount"] for f in finance] == ["123.45", "123.45"]
    assert finance[0]["reason"] == "记错了"


def test_gifts_and_ordinary_lines_are_not_listed(trail):
    box = trail["box"]
    types = {e["type"] for e in trail["audit"].list(trail["owner"], limit=200)["entries"]}
    all_types = {r.type for r in box.ledger.records()}
    assert {"order.opened", "order.paid", "order.payment_added"} <= all_types - types
    plain = [r for r in box.ledger.records() if r.type == "order.line_added"
             and r.data["line"]["override_by"] is None]
    assert plain       # the cup's line was sold at its list price and is not listed
    listed = {e["seq"] for e in trail["audit"].list(trail["owner"], limit=200)["entries"]}
    assert not {r.seq for r in plain} & listed


def test_filters_by_kind_staff_and_day(trail):
    audit, owner, ids = trail["audit"], trail["owner"], trail["ids"]
    only = audit.list(owner, kind="refund")["entries"]
    assert [e["kind"] for e in only] == ["refund"]
    manager = audit.list(owner, staff=ids["manager"], limit=200)["entries"]
    assert {e["kind"] for e in manager} == {"price_override", "payment_void", "stock_adjust",
                                            "points", "shift_override", "customer_data"}
    day1 = audit.list(owner, first_day="2026-11-26", last_day="2026-11-26", limit=200)
    day2 = audit.list(owner, first_day="2026-11-27", limit=200)
    assert len(day2["entries"]) == 1 and day2["entries"][0]["reason"] == "次日开箱"
    assert len(day1["entries"]) + 1 == len(audit.list(owner, limit=200)["entries"])
    assert audit.list(owner, first_day="2026-11-28")["entries"] == []
    assert audit.list(owner, last_day="2026-11-25")["entries"] == []


def test_pages_follow_each_other_without_gaps(trail):
    audit, owner = trail["audit"], trail["owner"]
    everything = [e["seq"] for e in audit.list(owner, limit=200)["entries"]]
    seen, before = [], None
    while True:
        page = audit.list(owner, limit=4, before=before)
        seen += [e["seq"] for e in page["entries"]]
        before = page["next_before"]
        if before is None:
            break
    assert seen == everything


def test_bad_filters_and_roles_are_refused(trail):
    audit, owner = trail["audit"], trail["owner"]
    with pytest.raises(ValidationError):
        audit.list(owner, kind="coffee")
    with pytest.raises(ValidationError):
        audit.list(owner, first_day="26-11-2026")
    with pytest.raises(ValidationError):
        audit.list(owner, limit=0)
    with pytest.raises(Forbidden):
        audit.list(Actor(trail["ids"]["manager"], "manager"))


def test_csv_lists_the_same_entries(trail):
    data = trail["audit"].csv(trail["owner"], kind="refund")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["staff"] == "cashier 张" and rows[0]["amount"] == "35.00"
    assert rows[0]["order_number"] == trail["order"].number


def test_the_api_pages_and_exports(trail, web):
    owner = web.as_role("owner")
    r = owner.get("/api/v1/audit?limit=3")
    assert r.status_code == 200
    body = r.get_json()
    assert len(body["entries"]) == 3 and body["next_before"] == body["entries"][-1]["seq"]
    assert set(body["kinds"]) == set(KINDS)
    r = owner.get(f"/api/v1/audit?limit=3&before={body['next_before']}")
    assert r.get_json()["entries"][0]["seq"] < body["next_before"]
    r = owner.get("/api/v1/audit?kind=staff&from=2026-11-26&to=2026-11-27")
    assert [e["kind"] for e in r.get_json()["entries"]] == ["staff"]
    r = owner.get("/api/v1/audit.csv?kind=settings")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "orders.cashier_refund_limit" in r.get_data().decode("utf-8-sig")
    for query in ("kind=coffee", "from=yesterday", "limit=x", "before=-1", "limit=1000"):
        r = owner.get(f"/api/v1/audit?{query}")
        assert r.status_code == 400 and "error" in r.get_json(), query
    r = web.as_role("manager").get("/api/v1/audit")
    assert r.status_code == 403 and "error" in r.get_json()
