"""Deliveries on a phone in a real browser (Debian's Chromium driven by Playwright, 390x844,
zh-CN): head office's online order is on the deliveries page with its 网店 badge; an
assistant packs it and ships it with carrier and tracking number; on the phone's cart an
assistant marks another order for delivery.

Screenshots go to $TILLBOX_SCREENSHOTS, else to the test's temporary directory.
"""

from browser_helpers import (browser, core, needs_chromium, phone_context,  # noqa: F401
                             shots, sign_in, watch)

pytestmark = needs_chromium
ASSISTANT_PIN = "2001"      # 刘导购 in the demo shop


def _product(box):
    return next(p for p in box.master.catalog.list_products() if p.active and not p.variants
                and p.price > 0)


def test_an_online_order_is_packed_and_shipped_on_a_phone(core, browser, shots):
    base, box = core
    product = _product(box)
    order, created = box.fulfilment.create_from_head_office({
        "external_ref": "WX-BROWSER-1", "lines": [{"product_id": product.id, "qty": 1}],
        "customer": {"name": "李四", "phone": "13900139000"},
        "fulfilment": {"kind": "delivery", "recipient": "李四", "phone": "13900139000",
                       "address": "上海市黄浦区南京东路100号", "note": "工作日送"}},
        printing=box.printing)
    assert created
    errors = []
    ctx = phone_context(browser)
    page = watch(ctx.new_page(), errors)
    page.on("dialog", lambda d: d.accept())
    sign_in(page, base, ASSISTANT_PIN, "zh")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{base}/office/deliveries")
    card = page.locator(f".dl-card[data-order='{order.id}']")
    card.wait_for()
    text = card.inner_text()
    assert "南京东路100号" in text and order.number in text
    assert card.locator(".badge.online").count() == 1   # 网店
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "zh-deliveries-to-pack.png"))
    card.locator(".dl-go-packed").click()
    page.click("#dl-tabs [data-list=to_ship]")
    card = page.locator(f".dl-card[data-order='{order.id}']")
    card.wait_for()
    card.locator(".dl-go-shipped").click()
    page.select_option("#dl-carrier", "other")
    page.fill("#dl-ship-dialog [name=carrier_name]", "德邦快递")
    page.fill("#dl-tracking", "12")
    page.click("#dl-ship-dialog [type=submit]")
    # the browser's own check refuses a short number before the server is asked
    assert page.locator("#dl-ship-dialog").is_visible()
    page.fill("#dl-tracking", "DPK-2026112601")
    page.screenshot(path=str(shots / "zh-deliveries-ship.png"))
    with page.expect_response(lambda r: r.url.endswith("/fulfilment/status")) as moved:
        page.click("#dl-ship-dialog [type=submit]")
    assert moved.value.status == 200, moved.value.text()
    ful = box.fulfilment.get(order.id)
    assert (ful["status"], ful["carrier"], ful["tracking"]) == ("shipped", "德邦快递",
                                                                 "DPK-2026112601")
    page.click("#dl-tabs [data-list=shipped]")
    page.locator(f".dl-card[data-order='{order.id}']").wait_for()
    assert "DPK-2026112601" in page.locator(f".dl-card[data-order='{order.id}']").inner_text()
    assert errors == []
    ctx.close()


def test_an_assistant_marks_the_cart_for_delivery_on_the_phone(core, browser, shots):
    base, box = core
    from appliance.orders import Actor
    staff = box.master.staff.authenticate(ASSISTANT_PIN)
    actor = Actor(staff.id, staff.role, "phone")
    order = box.orders.open_order(actor)
    box.orders.add_line(actor, order.id, product_id=_product(box).id)
    errors = []
    ctx = phone_context(browser)
    page = watch(ctx.new_page(), errors)
    sign_in(page, base, ASSISTANT_PIN, "zh")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{base}/phone")
    page.evaluate(f"localStorage.setItem('tillbox.phone.order', '{order.id}')")
    page.reload()
    page.wait_for_function(f"document.getElementById('cart-number').textContent"
                           f" === '{order.number}'")
    page.click("#cart-toggle")
    page.click("#delivery-panel summary")
    page.select_option("#delivery-panel .dl-kind", "delivery")
    page.fill("#delivery-panel [name=recipient]", "赵六")
    page.fill("#delivery-panel [name=phone]", "13700137000")
    page.fill("#delivery-panel [name=address]", "北京市朝阳区建国路1号")
    with page.expect_response(lambda r: r.url.endswith("/fulfilment")
                              and r.request.method == "PUT") as saved:
        page.click("#delivery-panel .dl-save")
    assert saved.value.status == 200, saved.value.text()
    page.wait_for_selector("#delivery-panel summary .badge.kind-delivery")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "zh-phone-delivery-panel.png"))
    ful = box.fulfilment.get(order.id)
    assert (ful["kind"], ful["recipient"], ful["status"]) == ("delivery", "赵六", "pending")
    assert errors == []
    ctx.close()
