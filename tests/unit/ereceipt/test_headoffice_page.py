"""Head office's copy of the e-receipt page (docs/ereceipt.md): served from the stored journal,
links checked against order.paid's signature, forms relayed (never stored), erasure honoured.
The MQTT relay itself is tested against mosquitto in
tests/integration/test_headoffice_ereceipt.py; here it is a recorder."""

import re
import uuid

import pytest

from appliance.headoffice.ereceipt import Reader, RelayError, Settings, create_app
from appliance.headoffice.store import open_store
from appliance.orders import Actor
from appliance.printing.documents import ereceipt_token, ereceipt_url

STORE, DEVICE = "hz-0012", "till-1"
NAME, PHONE = "周丽", "13800138000"


class Recorder:
    """Stands in for the broker connection: remembers what was sent, or fails like it."""

    def __init__(self):
        self.sent, self.fail = [], None

    def send(self, store, device, args, timeout=5.0):
        if self.fail:
            raise RelayError(self.fail)
        self.sent.append((store, device, args))
        return str(uuid.uuid4())


@pytest.fixture
def ho(web, tmp_path):
    box = web.box
    cashier = Actor(web.staff_ids["cashier"], "cashier", "counter")
    owner = Actor(web.staff_ids["owner"], "owner", "counter")
    member = box.members.sign_up(cashier, name=NAME, phone=PHONE)
    order = box.orders.open_order(cashier, customer_name="王先生", customer_phone="13900000000")
    box.orders.set_member(cashier, order.id, member.id)
    box.orders.add_line(cashier, order.id, barcode="6901234567892")
    box.orders.add_line(cashier, order.id, barcode="2000000000015")
    box.orders.add_payment(cashier, order.id, "cash", 20000)
    order = box.orders.get_order(order.id)
    tea = next(ln for ln in order.lines if ln.name == "西湖龙井")
    box.orders.refund(owner, order.id, reason="不要了", lines=[(tea.line_id, 1)])
    box.fulfilment.set(owner, order.id, kind="delivery", recipient="李四",
                       phone="13700000000", address="上海市 幸福路 9 号")
    box.fulfilment.update(owner, order.id, "packed")
    box.aftersales.open_for_customer(order.id, "complaint", "盒子压坏了")
    other = box.orders.open_order(cashier)
    box.orders.add_line(cashier, other.id, barcode="6901234567892")
    box.orders.add_payment(cashier, other.id, "cash", 6800)
    db = open_store(f"sqlite:///{tmp_path}/ho.db")

    def sync():
        for rec in box.ledger.records():
            db.insert_record(STORE, DEVICE, rec, rec.ts, "test")
    sync()
    relay = Recorder()
    reader = Reader(db, settings=Settings({"shop.name": "龙井茶庄"}))
    app = create_app(reader, relay, form_secret="s" * 32)
    app.config.update(TESTING=True)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    token = ereceipt_token(box.receipt_key, order.id)
    yield {"client": client, "relay": relay, "order": order, "other": other, "token": token,
           "url": f"/r/{STORE}/{DEVICE}/{token}", "sync": sync, "db": db, "box": box,
           "app": app}
    db.close()


def test_receipts_link_to_head_office_when_configured(web):
    box = web.box
    order_id = str(uuid.uuid4())
    assert ereceipt_url(box, order_id) == (
        f"{box.public_url}/r/{ereceipt_token(box.receipt_key, order_id)}"
        if box.public_url else "")
    web_cfg = box.config.web
    object.__setattr__(web_cfg, "ereceipt_url", "https://receipts.example.com/")
    try:
        url = ereceipt_url(box, order_id)
    finally:
        object.__setattr__(web_cfg, "ereceipt_url", "")
    shop = box.config.shop
    assert url == (f"https://receipts.example.com/r/{shop.store_id}/{shop.device_id}/"
                   f"{ereceipt_token(box.receipt_key, order_id)}")


def test_head_office_serves_the_same_page_from_the_journal(ho):
    r = ho["client"].get(ho["url"])
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "龙井茶庄" in page and ho["order"].number in page
    assert "西湖龙井" in page and "汝窑茶杯" in page
    assert "Partly refunded" in page and "Refunded ￥68.00 on" in page
    assert "Packed" in page and 'class="todo step-shipped"' in page
    assert "Complaint" in page and "Request received" in page
    for personal in (NAME, PHONE, "王先生", "13900000000", "李四", "13700000000", "幸福路",
                     "不要了", "盒子压坏了"):
        assert personal not in page, personal
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Referrer-Policy"] == "no-referrer"


def test_head_office_refuses_forged_links_with_one_page(ho):
    box, order = ho["box"], ho["order"]
    mac = ho["token"].partition(".")[2]
    bad = [f"/r/{STORE}/{DEVICE}/{order.id}.{'A' * 16}",
           f"/r/{STORE}/{DEVICE}/{ho['other'].id}.{mac}",
           f"/r/{STORE}/{DEVICE}/{uuid.uuid4()}.{mac}",
           f"/r/{STORE}/{DEVICE}/{order.id}.{mac[:-1]}",
           f"/r/{STORE}/till-2/{ho['token']}",
           f"/r/other/{DEVICE}/{ho['token']}",
           f"/r/{STORE}/{DEVICE}/{ereceipt_token('not the key', order.id)}",
           f"/r/{STORE}/{DEVICE}/{ereceipt_token(box.receipt_key, str(uuid.uuid4()))}"]
    bodies = set()
    for i, url in enumerate(bad):
        c = ho["app"].test_client()
        c.environ_base.update(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=f"10.1.0.{i + 1}")
        r = c.get(url)
        assert r.status_code == 404, url
        bodies.add(r.get_data())
        r = c.post(url + "/feedback", data={"rating": "5"})
        assert r.status_code == 404
    assert len(bodies) == 1 and ho["relay"].sent == []


def test_behind_a_trusted_proxy_limits_count_customers_not_the_proxy(ho):
    """One customer guessing links is blocked; another behind the same proxy is not. Without
    --trusted-proxies the header is ignored (a customer cannot choose their address)."""
    reader = Reader(ho["db"], settings=Settings({"shop.name": "龙井茶庄"}))
    proxied = create_app(reader, ho["relay"], form_secret="s" * 32, trusted_proxies=1)
    direct = create_app(reader, ho["relay"], form_secret="s" * 32)
    guess = f"/r/{STORE}/{DEVICE}/{uuid.uuid4()}.{'A' * 16}"
    for app in (proxied, direct):
        c = app.test_client()
        c.environ_base.update(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.9.9.9")  # the proxy
        codes = [c.get(guess, headers={"X-Forwarded-For": "203.0.113.7"}).status_code
                 for _ in range(25)]
        assert codes[-1] == 429
        other = c.get(ho["url"], headers={"X-Forwarded-For": "198.51.100.4"})
        assert other.status_code == (200 if app is proxied else 429)


def test_head_office_forms_relay_to_the_box_and_store_nothing(ho):
    c = ho["client"]
    page = c.get(ho["url"]).get_data(as_text=True)
    key = re.search(r'name="form_key" value="([0-9a-f]+)"', page).group(1)
    before = ho["db"].count_records()
    r = c.post(ho["url"] + "/feedback", data={"form_key": key, "rating": "5",
                                               "comment": "很好"})
    assert r.status_code == 303 and "sent=relayed" in r.headers["Location"]
    r = c.post(ho["url"] + "/request", data={"form_key": key, "kind": "return_request",
                                              "comment": "想退杯子"})
    assert r.status_code == 303
    assert ho["relay"].sent == [
        (STORE, DEVICE, {"order_id": ho["order"].id, "token": ho["token"],
                         "kind": "feedback", "rating": 5, "comment": "很好"}),
        (STORE, DEVICE, {"order_id": ho["order"].id, "token": ho["token"],
                         "kind": "return_request", "comment": "想退杯子"})]
    assert ho["db"].count_records() == before
    page = c.get(r.headers["Location"].split("#")[0]).get_data(as_text=True)
    assert "Sent to the shop" in page
    # bad input and a wrong form key are answered on the page, nothing relayed
    r = c.post(ho["url"] + "/feedback", data={"form_key": key, "rating": "9"})
    assert r.status_code == 400 and "from 1 to 5" in r.get_data(as_text=True)
    r = c.post(ho["url"] + "/feedback", data={"form_key": "0" * 32, "rating": "4"})
    assert r.status_code == 403
    assert len(ho["relay"].sent) == 2


def test_the_page_says_when_the_shop_cannot_be_reached(ho):
    c = ho["client"]
    key = re.search(r'name="form_key" value="([0-9a-f]+)"',
                    c.get(ho["url"]).get_data(as_text=True)).group(1)
    ho["relay"].fail = "not connected to the broker"
    r = c.post(ho["url"] + "/feedback", data={"form_key": key, "rating": "4"})
    assert r.status_code == 503 and "cannot be reached" in r.get_data(as_text=True)


def test_feedback_recorded_by_the_box_shows_at_head_office(ho, web, device):
    args = {"order_id": ho["order"].id, "token": ho["token"], "kind": "feedback",
            "rating": 4, "comment": ""}
    assert device.post("/api/v1/device/customer-requests", json=args).status_code == 201
    ho["sync"]()
    page = ho["client"].get(ho["url"]).get_data(as_text=True)
    assert "Your rating: 4 of 5" in page


def test_head_office_honours_erasure(ho, web):
    box = ho["box"]
    manager = Actor(web.staff_ids["manager"], "manager", "counter")
    box.customers.erase(manager, PHONE, "顾客要求")      # the member and their orders
    ho["sync"]()
    # The order as head office rebuilds it no longer names anyone.
    from appliance.headoffice.ereceipt import _replay
    from appliance.orders import model
    conn = _replay(Reader(ho["db"]).order_records(STORE, DEVICE, ho["order"].id))
    rebuilt = model.load_order(conn, ho["order"].id)
    assert (rebuilt.customer_name, rebuilt.customer_phone) == ("", "")
    conn.close()
    page = ho["client"].get(ho["url"]).get_data(as_text=True)
    assert "西湖龙井" in page
    for personal in (NAME, PHONE, "王先生", "13900000000"):
        assert personal not in page


@pytest.mark.parametrize("args, message", [
    (["--listen", "nowhere"], "--listen"),
    (["--listen", "127.0.0.1:99999"], "--listen"),
    (["--timezone", "Mars/Base"], "--timezone"),
    (["--threads", "0"], "--threads"),
    (["--db", "mysql://x"], "--db"),
])
def test_headoffice_web_refuses_bad_options_in_one_line(args, message, capsys, tmp_path):
    from services.headoffice import main
    assert main(["web", "--db", f"sqlite:///{tmp_path}/ho.db", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_headoffice_web_needs_an_existing_database(capsys, tmp_path):
    from services.headoffice import main
    assert main(["web", "--db", f"sqlite:///{tmp_path}/none.db"]) == 1
    assert "does not exist" in capsys.readouterr().err
