"""Shared fixtures: a box in a temp directory with a small catalog and staff of every role."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from appliance.clock import FixedClock
from appliance.ledger import Ledger
from appliance.master import MasterData
from appliance.master.catalog import Category, Product, Variant
from appliance.orders import Actor, OrderEngine


from loopback import free_port  # noqa: E402,F401 - tests import it from here


@pytest.fixture(autouse=True, scope="session")
def _pin_hashing_once_per_pin():
    """scrypt costs ~55 ms a call by design, and every box a test builds hashes a PIN per
    person and checks it against everyone (a clash check), every sign-in checks it against
    everyone again: most of a web test's set-up. Within this test process the staff
    directory reuses one hash per PIN and remembers each check's answer (check_pin is a pure
    function of its arguments). tests/unit/master/test_master_staff.py tests the real
    functions, which this leaves untouched (only the staff module's references change)."""
    import functools

    from appliance.master import staff
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(staff, "hash_pin", functools.lru_cache(maxsize=256)(staff.hash_pin))
        mp.setattr(staff, "check_pin", functools.lru_cache(maxsize=4096)(staff.check_pin))
        yield


@pytest.fixture
def broker(tmp_path):
    """A real mosquitto on a free loopback port (tests/mqtt_broker.py), stopped after."""
    from mqtt_broker import Broker
    b = Broker(tmp_path / "broker")
    yield b
    b.stop()


def wait_until(check, timeout=5.0, what="the condition", interval=0.01):
    """Poll ``check`` until it returns something true (returned) or fail after ``timeout``."""
    import time
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


class Shop:
    """A test shop: ledger + master data + engine, and one Actor per role."""

    def __init__(self, tmp_path, clock):
        self.clock = clock
        self.ledger = Ledger(tmp_path / "ledger.db", clock=clock)
        self.master = MasterData(tmp_path / "master")
        self.engine = OrderEngine(self.ledger, self.master)
        cat = self.master.catalog.save_category(Category(id="", name="绿茶", name_en="Green tea"))
        self.tea = self.master.catalog.save_product(Product(
            id="", sku="TEA-1", name="西湖龙井", category_id=cat.id, unit="盒", price=6800,
            cost=4000, barcodes=["6901234567892"]))
        self.cup = self.master.catalog.save_product(Product(
            id="", sku="CUP-1", name="汝窑茶杯", category_id=cat.id, unit="只", price=3500,
            cost=1500, barcodes=[], variants=[
                Variant(id="", spec={"颜色": "天青"}, sku="CUP-1-B", barcodes=["2000000000015"]),
                Variant(id="", spec={"颜色": "月白"}, sku="CUP-1-W", price=3900,
                        barcodes=["2000000000022"])]))
        self.wrap = self.master.catalog.save_product(Product(
            id="", sku="SVC-1", name="礼品包装", category_id=None, unit="次", price=500, cost=0,
            barcodes=[], stock_tracked=False))
        self.owner = Actor("s-owner", "owner", "counter")
        self.manager = Actor("s-manager", "manager", "counter")
        self.cashier = Actor("s-cashier", "cashier", "counter")
        self.assistant = Actor("s-assistant", "assistant", "phone-1")

    def close(self):
        self.master.close()
        self.ledger.close()

    def sale(self, *items, method="cash", amount=None, reference=""):
        """Open, add items (barcodes or (product_id, variant_id, qty)), pay in full."""
        e = self.engine
        order = e.open_order(self.assistant)
        for item in items:
            if isinstance(item, str):
                order = e.add_line(self.assistant, order.id, barcode=item)
            else:
                pid, vid, qty = item
                order = e.add_line(self.assistant, order.id, product_id=pid, variant_id=vid,
                                   qty=qty)
        due = e.due(order)
        return e.add_payment(self.cashier, order.id, method, due if amount is None else amount,
                             reference=reference)


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 11, 26, 2, 30, tzinfo=timezone.utc))


@pytest.fixture
def shop(tmp_path, clock):
    s = Shop(tmp_path, clock)
    yield s
    s.close()


@pytest.fixture
def make_shop(tmp_path_factory):
    """For property tests: a fresh shop per example (a function fixture is shared by all)."""
    made = []

    def make():
        s = Shop(tmp_path_factory.mktemp("shop"),
                 FixedClock(datetime(2026, 11, 26, 2, 30, tzinfo=timezone.utc)))
        made.append(s)
        return s
    yield make
    for s in made:
        s.close()


# -- web API fixtures ------------------------------------------------------------------------

PINS = {"owner": "2468", "manager": "1357", "cashier": "1001", "assistant": "2001"}


class Api:
    """A browser-like API client: its own cookie jar and CSRF token."""

    def __init__(self, app, language="en"):
        self.app = app
        self.client = app.test_client()
        # Errors come in the screen's language (zh-CN by default); tests say which.
        self.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        self.csrf = None
        self.staff = None

    def login(self, role=None, pin=None, **extra):
        r = self.client.post("/api/v1/auth/login",
                             json={"pin": pin or PINS[role], **extra})
        if r.status_code == 200:
            self.csrf = r.get_json()["csrf_token"]
            self.staff = r.get_json()["staff"]
        return r

    def _headers(self, csrf):
        return {"X-CSRF-Token": self.csrf} if csrf and self.csrf else {}

    def get(self, path, **kw):
        return self.client.get(path, **kw)

    def post(self, path, json=None, csrf=True, **kw):
        return self.client.post(path, json=json, headers=self._headers(csrf), **kw)

    def patch(self, path, json=None, csrf=True):
        return self.client.patch(path, json=json, headers=self._headers(csrf))

    def delete(self, path, csrf=True):
        return self.client.delete(path, headers=self._headers(csrf))


@pytest.fixture
def web(tmp_path):
    """A core app over a fresh box with the test catalog and one person per role."""
    from appliance.box import Box
    from appliance.config import load
    from webui.app import create_app

    cfg = tmp_path / "t.toml"
    cfg.write_text('[paths]\ndata = "d"\n', encoding="utf-8")
    box = Box(load(cfg, environ={}))
    ids = {}
    for role, pin in PINS.items():
        ids[role] = box.master.staff.add(f"{role} 张", role, pin).id
    shop = Shop.__new__(Shop)  # reuse the catalog set-up against this box's stores
    shop.master, shop.ledger = box.master, box.ledger
    cat = box.master.catalog.save_category(Category(id="", name="绿茶"))
    tea = box.master.catalog.save_product(Product(
        id="", sku="TEA-1", name="西湖龙井", category_id=cat.id, unit="盒", price=6800,
        cost=4000, barcodes=["6901234567892"]))
    cup = box.master.catalog.save_product(Product(
        id="", sku="CUP-1", name="汝窑茶杯", category_id=cat.id, unit="只", price=3500,
        cost=1500, barcodes=[], variants=[
            Variant(id="", spec={"颜色": "天青"}, sku="CUP-1-B", barcodes=["2000000000015"]),
            Variant(id="", spec={"颜色": "月白"}, sku="CUP-1-W", price=3900,
                    barcodes=["2000000000022"])]))
    app = create_app(box)
    app.config.update(TESTING=True)

    class Web:
        pass
    w = Web()
    w.app, w.box, w.staff_ids, w.tea, w.cup = app, box, ids, tea, cup
    w.client = lambda language="en": Api(app, language)

    def as_role(role, language="en"):
        c = Api(app, language)
        assert c.login(role).status_code == 200
        return c
    w.as_role = as_role
    yield w
    box.close()


@pytest.fixture
def device(web):
    """printerd / scannerd talking to the ``web`` box: loopback with the device token."""
    client = web.app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {web.box.device_token}"
    client.environ_base["HTTP_X_TILLBOX_DEVICE"] = "test-daemon"
    return client


def check_ledger_invariants(ledger):
    """Everything that must hold of a ledger after any use, whatever the commands were:
    every record verifies, seq is gap-free, the projections equal a replay, money adds up per
    order, line and tender, and receipt numbers are gap-free. Returns the orders rows."""
    from appliance.ledger import verify
    from appliance.ledger.projections import replay, snapshot

    records = ledger.records()
    res = verify(iter(records))
    assert res.ok, res.line()
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    with ledger.reading() as conn:
        assert snapshot(conn) == snapshot(replay(records))
        rows = conn.execute("SELECT id, status, total, paid, refunded FROM orders").fetchall()
        for oid, status, total, paid, refunded in rows:
            if status == "paid":
                nets = conn.execute("SELECT SUM(net) FROM order_lines WHERE order_id = ?",
                                    (oid,)).fetchone()[0]
                assert paid == total == nets, (oid, paid, total, nets)
            else:
                assert total is None or paid < total
            if status == "cancelled":
                assert paid == 0
            assert 0 <= refunded <= paid, (oid, refunded, paid)
            given_back = conn.execute("SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE"
                                      " order_id = ?", (oid,)).fetchone()[0]
            assert given_back == refunded
            by_method = dict(conn.execute(
                "SELECT method, SUM(amount) FROM payments WHERE order_id = ? AND voided = 0"
                " GROUP BY method", (oid,)).fetchall())
            for method, back in conn.execute(
                    "SELECT t.method, SUM(t.amount) FROM refund_tenders t JOIN refunds r ON"
                    " r.id = t.refund_id WHERE r.order_id = ? GROUP BY t.method", (oid,)):
                if method in ("store_credit", "exchange"):
                    continue  # refund-only tenders: any part of a refund (docs/returns.md)
                assert back <= by_method.get(method, 0), (oid, method, back, by_method)
        # An exchange tender on a refund is only ever the link to the exchange's new order.
        assert conn.execute("SELECT COUNT(*) FROM refund_tenders WHERE method = 'exchange'"
                            " AND reference = ''").fetchone()[0] == 0
        for oid, line_id, qty, net, rqty, ramount in conn.execute(
                "SELECT order_id, line_id, qty, net, refunded_qty, refunded_amount"
                " FROM order_lines"):
            assert 0 <= rqty <= qty and 0 <= ramount <= (net or 0), (oid, line_id)
        receipts = [r for (r,) in conn.execute(
            "SELECT receipt_no FROM orders WHERE receipt_no IS NOT NULL ORDER BY receipt_no")]
        assert receipts == list(range(1, len(receipts) + 1))
    return rows


@pytest.fixture
def ledger_invariants():
    return check_ledger_invariants


# -- real HTTP clients for integration tests -------------------------------------------------

class HttpScreen:
    """A signed-in screen talking to a running core over real HTTP."""

    def __init__(self, port, pin=None):
        self.port = port
        self.cookie = self.csrf = None
        if pin:
            status, body, cookie = self.call("POST", "/api/v1/auth/login", {"pin": pin})
            assert status == 200, body
            self.cookie, self.csrf = cookie.split(";")[0], body["csrf_token"]

    def call(self, method, path, body=None, timeout=10):
        import http.client
        import json
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"Content-Type": "application/json", "Accept-Language": "en"}
        if self.cookie:
            headers.update({"Cookie": self.cookie, "X-CSRF-Token": self.csrf})
        conn.request(method, path, json.dumps(body or {}), headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, json.loads(data or b"{}"), resp.getheader("Set-Cookie")

    def events(self):
        return EventStream(self.port, self.cookie)


class EventStream:
    """Reads a screen's Server-Sent Events from a raw socket (what a browser would see)."""

    def __init__(self, port, cookie):
        import socket
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(f"GET /api/v1/events HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n"
                          "Accept: text/event-stream\r\n\r\n".encode())
        self.buf = b""
        self.wait_for(lambda: b"retry: 3000" in self.buf)

    def wait_for(self, ready, timeout=10.0):
        import socket
        import time
        deadline = time.monotonic() + timeout
        while not ready():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no such event in time; got {self.buf[-800:]!r}")
            self.sock.settimeout(min(left, 1.0))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise AssertionError("event stream closed")
            self.buf += chunk

    def parsed(self):
        """Every complete event so far as (kind, data)."""
        import json
        out = []
        for block in self.buf.decode("utf-8", "replace").split("\n\n"):
            kind = data = None
            for line in block.splitlines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
            if kind and data is not None:
                out.append((kind, data))
        return out

    def next_event(self, match, timeout=10.0):
        """The first event so far or to come for which match(kind, data) is true."""
        found = []

        def ready():
            found[:] = [e for e in self.parsed() if match(*e)]
            return bool(found)
        self.wait_for(ready, timeout)
        return found[0]

    def close(self):
        self.sock.close()
