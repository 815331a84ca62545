"""The customer's e-receipt page in a real browser at phone size (390x844, zh-CN): the QR
link of a paid order opens the receipt and its status; the customer sends feedback and a
complaint, sees the thank-you and the complaint's status; the page fits the phone's width.

Screenshots go to $TILLBOX_SCREENSHOTS, else to the test's temporary directory.
"""

from browser_helpers import (browser, core, needs_chromium, phone_context,  # noqa: F401
                             shots, watch)

pytestmark = needs_chromium


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_customer_opens_the_qr_link_rates_and_complains(core, browser, shots):
    base, box = core
    from appliance.orders import Actor
    from appliance.printing.documents import ereceipt_token
    cashier = Actor("s-test", "cashier", "counter")
    order = box.orders.open_order(cashier)
    box.orders.add_line(cashier, order.id, barcode="2000000001982")
    box.orders.add_payment(cashier, order.id, "cash", 10000)
    order = box.orders.get_order(order.id)
    url = f"{base}/r/{ereceipt_token(box.receipt_key, order.id)}"
    errors = []
    ctx = phone_context(browser, "zh-CN")
    p = watch(ctx.new_page(), errors)

    p.goto(url)
    assert p.locator("html").get_attribute("lang") == "zh-CN"
    p.wait_for_selector("#er-status")
    assert order.number in p.inner_text("#er-status")
    assert "已付" in p.inner_text("#er-status")
    assert "信阳毛尖" in p.inner_text("#er-receipt")
    assert fits(p)
    p.screenshot(path=str(shots / "ereceipt-phone.png"), full_page=True)

    # Feedback: four stars (the labels are the stars; the radios are hidden) and a comment.
    p.click("label[for=star-4]")
    assert p.is_checked("#star-4")
    p.fill("#fb-comment", "茶不错，包装也好")
    p.click("#fb-send")
    p.wait_for_selector("#er-thanks")
    assert p.url.endswith("#feedback") and "sent=feedback" in p.url
    assert p.is_checked("#star-4")                    # the page shows the rating it has
    [rec] = [r for r in box.ledger.records() if r.type == "customer.feedback"
             and r.data["order_id"] == order.id]
    assert rec.data["rating"] == 4 and rec.data["comment"] == "茶不错，包装也好"

    # An empty complaint is refused on the page; a described one opens a ticket.
    p.check("input[name=kind][value=complaint]")
    p.click("#rq-send")
    p.wait_for_selector("#request .er-error")
    assert p.is_checked("input[name=kind][value=complaint]")
    p.fill("#rq-comment", "收到时盒子压坏了")
    p.click("#rq-send")
    p.wait_for_selector("#er-thanks")
    [ticket] = box.aftersales.for_order(order.id)
    assert ticket["number"] in p.inner_text("#er-thanks")
    assert ticket["number"] in p.inner_text("#er-tickets")
    assert fits(p)
    p.screenshot(path=str(shots / "ereceipt-phone-sent.png"), full_page=True)

    # The shop moves the complaint on: the customer sees the new status on reload.
    before = p.inner_text("#er-tickets .er-ticket-status")
    manager = Actor("s-test", "manager", "counter")
    box.aftersales.update(manager, box.aftersales.get_by_number(ticket["number"])["id"],
                          status="in_progress", note="已联系顾客")
    p.goto(url)
    after = p.inner_text("#er-tickets .er-ticket-status")
    assert after and after != before
    assert "已联系顾客" not in p.content()
    assert errors == []
    ctx.close()
