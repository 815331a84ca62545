"""The API under random use by several screens at once: never a 500, and the journal keeps
every invariant.

Two assistants' phones, two cashiers' counters and a manager make random, interleaved
sequences of calls (open, add lines, change and delete them, park, recall, pay with every
kind of amount, void, cancel, refund, stale ``expected_version``). Every answer must be JSON
with a 2xx or a 400/403/404/409. Afterwards the journal verifies, seq is gap-free, the
projections equal a replay, paid orders add up, refunds never exceed what was paid, receipt
numbers are gap-free, and what the payment answers said was applied is what the orders hold.

Each example gets a fresh app over a fresh box (the ``web`` fixture is per test function and
would be shared by all examples). The staff and catalog are made once per module and the
master directory copied. A PIN check costs a scrypt hash (~60 ms), so the template's hashes
are made with a smaller scrypt cost (the parameters live in each stored hash, and checking
reads them from there), each screen signs in once per example, naming its staff id so the
server checks one hash rather than every one, and wrong approver PINs are rare.
"""

from __future__ import annotations

import shutil

import pytest
from _pytest.monkeypatch import MonkeyPatch
from hypothesis import HealthCheck, given, settings, strategies as st

from appliance.box import Box
from appliance.config import load
from appliance.master import staff as staffmod
from appliance.master.catalog import Category, Product, Variant
from appliance.money import parse_amount
from webui.app import create_app

TEA = "6901234567892"          # 68.00
CUP_BLUE = "2000000000015"     # variant barcode, 35.00
CUP_WHITE = "2000000000022"    # variant barcode, 39.00
UNKNOWN = "6900000000001"

# (name, role, pin); the manager first: an approver PIN is checked against each hash in turn.
STAFF = (("李经理", "manager", "1357"), ("王店主", "owner", "2468"),
         ("张收银", "cashier", "1001"), ("陈收银", "cashier", "1002"),
         ("刘导购", "assistant", "2001"), ("赵导购", "assistant", "2002"))
# The screens: (staff pin, terminal).
SCREENS = (("2001", "phone-1"), ("2002", "phone-2"), ("1001", "counter-1"),
           ("1002", "counter-2"), ("1357", "office"))
ALLOWED = {400, 403, 404, 409}

# Weighted so that orders get items, get paid and get refunded often enough; "sell" is a whole
# sale (phone opens and scans, maybe parks; a counter recalls and pays) between other calls.
OPS = ("add_barcode",) * 5 + ("open",) * 2 + ("sell",) * 2 + ("add_product",) * 3 + \
    ("change",) * 2 + ("delete", "customer") + ("park", "recall") * 2 + ("pay",) * 7 + \
    ("void",) * 2 + ("cancel",) + ("refund",) * 4 + ("refresh", "list")
MONEY_OPS = ("pay", "void", "refund")


def fen(text: str) -> int:
    whole, _, frac = text.partition(".")
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole)) * 100 + int((frac or "0").ljust(2, "0")))


def amount_str(value: int) -> str:
    return f"{value // 100}.{value % 100:02d}"


class Screen:
    """One signed-in screen: its own cookie jar, CSRF token and last view of each order."""

    def __init__(self, app, name: str, trail: list):
        self.client = app.test_client()
        self.name = name
        self.csrf = ""
        self.views: dict[str, dict] = {}
        self.trail = trail

    def call(self, method: str, path: str, body=None):
        headers = {"X-CSRF-Token": self.csrf} if self.csrf else {}
        r = self.client.open(path, method=method, json=body, headers=headers)
        self.trail.append((self.name, method, path, body, r.status_code))

        def where():  # the calls that led here, for the failure message
            return f"{r.data[:400]!r}\nlast calls:\n" + "\n".join(
                map(repr, self.trail[-25:]))
        assert r.is_json, where()
        data = r.get_json()
        assert 200 <= r.status_code < 300 or r.status_code in ALLOWED, where()
        if r.status_code >= 400:
            assert isinstance(data.get("error"), str) and data["error"], where()
        return r.status_code, data

    def see(self, order: dict) -> dict:
        self.views[order["id"]] = order
        return order


@pytest.fixture(scope="module")
def master_template(tmp_path_factory):
    """A master directory with the test catalog and hashed staff PINs, made once."""
    root = tmp_path_factory.mktemp("template")
    cfg = root / "t.toml"
    cfg.write_text('[paths]\ndata = "d"\n', encoding="utf-8")
    box = Box(load(cfg, environ={}))
    try:
        with MonkeyPatch.context() as mp:  # cheap hashes: 2**10 instead of 2**14
            mp.setattr(staffmod, "_SCRYPT_N", 2 ** 10)
            staff = {pin: box.master.staff.add(name, role, pin).id for name, role, pin in STAFF}
        cat = box.master.catalog.save_category(Category(id="", name="绿茶"))
        tea = box.master.catalog.save_product(Product(
            id="", sku="TEA-1", name="西湖龙井", category_id=cat.id, unit="盒", price=6800,
            cost=4000, barcodes=[TEA]))
        cup = box.master.catalog.save_product(Product(
            id="", sku="CUP-1", name="汝窑茶杯", category_id=cat.id, unit="只", price=3500,
            cost=1500, barcodes=[], variants=[
                Variant(id="", spec={"颜色": "天青"}, sku="CUP-1-B", barcodes=[CUP_BLUE]),
                Variant(id="", spec={"颜色": "月白"}, sku="CUP-1-W", price=3900,
                        barcodes=[CUP_WHITE])]))
        wrap = box.master.catalog.save_product(Product(
            id="", sku="SVC-1", name="礼品包装", category_id=None, unit="次", price=500, cost=0,
            barcodes=[], stock_tracked=False))
    finally:
        box.close()
    # Mostly sellable; then a cup without its colour (400), a bad variant and product (404).
    good = [(tea.id, None), (cup.id, cup.variants[0].id), (cup.id, cup.variants[1].id),
            (wrap.id, None)]
    products = good * 3 + [(cup.id, None), (tea.id, "no-such-variant"), ("p-missing", None)]
    return root / "d" / "master", staff, products


def fresh_app(tmp_path_factory, template):
    root = tmp_path_factory.mktemp("box")
    shutil.copytree(template, root / "d" / "master")
    cfg = root / "t.toml"
    cfg.write_text('[paths]\ndata = "d"\n', encoding="utf-8")
    box = Box(load(cfg, environ={}))
    app = create_app(box)
    app.config.update(TESTING=True)
    return box, app


def run_screens(app, staff_ids, products, data, steps: int, trail: list):
    """Drive the screens; returns them and {payment_id: (order_id, applied)} of live payments."""
    screens = []
    for pin, terminal in SCREENS:
        s = Screen(app, terminal, trail)
        status, body = s.call("POST", "/api/v1/auth/login",
                              {"pin": pin, "staff_id": staff_ids[pin], "terminal": terminal})
        assert status == 200, body
        s.csrf = body["csrf_token"]
        screens.append(s)
    orders: list[str] = []
    paid_orders: list[str] = []  # orders some answer showed as paid (refund targets)
    part_paid: list[str] = []  # orders some answer showed part-paid (void targets)
    payments: dict[str, tuple[str, int]] = {}
    wrong_pins = 0

    def approver_pin():
        nonlocal wrong_pins
        pin = data.draw(st.sampled_from([None] * 4 + ["1357"] * 3 + ["2468", "2001", "9999"]))
        if pin == "9999":  # wrong PINs count towards the address lock-out (429): a few only
            wrong_pins += 1
            if wrong_pins > 3:
                pin = None
        return pin

    def version(view):
        if view is None:
            return None
        return data.draw(st.sampled_from([None] * 6 + [view["version"], view["version"] - 1]))

    def track(req, body):
        """Record a payment answer: what it says was applied and handed back adds up."""
        applied, change = fen(body["applied"]), fen(body["change"])
        assert applied >= 0 and change >= 0, body
        if "idempotency_key" not in req:  # a retry answers with the first payment
            assert applied + change == parse_amount(req["amount"]), (req, body)
            if req["method"] != "cash":
                assert change == 0, body
        assert body["completed"] == (body["order"]["status"] == "paid"), body
        payments[body["payment_id"]] = (body["order"]["id"], applied)
        target = paid_orders if body["completed"] else part_paid
        if body["order"]["id"] not in target:
            target.append(body["order"]["id"])

    def sell():
        phone = data.draw(st.sampled_from(screens[:2]))
        counter = data.draw(st.sampled_from(screens[2:4]))
        status, order = phone.call("POST", "/api/v1/orders", {})
        assert status == 201
        orders.append(order["id"])
        url = f"/api/v1/orders/{order['id']}"
        for _ in range(data.draw(st.integers(1, 3))):
            if data.draw(st.booleans()):
                req = {"barcode": data.draw(st.sampled_from([TEA, CUP_BLUE, CUP_WHITE]))}
            else:
                pid, vid = data.draw(st.sampled_from(products[:4]))
                req = {"product_id": pid, **({"variant_id": vid} if vid else {})}
            status, order = phone.call("POST", f"{url}/lines",
                                       {**req, "qty": data.draw(st.integers(1, 3))})
            assert status == 201, order
        phone.see(order)
        if data.draw(st.booleans()):
            status, order = phone.call("POST", f"{url}/park")
            assert status == 200 and order["status"] == "parked", order
            status, order = counter.call("POST", f"{url}/recall")
            assert status == 200 and order["status"] == "open", order
        due = fen(counter.see(order)["due"])
        method = data.draw(st.sampled_from(["cash", "cash", "wechat"]))
        extra = data.draw(st.integers(0, 10000)) if method == "cash" else 0
        req = {"method": method, "amount": amount_str(due + extra), "reference": "W1"}
        status, body = counter.call("POST", f"{url}/payments", req)
        assert status == 201, body
        track(req, body)
        assert body["completed"], body
        counter.see(body["order"])

    for _ in range(steps):
        op = data.draw(st.sampled_from(OPS))
        # Money is mostly taken at the counters; a phone trying is refused (403).
        counters = screens[2:] if op in MONEY_OPS and data.draw(st.integers(0, 5)) else screens
        s = data.draw(st.sampled_from(counters))
        if op == "sell":
            sell()
            continue
        if op == "open" or not orders:
            status, body = s.call("POST", "/api/v1/orders", data.draw(st.sampled_from([
                {}, {"customer_name": "周女士", "customer_phone": "13800138000"},
                {"customer_phone": "not a phone"}, {"note": "送人"}])))
            if status == 201:
                orders.append(s.see(body)["id"])
            continue
        if op == "list":
            status, body = s.call("GET", "/api/v1/orders" + data.draw(st.sampled_from(
                ["", "?status=parked", "?status=open", "?status=paid", "?status=nope"])))
            if status == 200:
                for o in body["orders"]:
                    s.see(o)
            continue
        # Mostly the orders in progress: the last few opened.
        if op == "refund" and paid_orders and data.draw(st.integers(0, 3)):
            oid = data.draw(st.sampled_from(paid_orders))
        elif op == "void" and part_paid and data.draw(st.integers(0, 3)):
            oid = data.draw(st.sampled_from(part_paid))
        else:
            oid = data.draw(st.sampled_from(orders[-3:] if data.draw(st.integers(0, 3))
                                            else orders))
        view = s.views.get(oid)
        # A screen mostly reloads an order before taking money for it; stale views otherwise.
        reload = op in MONEY_OPS and data.draw(st.integers(0, 3))
        if view is None or op == "refresh" or reload:
            status, body = s.call("GET", f"/api/v1/orders/{oid}")
            assert status == 200
            view = s.see(body)
            if op == "refresh":
                continue
        url = f"/api/v1/orders/{oid}"
        line_ids = [ln["id"] for ln in view["lines"]] or ["nolinehere"]
        if op == "add_barcode":
            req = {"barcode": data.draw(st.sampled_from([TEA, TEA, CUP_BLUE, CUP_WHITE,
                                                         UNKNOWN])),
                   "qty": data.draw(st.sampled_from([1, 1, 1, 2, 2, 3, 4, 0, 10000, "2"]))}
            if (v := version(view)) is not None:
                req["expected_version"] = v
            status, body = s.call("POST", f"{url}/lines", req)
        elif op == "add_product":
            pid, vid = data.draw(st.sampled_from(products))
            req = {"product_id": pid, "qty": data.draw(st.integers(1, 4))}
            if vid:
                req["variant_id"] = vid
            if data.draw(st.integers(0, 5)) == 0:  # a price override
                req["unit_price"] = amount_str(data.draw(st.integers(0, 20000)))
                if (pin := approver_pin()) is not None:
                    req["approver_pin"] = pin
            status, body = s.call("POST", f"{url}/lines", req)
        elif op == "change":
            req = {"qty": data.draw(st.integers(0, 5))}
            if (v := version(view)) is not None:
                req["expected_version"] = v
            line = data.draw(st.sampled_from(line_ids))
            status, body = s.call("PATCH", f"{url}/lines/{line}", req)
        elif op == "delete":
            v = version(view)
            status, body = s.call("DELETE", f"{url}/lines/{data.draw(st.sampled_from(line_ids))}"
                                  + (f"?expected_version={v}" if v is not None else ""))
        elif op == "customer":
            req = {"customer_name": "客人", "note": "下午来取"}
            if (v := version(view)) is not None:
                req["expected_version"] = v
            status, body = s.call("PATCH", url, req)
        elif op == "park":
            v = version(view)
            status, body = s.call("POST", f"{url}/park",
                                  {} if v is None else {"expected_version": v})
        elif op == "recall":
            status, body = s.call("POST", f"{url}/recall")
        elif op == "cancel":
            req = data.draw(st.sampled_from([{"reason": "顾客不要了"}, {"reason": "换货"}, {}]))
            if (v := version(view)) is not None:
                req = {**req, "expected_version": v}
            status, body = s.call("POST", f"{url}/cancel", req)
        elif op == "pay":
            due = fen(view["due"]) if view["due"] is not None else 0
            method = data.draw(st.sampled_from(["cash", "cash", "card", "wechat", "alipay",
                                                "bitcoin"]))
            kind = data.draw(st.sampled_from(["exact"] * 4 + ["part", "over", "over", "any",
                                                               "bad"]))
            if kind == "exact":
                amount = amount_str(due)
            elif kind == "part":
                amount = amount_str(data.draw(st.integers(1, max(due - 1, 1))))
            elif kind == "over":  # cash: change; card and friends: too much, refused
                amount = amount_str(due + data.draw(st.integers(1, 50000)))
            elif kind == "any":
                amount = amount_str(data.draw(st.integers(0, 30000)))
            else:
                amount = data.draw(st.sampled_from(["abc", "-5.00", "1.005", "", 12, 1.5,
                                                    "１２.５０", "1,000.00", "¥10"]))
            req = {"method": method, "amount": amount}
            if method != "cash" and data.draw(st.integers(0, 5)):
                req["reference"] = "T" + str(data.draw(st.integers(1000, 9999)))
            if data.draw(st.integers(0, 3)) == 0:  # a retried request, maybe a clashing one
                req["idempotency_key"] = f"k{data.draw(st.integers(0, 2))}"
            status, body = s.call("POST", f"{url}/payments", req)
            if status == 201:
                track(req, body)
                body = body["order"]
        elif op == "void":
            live = [p["id"] for p in view["payments"] if not p["voided"]] or ["nopayment"]
            pay_id = data.draw(st.sampled_from(live))
            req = {"reason": "刷错卡"}
            if (pin := approver_pin()) is not None:
                req["approver_pin"] = pin
            status, body = s.call("POST", f"{url}/payments/{pay_id}/void", req)
            if status == 200:
                payments.pop(pay_id)
                assert all(p["voided"] for p in body["payments"] if p["id"] == pay_id)
        elif op == "refund":
            req = {"reason": "破损", "restock": data.draw(st.booleans())}
            if data.draw(st.integers(0, 4)):
                chosen = data.draw(st.lists(st.sampled_from(line_ids), min_size=1, max_size=2))
                req["lines"] = [{"line_id": ln, "qty": data.draw(st.integers(1, 3))}
                                for ln in chosen]
            if not data.draw(st.integers(0, 4)):  # say how the money goes back (may not add up)
                req["tenders"] = [{"method": data.draw(st.sampled_from(["cash", "wechat"])),
                                   "amount": amount_str(data.draw(st.integers(1, 15000))),
                                   "reference": "R"}]
            if (pin := approver_pin()) is not None:
                req["approver_pin"] = pin
            status, body = s.call("POST", f"{url}/refunds", req)
            if status == 201:
                assert fen(body["amount"]) == sum(fen(t["amount"]) for t in body["tenders"])
                status, body = s.call("GET", url)
        else:  # pragma: no cover
            raise AssertionError(op)
        if 200 <= status < 300 and "lines" in body:
            s.see(body)
    return screens, payments


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(), round_unit=st.sampled_from(["none", "0.1", "1"]))
def test_random_api_use_keeps_every_invariant(tmp_path_factory, master_template,
                                              ledger_invariants, data, round_unit):
    template, staff_ids, products = master_template
    box, app = fresh_app(tmp_path_factory, template)
    trail: list = []
    try:
        box.master.settings.set("money.round_off_unit", round_unit)
        screens, payments = run_screens(app, staff_ids, products, data,
                                        data.draw(st.integers(30, 150), label="steps"), trail)
        check_invariants(box, screens[-1], payments, ledger_invariants)
    finally:
        box.close()


def check_invariants(box, manager, payments, ledger_invariants):
    rows = ledger_invariants(box.ledger)
    with box.ledger.reading() as conn:
        live = dict(conn.execute("SELECT id, amount FROM payments WHERE voided = 0"))
    total_paid = sum(r[3] for r in rows)
    # What the payment answers said was applied is exactly what the orders hold.
    assert {pid: applied for pid, (_, applied) in payments.items()} == live
    assert sum(applied for _, applied in payments.values()) == total_paid
    # And the API shows every order as the projections hold it.
    for oid, status, total, paid, refunded in rows:
        code, shown = manager.call("GET", f"/api/v1/orders/{oid}")
        assert code == 200 and shown["status"] == status
        assert fen(shown["paid"]) == paid and fen(shown["refunded"]) == refunded
        if total is not None:
            assert fen(shown["total"]) == total
