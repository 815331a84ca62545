"""Returns without a receipt at the counter in a real browser (Debian's Chromium driven by
Playwright), zh-CN at desktop size: the cashier finds a sale by the customer's phone,
returns its line for store credit (a credit note for a customer who is not a member), then
finds another sale and exchanges its line for a dearer item, the customer paying only the
difference. The ledger is checked after each step (docs/returns.md)."""

import browser_helpers
from browser_helpers import fen, needs_chromium, sign_in, watch
from conftest import check_ledger_invariants

pytestmark = needs_chromium
browser, core, shots = browser_helpers.browser, browser_helpers.core, browser_helpers.shots
MAOJIAN = "2000000001982"     # 信阳毛尖 250g, 98.00
MAOFENG = "2000000001494"     # 黄山毛峰 50g, 68.00


def _sale(box, phone, barcode):
    from appliance.orders import Actor
    cashier = Actor("s-browser", "cashier", "counter")
    order = box.orders.open_order(cashier, customer_name="赵女士", customer_phone=phone)
    box.orders.add_line(cashier, order.id, barcode=barcode)
    due = box.orders.due(box.orders.get_order(order.id))
    return box.orders.add_payment(cashier, order.id, "cash", due).order


def _find(c, phone, number):
    c.fill("#rt-search [name=phone]", phone)
    c.click("#rt-find")
    c.wait_for_selector(f"#rt-results button[data-order='{number}']")
    c.click(f"#rt-results button[data-order='{number}']")
    c.wait_for_selector("#rt-sale:not([hidden]) .rt-qty")


def test_return_for_store_credit_and_exchange(core, browser, shots):
    base, box = core
    errors = []
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    c = watch(ctx.new_page(), errors)
    sign_in(c, base, "1001", "zh")                      # 张收银, a cashier
    c.wait_for_url("**/counter")
    assert c.get_attribute("html", "lang").startswith("zh")

    # -- a return for store credit, found by the phone ------------------------------------
    sold = _sale(box, "13612345678", MAOJIAN)
    c.click("#returns-button")
    c.wait_for_selector("#returns-dialog[open]")
    _find(c, "136-1234-5678", sold.number)
    c.fill(".rt-qty", "1")
    c.wait_for_function("document.querySelector('#rt-returned').textContent !== '￥0.00'")
    assert fen(c.inner_text("#rt-returned")) == sold.total
    c.select_option("#rt-reason", "defective")
    c.select_option("#rt-give-as", "store_credit")
    c.click("#rt-go")
    c.wait_for_selector("#rt-done:not([hidden]) .rt-credit-note")
    shown = c.inner_text("#rt-done")
    with box.ledger.reading() as conn:
        code, amount, remaining = conn.execute(
            "SELECT code, amount, remaining FROM credit_notes WHERE order_id = ?",
            (sold.id,)).fetchone()
    assert amount == remaining == sold.total
    assert "-".join(code[i:i + 4] for i in range(0, 16, 4)) in shown
    assert box.orders.get_order(sold.id).refunded == sold.total
    refund = box.orders.get_order(sold.id).refunds[0]
    assert [t["method"] for t in refund.tenders] == ["store_credit"]
    c.screenshot(path=str(shots / "return-store-credit.png"))

    # -- an exchange for a dearer item, the customer pays the difference in cash ----------
    sold2 = _sale(box, "13712345678", MAOFENG)
    _find(c, "13712345678", sold2.number)
    c.fill(".rt-qty", "1")
    c.check("input[name=rt-mode][value=exchange]")
    c.fill("#rt-barcode", MAOJIAN)
    c.press("#rt-barcode", "Enter")
    c.wait_for_selector("#rt-pay:not([hidden])")
    due = fen(c.inner_text("#rt-diff"))
    assert due > 0
    assert fen(c.input_value("#rt-pay-amount")) == due
    c.select_option("#rt-reason", "wrong_size")
    c.screenshot(path=str(shots / "exchange-difference.png"))
    c.click("#rt-go")
    c.wait_for_selector("#rt-done:not([hidden]) h3")
    orig = box.orders.get_order(sold2.id)
    assert orig.refunded == sold2.total
    [tender] = orig.refunds[0].tenders
    assert tender["method"] == "exchange"
    new_number = tender["reference"]
    new = box.orders.find_by_number(new_number)
    assert new.status == "paid"
    assert sorted(p.method for p in new.live_payments) == ["cash", "exchange"]
    assert new.total - sold2.total == due
    check_ledger_invariants(box.ledger)
    assert errors == []
    ctx.close()
