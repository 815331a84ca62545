"""The notification outbox: what queues a message, to whom, on which channel; claiming with a
lease, retries with backoff, permanent failures, delivery reports; a manager's retry, cancel
and test; erasure; training never notifies."""

from __future__ import annotations

import json

import pytest

from appliance.errors import Conflict, Forbidden, NotFound, ValidationError
from appliance.i18n import language, _
from appliance.notify import retry_delay, templates
from appliance.printing.documents import ereceipt_token

from notifybox import ASSISTANT, CASHIER, MANAGER, OWNER, make_box, paid_order, rows


@pytest.fixture
def box(tmp_path):
    b = make_box(tmp_path)
    yield b
    b.close()


def join(box, phone="13800138000", email=""):
    return box.members.sign_up(ASSISTANT, name="周女士", phone=phone, email=email)


# -- triggers and channels -------------------------------------------------------------------

def test_member_sign_up_queues_a_welcome_by_email_and_sms_in_the_sale_transaction(box):
    m = join(box, email="Zhou@Example.COM")
    found = rows(box, event="member_welcome")
    assert {(r["channel"], r["route"], r["address"]) for r in found} == {
        ("email", "smtp", "Zhou@example.com"), ("sms", "modem", "13800138000")}
    assert all(r["member_id"] == m.id and r["state"] == "queued" for r in found)
    assert all(r["language"] == "zh_CN" for r in found)
    # the row carries the seq of the record that caused it
    with box.ledger.reading() as conn:
        seqs = {s for (s,) in conn.execute("SELECT seq FROM notifications")}
        head = conn.execute("SELECT MAX(seq) FROM journal").fetchone()[0]
    assert seqs == {head}


def test_no_email_address_means_sms_only_and_params_hold_no_personal_data(box):
    join(box)
    found = rows(box)
    assert [(r["event"], r["channel"]) for r in found] == [("member_welcome", "sms")]
    assert "13800138000" not in found[0]["params"] and "周" not in found[0]["params"]


def test_events_not_listed_in_the_settings_are_not_queued(box):
    box.master.settings.set("notify.events", ["order_ready"])
    join(box, email="a@example.com")
    assert rows(box) == []


def test_everything_off_queues_nothing(tmp_path):
    b = make_box(tmp_path, email="off", sms="off", wechat="off")
    try:
        join(b, email="a@example.com")
        assert rows(b) == []
    finally:
        b.close()


def test_relay_routes_sms_and_wechat_through_head_office(tmp_path):
    b = make_box(tmp_path, email="off", sms="relay", wechat="relay")
    try:
        join(b)
        assert {(r["channel"], r["route"]) for r in rows(b)} == {("sms", "relay"),
                                                                 ("wechat", "relay")}
    finally:
        b.close()


def test_pickup_ready_tells_the_orders_customer_with_the_e_receipt_link(box):
    order = paid_order(box, customer_phone="13900139000")
    box.fulfilment.set(ASSISTANT, order.id, kind="pickup")
    assert rows(box, event="order_ready") == []
    box.fulfilment.update(ASSISTANT, order.id, "ready")
    [r] = rows(box, event="order_ready")
    assert (r["channel"], r["address"], r["order_id"]) == ("sms", "13900139000", order.id)
    params = json.loads(r["params"])
    assert params["number"] == order.number
    assert params["link"] == ("https://r.example.com/r/demo-store/till-1/"
                              + ereceipt_token(box.receipt_key, order.id))


def test_shipping_a_delivery_tells_carrier_and_tracking_to_the_delivery_phone(box):
    order = paid_order(box)   # no customer phone on the order: the delivery's phone
    box.fulfilment.set(ASSISTANT, order.id, kind="delivery", recipient="李先生",
                       phone="13700137000", address="杭州市西湖区1号")
    box.fulfilment.update(ASSISTANT, order.id, "packed")
    carrier = box.master.settings.get("fulfilment.carriers")[0]
    box.fulfilment.update(ASSISTANT, order.id, "shipped", carrier=carrier,
                          tracking="SF1234567890")
    [r] = rows(box, event="order_shipped")
    assert r["address"] == "13700137000"
    p = json.loads(r["params"])
    assert (p["carrier"], p["tracking"]) == (carrier, "SF1234567890")
    assert "李" not in r["params"] and "杭州" not in r["params"]


def test_a_member_on_the_order_is_told_instead_of_the_typed_phone(box):
    m = join(box, email="m@example.com")
    order = paid_order(box, customer_phone="13900139000", member_id=m.id)
    box.fulfilment.set(ASSISTANT, order.id, kind="pickup")
    box.fulfilment.update(ASSISTANT, order.id, "ready")
    assert {r["address"] for r in rows(box, event="order_ready")} == {"m@example.com",
                                                                        "13800138000"}


def test_ticket_opened_and_each_status_change_notify_but_a_plain_note_does_not(box):
    order = paid_order(box, customer_phone="13900139000")
    t = box.aftersales.open(ASSISTANT, kind="complaint", summary="盒子破损",
                            order_id=order.id, customer_phone="13600136000")
    box.aftersales.update(CASHIER, t["id"], status="in_progress")
    box.aftersales.update(CASHIER, t["id"], note="已联系供应商")
    box.aftersales.update(CASHIER, t["id"], status="resolved", note="已换货")
    found = rows(box, event="aftersales")
    assert [json.loads(r["params"])["status"] for r in found] == ["open", "in_progress",
                                                                   "resolved"]
    assert {r["address"] for r in found} == {"13600136000"}   # the ticket's phone
    assert all(r["ticket_id"] == t["id"] for r in found)


def test_points_and_balance_changes_carry_delta_and_after(box):
    m = join(box)
    box.members.adjust_points(MANAGER, m.id, 120, "补录积分")
    box.members.top_up(CASHIER, m.id, 10000, "cash")
    [p] = rows(box, event="points_changed")
    assert {k: json.loads(p["params"])[k] for k in ("delta", "after")} == {"delta": 120,
                                                                           "after": 120}
    [b] = rows(box, event="balance_changed")
    params = json.loads(b["params"])
    assert params["delta"] >= 10000 and params["after"] == params["delta"]


def test_a_fault_in_the_trigger_never_costs_the_sale(box, monkeypatch):
    import appliance.notify as notify

    def broken(*_a, **_k):
        raise RuntimeError("template store on fire")
    monkeypatch.setattr(notify, "triggers_for", broken)
    order = paid_order(box, customer_phone="13900139000")
    assert order.status == "paid"
    assert rows(box) == []


def test_the_training_box_never_queues(box):
    training = box.training()
    training.members.sign_up(ASSISTANT, name="练习", phone="13500135000")
    with training.ledger.reading() as conn:
        assert conn.execute("SELECT COUNT(*) FROM notifications").fetchone()[0] == 0
    assert rows(box) == []


# -- templates --------------------------------------------------------------------------------

@pytest.mark.parametrize("event,params", [
    ("order_ready", {"number": "20261126-0001"}),
    ("order_shipped", {"number": "20261126-0001", "carrier": "顺丰速运", "tracking": "SF1"}),
    ("aftersales", {"ticket": "S20261126-0001", "status": "in_progress"}),
    ("member_welcome", {}),
    ("points_changed", {"delta": -50, "after": 70}),
    ("balance_changed", {"delta": 12345, "after": 20000}),
    ("test", {}),
])
def test_every_event_renders_in_both_languages(event, params):
    zh = templates.render(event, params, "zh_CN", "sms", "清风茶庄")
    en = templates.render(event, params, "en", "sms", "清风茶庄")
    assert zh["text"].startswith("【清风茶庄】")
    assert en["text"].startswith("[清风茶庄] ") and en["text"].isascii() is False
    for value in params.values():
        shown = str(value) if event != "balance_changed" else None
        if shown and event != "aftersales" and event != "points_changed":
            assert shown in en["text"]
    mail = templates.render(event, params, "en", "email", "清风茶庄")
    assert mail["subject"].startswith("清风茶庄: ")
    assert len(en["text"]) < 200


def test_amounts_render_as_yuan_and_points_with_a_sign():
    en = templates.render("balance_changed", {"delta": 12345, "after": 20000}, "en", "sms",
                          "S")
    assert "+123.45" in en["text"] and "200.00" in en["text"]
    en = templates.render("points_changed", {"delta": -50, "after": 70}, "en", "sms", "S")
    assert "-50" in en["text"] and "70 points" in en["text"]


def test_the_link_is_appended_to_the_text():
    en = templates.render("order_ready", {"number": "1", "link": "https://r.example.com/r/x.y"},
                          "en", "sms", "S")
    assert en["text"].endswith("https://r.example.com/r/x.y")


def test_every_template_text_has_a_chinese_translation():
    """The zh_CN catalog knows each message (po-notify.txt merged into webui/translations)."""
    msgids = ["Your order {number} is ready for pick-up in the shop.",
              "Your order {number} has been shipped: {carrier}, tracking number {tracking}.",
              "Your after-sales request {number} is now: {status}.",
              "Welcome! You are now a member of {shop}.",
              "Your points changed by {delta}; you now have {after} points.",
              "Your stored value changed by {delta} yuan; balance {after} yuan.",
              "This is a test message from {shop}: notifications work."]
    with language("zh_CN"):
        missing = [m for m in msgids if _(m) == m]
    assert not missing, missing


# -- claiming, results, retries ---------------------------------------------------------------

def test_claim_renders_and_leases_and_a_lapsed_lease_offers_it_again(box):
    join(box)
    n = box.notifications
    job = n.claim(["modem"])
    assert job["route"] == "modem" and job["to"] == "13800138000"
    assert job["text"].startswith("【清风茶庄】") and job["attempts"] == 1
    assert n.claim(["modem"]) is None          # leased
    assert n.claim(["smtp"]) is None           # other route
    box.test_clock.advance(seconds=n.lease.total_seconds() + 1)
    again = n.claim(["modem"])
    assert again["id"] == job["id"] and again["attempts"] == 2


def test_claim_validates_routes(box):
    for bad in (None, [], ["fax"], "smtp"):
        with pytest.raises(ValidationError):
            box.notifications.claim(bad)


def test_transient_failures_back_off_then_fail_after_max_attempts(box):
    join(box)
    n = box.notifications
    job = n.claim(["modem"])
    row = n.result(job["id"], "retry", error="modem busy")
    assert row["state"] == "queued" and row["last_error"] == "modem busy"
    assert n.claim(["modem"]) is None          # not due yet
    box.test_clock.advance(seconds=retry_delay(1) + 1)
    job = n.claim(["modem"])
    n.result(job["id"], "retry", error="modem busy")
    box.test_clock.advance(seconds=retry_delay(2) + 1)
    job = n.claim(["modem"])
    assert job["attempts"] == 3
    row = n.result(job["id"], "retry", error="modem busy")   # max_attempts = 3
    assert row["state"] == "failed"
    box.test_clock.advance(hours=5)
    assert n.claim(["modem"]) is None


def test_retry_delays_double_up_to_an_hour():
    assert [retry_delay(a) for a in (1, 2, 3)] == [30, 60, 120]
    assert retry_delay(20) == 3600


def test_a_permanent_failure_fails_at_once(box):
    join(box)
    n = box.notifications
    job = n.claim(["modem"])
    assert n.result(job["id"], "failed", error="invalid number")["state"] == "failed"


def test_results_need_an_error_and_a_sending_row(box):
    join(box)
    n = box.notifications
    job = n.claim(["modem"])
    with pytest.raises(ValidationError):
        n.result(job["id"], "retry")
    with pytest.raises(ValidationError):
        n.result(job["id"], "maybe", error="x")
    with pytest.raises(NotFound):
        n.result("n-nope", "sent")
    n.result(job["id"], "sent", provider_ref="12")
    assert n.result(job["id"], "sent", provider_ref="12")["state"] == "sent"  # repeated: ok
    with pytest.raises(Conflict):
        n.result(job["id"], "retry", error="late")


def test_delivery_reports_match_route_and_reference_parts(box):
    join(box)
    join(box, phone="13800138001")
    n = box.notifications
    a, b = n.claim(["modem"]), n.claim(["modem"])
    n.result(a["id"], "sent", provider_ref="12,13")
    n.result(b["id"], "sent", provider_ref="14")
    assert n.get(a["id"])["delivery"] == "pending"
    assert n.delivery("modem", "13", "delivered") == [a["id"]]
    assert n.delivery("smtp", "14", "delivered") == []
    assert n.delivery("modem", "14", "failed") == [b["id"]]
    assert n.delivery("modem", "14", "delivered") == []       # a failure sticks
    assert n.get(a["id"])["delivery"] == "delivered"
    assert n.get(b["id"])["delivery"] == "failed"
    with pytest.raises(ValidationError):
        n.delivery("modem", "12", "lost")


# -- the manager's side ----------------------------------------------------------------------

def test_retry_cancel_and_test_need_a_manager(box):
    join(box)
    n = box.notifications
    job = n.claim(["modem"])
    n.result(job["id"], "failed", error="invalid number")
    with pytest.raises(Forbidden):
        n.retry(CASHIER, job["id"])
    with pytest.raises(Forbidden):
        n.list(CASHIER)
    assert n.retry(MANAGER, job["id"])["state"] == "queued"
    with pytest.raises(Conflict):
        n.retry(MANAGER, job["id"])                 # already queued
    assert n.cancel(OWNER, job["id"])["state"] == "cancelled"
    assert n.claim(["modem"]) is None


def test_listing_masks_addresses_and_counts_states(box):
    join(box, email="zhou@example.com")
    listed = box.notifications.list(MANAGER)
    tos = {x["to"] for x in listed["notifications"]}
    assert tos == {"138****8000", "z***@example.com"}
    assert listed["counts"]["queued"] == 2
    only_mail = box.notifications.list(MANAGER, channel="email")["notifications"]
    assert [x["channel"] for x in only_mail] == ["email"]
    with pytest.raises(ValidationError):
        box.notifications.list(MANAGER, state="lost")


def test_a_test_message_goes_on_the_configured_route(box):
    row = box.notifications.send_test(MANAGER, "email", "boss@example.com")
    assert (row["route"], row["event"], row["state"]) == ("smtp", "test", "queued")
    job = box.notifications.claim(["smtp"])
    assert job["to"] == "boss@example.com" and "清风茶庄" in job["subject"]
    with pytest.raises(ValidationError):
        box.notifications.send_test(MANAGER, "wechat", "13800138000")   # wechat is off here
    with pytest.raises(ValidationError):
        box.notifications.send_test(MANAGER, "email", "not-an-address")
    with pytest.raises(Forbidden):
        box.notifications.send_test(CASHIER, "sms", "13800138000")


# -- erasure ---------------------------------------------------------------------------------

def test_erasure_drops_addresses_and_cancels_what_waits(box, ledger_invariants):
    m = join(box, email="zhou@example.com")
    order = paid_order(box, customer_phone="13900139000")
    box.fulfilment.set(ASSISTANT, order.id, kind="pickup")
    box.fulfilment.update(ASSISTANT, order.id, "ready")
    n = box.notifications
    sent = n.claim(["smtp"])
    n.result(sent["id"], "sent", provider_ref="abc@example.com")
    box.customers.erase(MANAGER, "13800138000", "customer asked")
    for r in rows(box, member_id=m.id):
        assert r["address"] == ""
        assert r["state"] in ("cancelled", "sent")
    assert n.get(sent["id"])["state"] == "sent"
    with box.ledger.reading() as conn:
        assert conn.execute("SELECT email FROM members WHERE id = ?",
                            (m.id,)).fetchone()[0] == ""
    # the order's customer was not erased: their message still waits
    assert [r["state"] for r in rows(box, event="order_ready")] == ["queued"]
    box.customers.erase(MANAGER, "13900139000", "customer asked")
    assert [(r["state"], r["address"]) for r in rows(box, event="order_ready")] == [
        ("cancelled", "")]
    with pytest.raises(Conflict):
        n.retry(MANAGER, n.list(MANAGER, event="order_ready")["notifications"][0]["id"])
    ledger_invariants(box.ledger)


def test_a_reused_message_reference_reports_on_the_newest_message_only(box):
    """The modem's message references wrap at 256: a report for a reference in use again
    settles the message waiting for it, never an older one already delivered."""
    n = box.notifications
    box.members.sign_up(CASHIER, name="甲", phone="13900000001")
    first = n.claim(["modem"])
    n.result(first["id"], "sent", provider_ref="12")
    assert n.delivery("modem", "12", "delivered") == [first["id"]]
    box.members.sign_up(CASHIER, name="乙", phone="13900000002")
    second = n.claim(["modem"])
    n.result(second["id"], "sent", provider_ref="12")
    assert n.delivery("modem", "12", "failed") == [second["id"]]
    assert n.get(first["id"])["delivery"] == "delivered"
    assert n.get(second["id"])["delivery"] == "failed"
    assert n.delivery("modem", "12", "delivered") == []      # both settled: nothing to do
