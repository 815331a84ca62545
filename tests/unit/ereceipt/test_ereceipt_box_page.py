"""The customer's e-receipt page on the box (docs/ereceipt.md): what it shows, its forms, and
that its links cannot be guessed or walked."""

import base64
import hashlib
import hmac
import re
import uuid

import pytest

from appliance.ereceipt import RateLimit, form_key
from appliance.orders import Actor
from appliance.printing.documents import ereceipt_token

NAME, PHONE = "周丽", "13800138000"


def form_key_of(page: str) -> str:
    return re.search(r'name="form_key" value="([0-9a-f]+)"', page).group(1)


@pytest.fixture
def sale(web):
    box = web.box
    cashier = Actor(web.staff_ids["cashier"], "cashier", "counter")
    member = box.members.sign_up(cashier, name=NAME, phone=PHONE)
    order = box.orders.open_order(cashier, customer_name="王先生", customer_phone="13900000000",
                                  note="送到 幸福路 8 号")
    box.orders.set_member(cashier, order.id, member.id)
    box.orders.add_line(cashier, order.id, barcode="6901234567892")
    box.orders.add_line(cashier, order.id, barcode="2000000000015")
    box.orders.add_payment(cashier, order.id, "cash", 20000)
    order = box.orders.get_order(order.id)
    token = ereceipt_token(box.receipt_key, order.id)
    return {"order": order, "token": token, "cashier": cashier, "member": member,
            "url": f"/r/{token}"}


def test_the_page_shows_the_receipt_and_status_and_no_personal_data(web, sale):
    r = web.client().get(sale["url"])
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "西湖龙井" in page and "汝窑茶杯" in page and sale["order"].number in page
    assert "Paid" in page and "103.00" in page
    for personal in (NAME, PHONE, "8000", "王先生", "13900000000", "幸福路"):
        assert personal not in page, personal
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert '<meta name="robots" content="noindex' in page
    # No QR link of its own printed on the page, and no member balances.
    assert "/r/" + sale["token"] not in page.replace(f'action="/r/{sale["token"]}', "")


def test_the_page_speaks_chinese_by_default(web, sale):
    page = web.client(language="zh-CN").get(sale["url"]).get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "已付" in page and "合计" in page
    page = web.client(language="en").get(sale["url"]).get_data(as_text=True)
    assert '<html lang="en">' in page and "Paid" in page


def test_refunds_show_as_partly_refunded_then_refunded_with_dates_and_amounts(web, sale):
    box, order = web.box, sale["order"]
    manager = Actor(web.staff_ids["manager"], "manager", "counter")
    tea = next(ln for ln in order.lines if ln.name == "西湖龙井")
    box.orders.refund(manager, order.id, reason="顾客不要了", lines=[(tea.line_id, 1)])
    page = web.client().get(sale["url"]).get_data(as_text=True)
    assert "Partly refunded" in page and "Refunded ￥68.00 on" in page
    assert "顾客不要了" not in page        # staff's reasons are not the customer's page
    box.orders.refund(manager, order.id, reason="全部退")
    page = web.client().get(sale["url"]).get_data(as_text=True)
    assert 'er-refunded' in page and "Refunded ￥35.00 on" in page


def test_delivery_tracking_shows_steps_carrier_and_number_but_not_the_address(web, sale):
    box, order = web.box, sale["order"]
    owner = Actor(web.staff_ids["owner"], "owner", "counter")
    box.fulfilment.set(owner, order.id, kind="delivery", recipient="李四",
                       phone="13700000000", address="上海市 幸福路 9 号", note="放门卫")
    carrier = box.fulfilment.carriers()[0] if box.fulfilment.carriers() else "顺丰"
    box.fulfilment.update(owner, order.id, "packed")
    box.fulfilment.update(owner, order.id, "shipped", carrier=carrier,
                          tracking="SF1234567890")
    page = web.client().get(sale["url"]).get_data(as_text=True)
    assert "SF1234567890" in page and "Shipped" in page and "Packed" in page
    assert 'class="todo step-delivered"' in page
    for personal in ("李四", "13700000000", "幸福路 9", "放门卫"):
        assert personal not in page


def test_feedback_is_recorded_and_a_second_one_replaces_what_is_shown(web, sale):
    c = web.client()
    page = c.get(sale["url"]).get_data(as_text=True)
    key = form_key_of(page)
    r = c.post(sale["url"] + "/feedback", data={"form_key": key, "rating": "4",
                                                 "comment": "茶很好"})
    assert r.status_code == 303
    assert r.headers["Location"].endswith(f"/r/{sale['token']}?sent=feedback#feedback")
    page = c.get(sale["url"] + "?sent=feedback").get_data(as_text=True)
    assert "Thank you for your feedback" in page and "Your rating: 4 of 5" in page
    c.post(sale["url"] + "/feedback", data={"form_key": key, "rating": "2"})
    page = c.get(sale["url"]).get_data(as_text=True)
    assert "Your rating: 2 of 5" in page
    recs = [r for r in web.box.ledger.records() if r.type == "customer.feedback"]
    assert [(r.data["rating"], r.data["comment"], r.data["source"]) for r in recs] == [
        (4, "茶很好", "box"), (2, "", "box")]
    assert recs[0].actor["role"] == "customer" and recs[0].actor["staff"] is None


@pytest.mark.parametrize("form, message", [
    ({"rating": "0"}, "choose a rating from 1 to 5"),
    ({"rating": "6"}, "choose a rating from 1 to 5"),
    ({}, "choose a rating from 1 to 5"),
    ({"rating": "5", "comment": "好" * 501}, "500 characters"),
])
def test_bad_feedback_shows_the_page_again_with_the_message(web, sale, form, message):
    c = web.client()
    key = form_key_of(c.get(sale["url"]).get_data(as_text=True))
    r = c.post(sale["url"] + "/feedback", data={"form_key": key, **form})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert message in page and 'role="alert"' in page
    assert not [r for r in web.box.ledger.records() if r.type == "customer.feedback"]


def test_a_return_request_opens_a_ticket_and_its_status_shows(web, sale):
    c = web.client()
    key = form_key_of(c.get(sale["url"]).get_data(as_text=True))
    r = c.post(sale["url"] + "/request", data={"form_key": key, "kind": "return_request",
                                                "comment": "杯子有裂纹"})
    assert r.status_code == 303 and "sent=request" in r.headers["Location"]
    [ticket] = web.box.aftersales.for_order(sale["order"].id)
    assert ticket["kind"] == "return_request" and ticket["status"] == "open"
    assert f"ticket={ticket['number']}" in r.headers["Location"]
    page = c.get(r.headers["Location"].split("#")[0]).get_data(as_text=True)
    assert ticket["number"] in page and "Return request" in page and "Request received" in page
    assert "the shop has your request" in page
    [rec] = [r for r in web.box.ledger.records() if r.type == "ticket.opened"]
    assert rec.data["source"] == "customer" and rec.data["summary"] == "杯子有裂纹"


@pytest.mark.parametrize("form, message", [
    ({"kind": "refund_now", "comment": "x"}, "choose what you are asking for"),
    ({"kind": "complaint", "comment": "  "}, "please describe what happened"),
    ({"kind": "complaint"}, "please describe what happened"),
])
def test_bad_requests_show_the_message(web, sale, form, message):
    c = web.client()
    key = form_key_of(c.get(sale["url"]).get_data(as_text=True))
    r = c.post(sale["url"] + "/request", data={"form_key": key, **form})
    assert r.status_code == 400 and message in r.get_data(as_text=True)
    assert web.box.aftersales.for_order(sale["order"].id) == []


def test_posts_need_the_links_form_key(web, sale):
    c = web.client()
    other = ereceipt_token(web.box.receipt_key, str(uuid.uuid4()))
    for data in ({"rating": "5"}, {"rating": "5", "form_key": "0" * 32},
                 {"rating": "5", "form_key": form_key(web.box.receipt_key, other)}):
        r = c.post(sale["url"] + "/feedback", data=data)
        assert r.status_code == 403 and "out of date" in r.get_data(as_text=True)
    assert not [r for r in web.box.ledger.records() if r.type == "customer.feedback"]


def test_posts_are_rate_limited_per_link(web, sale):
    c = web.client()
    key = form_key_of(c.get(sale["url"]).get_data(as_text=True))
    codes = [c.post(sale["url"] + "/feedback", data={"form_key": key, "rating": "5"}
                    ).status_code for _ in range(12)]
    assert codes[:10] == [303] * 10 and codes[10:] == [429, 429]
    r = c.post(sale["url"] + "/feedback", data={"form_key": key, "rating": "5"})
    assert "Retry-After" in r.headers and "try again later" in r.get_data(as_text=True)


def _mac(key: str, order_id: str) -> str:
    return ereceipt_token(key, order_id).partition(".")[2]


def test_links_cannot_be_enumerated(web, sale):
    """Random tokens, other orders' ids, altered or truncated signatures, a signature moved
    to another order, an unpaid order: all the same 404 page."""
    box = web.box
    cashier = sale["cashier"]
    paid_b = box.orders.open_order(cashier)
    box.orders.add_line(cashier, paid_b.id, barcode="6901234567892")
    box.orders.add_payment(cashier, paid_b.id, "cash", 6800)
    unpaid = box.orders.open_order(cashier)
    box.orders.add_line(cashier, unpaid.id, barcode="6901234567892")
    a_id, good = sale["order"].id, sale["token"]
    mac = good.partition(".")[2]
    assert len(base64.urlsafe_b64decode(mac + "==")) == 12     # 96 bits
    forged_key_mac = base64.urlsafe_b64encode(hmac.new(b"guess", a_id.encode(),
                                                       hashlib.sha256).digest()[:12]).decode()
    flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    bad = [
        "x", "no-such.receipt", f"{uuid.uuid4()}.{mac}",            # random / wrong order
        f"{paid_b.id}.{mac}",                                       # A's MAC, B's id
        f"{a_id}.{mac[:-2]}", f"{a_id}.{flipped}", f"{a_id}.", a_id,  # truncated / altered
        f"{a_id}.{forged_key_mac.rstrip('=')}", f"{a_id}.{mac}x",
        f"{a_id.upper()}.{mac}",
        ereceipt_token(box.receipt_key, unpaid.id),                 # valid link, unpaid
        ereceipt_token(box.receipt_key, str(uuid.uuid4())),         # valid MAC, no order
    ]
    bodies = set()
    for i, token in enumerate(bad):
        c = web.client()
        c.client.environ_base["REMOTE_ADDR"] = f"10.0.0.{i + 1}"
        r = c.get(f"/r/{token}")
        assert r.status_code == 404, token
        assert r.headers["Cache-Control"] == "no-store"
        bodies.add(r.get_data())
        for form in ("feedback", "request"):
            r = c.post(f"/r/{token}/{form}", data={"rating": "5", "kind": "complaint",
                                                   "comment": "x"})
            assert r.status_code == 404 and r.get_data() in bodies
    assert len(bodies) == 1
    assert b"/r/" not in next(iter(bodies))
    assert web.client().get(f"/r/{ereceipt_token(box.receipt_key, paid_b.id)}"
                            ).status_code == 200
    assert not [r for r in box.ledger.records()
                if r.type in ("customer.feedback", "ticket.opened")]


def test_guessing_from_one_address_is_slowed_down(web, sale):
    c = web.client()
    c.client.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    codes = [c.get(f"/r/{uuid.uuid4()}.AAAAAAAAAAAAAAAA").status_code for _ in range(21)]
    assert codes[:20] == [404] * 20 and codes[20] == 429
    # Now even a good link waits from that address, with the same page for everyone there.
    r = c.get(sale["url"])
    assert r.status_code == 429 and "Retry-After" in r.headers
    assert web.client().get(sale["url"]).status_code == 200     # other phones are fine


def test_the_page_names_nobody_after_erasure(web, sale):
    box = web.box
    c = web.client()
    key = form_key_of(c.get(sale["url"]).get_data(as_text=True))
    c.post(sale["url"] + "/feedback", data={"form_key": key, "rating": "3",
                                             "comment": f"我是{NAME} 电话{PHONE}"})
    manager = Actor(web.staff_ids["manager"], "manager", "counter")
    box.customers.erase(manager, PHONE, "顾客要求")
    page = c.get(sale["url"]).get_data(as_text=True)
    assert "西湖龙井" in page and "Your rating: 3 of 5" in page
    for personal in (NAME, PHONE, "8000"):
        assert personal not in page
    with box.ledger.reading() as conn:
        assert conn.execute("SELECT rating, comment FROM feedback").fetchall() == [(3, "")]


def test_rate_limit_window_slides():
    now = [0.0]
    limit = RateLimit(2, 10, clock=lambda: now[0])
    assert limit.hit("a") == 0 and limit.hit("a") == 0
    assert limit.hit("a") == pytest.approx(10)
    assert limit.hit("b") == 0
    now[0] = 10.5
    assert limit.hit("a") == 0
