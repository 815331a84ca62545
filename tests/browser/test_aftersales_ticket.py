"""After-sales on a phone in a real browser (Debian's Chromium driven by Playwright, 390x844,
zh-CN): a cashier finds a sale from the serial number of the kettle sold, opens a warranty
ticket from it, starts work and resolves it with a note, and prints the slip; a manager looks
the customer up on the customers page and sees the ticket.

Screenshots go to $TILLBOX_SCREENSHOTS, else to the test's temporary directory.
"""

import browser_helpers
from browser_helpers import needs_chromium, phone_context, sign_in, watch

# the shared fixtures, by name
browser, core, shots = browser_helpers.browser, browser_helpers.core, browser_helpers.shots

pytestmark = needs_chromium
CASHIER_PIN = "1001"      # 张收银 in the demo shop
MANAGER_PIN = "1357"      # 李经理
PHONE = "13700137000"


def _sold_kettle(box):
    from appliance.master.catalog import Product
    from appliance.orders import Actor
    kettle = box.master.catalog.save_product(Product(
        id="", sku="KET-BROWSER", name="电水壶", category_id=None, unit="台", price=19900,
        cost=12000, barcodes=[], serialised=True, stock_tracked=False))
    staff = box.master.staff.authenticate(CASHIER_PIN)
    cashier = Actor(staff.id, staff.role, "counter")
    order = box.orders.open_order(cashier, customer_name="孙女士", customer_phone=PHONE)
    order = box.orders.add_line(cashier, order.id, product_id=kettle.id, qty=1)
    box.aftersales.set_serials(cashier, order.id, order.lines[0].line_id, ["KB-2026-0001"])
    box.orders.add_payment(cashier, order.id, "cash", box.orders.due(order))
    return box.orders.get_order(order.id)


def test_a_warranty_ticket_from_a_serial_on_a_phone(core, browser, shots):
    base, box = core
    order = _sold_kettle(box)
    errors = []
    ctx = phone_context(browser)
    page = watch(ctx.new_page(), errors)
    sign_in(page, base, CASHIER_PIN, "zh")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{base}/office/aftersales")
    page.wait_for_selector("#as-list li")
    page.fill("#as-serial", "kb-2026-0001")
    page.click("#as-serial-form [type=submit]")
    result = page.locator("#as-serial-result")
    result.locator("button").wait_for()
    assert order.number in result.inner_text() and "电水壶" in result.inner_text()
    assert "null" not in result.inner_text()
    result.locator("button").click()
    dialog = page.locator("#as-new-dialog")
    assert dialog.locator("[name=kind]").input_value() == "warranty"
    dialog.locator("[name=summary]").fill("烧水时不跳闸")
    page.screenshot(path=str(shots / "zh-aftersales-new.png"))
    with page.expect_response(lambda r: r.url.endswith("/api/v1/tickets")
                              and r.request.method == "POST") as opened:
        dialog.locator("[type=submit]").click()
    assert opened.value.status == 201, opened.value.text()
    number = opened.value.json()["number"]
    ticket = page.locator("#as-ticket-dialog")
    ticket.wait_for()
    assert number in page.locator("#as-t-title").inner_text()
    assert "KB-2026-0001" in ticket.inner_text()
    ticket.locator("[data-status=in_progress]").click()
    ticket.locator("[data-status=resolved]").wait_for()
    ticket.locator("[data-status=resolved]").click()      # without a note: refused here
    assert page.locator("#as-t-error").inner_text() != ""
    ticket.locator("[name=note]").fill("更换了温控器")
    with page.expect_response(lambda r: r.url.endswith("/updates")) as moved:
        ticket.locator("[data-status=resolved]").click()
    assert moved.value.status == 200, moved.value.text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "zh-aftersales-ticket.png"))
    with page.expect_response(lambda r: r.url.endswith("/print")) as printed:
        page.click("#as-t-print")
    assert printed.value.status == 201
    t = box.aftersales.get_by_number(number)
    assert t["status"] == "resolved" and t["serial"] == "KB-2026-0001"
    assert [e["note"] for e in t["events"]][-1] == "更换了温控器"
    page.click("#as-ticket-dialog [data-close]")
    # the list shows open and in-progress tickets by default; resolved ones under their filter
    page.select_option("#as-filters [name=status]", "resolved")
    page.locator(f"#as-list li[data-id='{t['id']}']").wait_for()
    assert errors == []
    ctx.close()


def test_a_manager_looks_up_a_customer_with_tickets(core, browser, shots):
    base, box = core
    errors = []
    ctx = phone_context(browser)
    page = watch(ctx.new_page(), errors)
    sign_in(page, base, MANAGER_PIN, "zh")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{base}/office/customers")
    page.fill("#cu-phone", PHONE)
    page.click("#cu-form [type=submit]")
    page.locator("#cu-result").wait_for()
    text = page.locator("#cu-summary").inner_text()
    assert "孙女士" in text and "S" in text
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "zh-customers-lookup.png"))
    assert errors == []
    ctx.close()


def test_the_counter_asks_for_serial_numbers_before_payment(core, browser, shots):
    base, box = core
    from appliance.orders import Actor
    kettle = next(p for p in box.master.catalog.list_products() if p.sku == "KET-BROWSER")
    staff = box.master.staff.authenticate(CASHIER_PIN)
    cashier = Actor(staff.id, staff.role, "counter")
    order = box.orders.open_order(cashier)
    order = box.orders.add_line(cashier, order.id, product_id=kettle.id, qty=2)
    errors = []
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = watch(ctx.new_page(), errors)
    sign_in(page, base, CASHIER_PIN, "zh")
    page.wait_for_url("**/counter")
    page.click(f"#open .order:has-text('{order.number}')")
    prompt = page.locator("#d-serials")
    prompt.locator("textarea").wait_for()
    assert "电水壶 × 2" in prompt.inner_text()
    assert prompt.locator(".badge.off").count() == 1      # short of serial numbers
    with page.expect_response(lambda r: r.url.endswith("/payments")) as refused:
        page.click("#pay")
    assert refused.value.status == 400 and "电水壶" in refused.value.json()["error"]
    prompt.locator("textarea").fill("kb-2026-0101\nKB-2026-0102")
    with page.expect_response(lambda r: r.url.endswith("/serials")
                              and r.request.method == "PUT") as saved:
        prompt.locator("button").click()
    assert saved.value.status == 200, saved.value.text()
    prompt.locator(".badge.live").wait_for()               # every unit has one now
    assert page.locator(".toast.error").count() == 0
    assert "null" not in prompt.inner_text()
    page.screenshot(path=str(shots / "zh-counter-serials.png"))
    with page.expect_response(lambda r: r.url.endswith("/payments")) as paid:
        page.click("#pay")
    assert paid.value.status == 201, paid.value.text()
    assert box.aftersales.find_serial("KB-2026-0102")["order_number"] == order.number
    assert errors == []
    ctx.close()
