"""A shift at the counter in a real browser (Debian's Chromium driven by Playwright), zh-CN:

the cashier opens a shift with a float, settles a parked order in cash with change, pays cash
in (no X report for the cashier: it would give the count away), then hands over with a blind
count by denomination. Before the count
is recorded the screen never shows what the drawer should hold; a count too far off is
refused (count again), and after the close the over/short on screen is the recorded one. The
count form is checked at phone width.

Screenshots go to $TILLBOX_SCREENSHOTS, else to the test's temporary directory.
"""

from browser_helpers import (PHONE, browser, core, fen, needs_chromium,  # noqa: F401
                             shots, sign_in, watch)

pytestmark = needs_chromium
MAOJIAN = ("信阳毛尖 250g", "2000000001982", 9800)


def _count(page, counts):
    for key in ("10000", "5000", "2000", "1000", "500", "100", "50", "10"):
        page.fill(f"#count-rows [name=d{key}]", str(counts.get(key, "")))


def test_handover_with_a_blind_count(core, browser, shots):
    base, box = core
    from appliance.orders import Actor
    errors = []
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    c = watch(ctx.new_page(), errors)
    sign_in(c, base, "1001", "zh")                      # 张收银, a cashier
    c.wait_for_url("**/counter")
    c.wait_for_function("document.querySelector('#shift-button').textContent.trim() !== ''")

    # -- open the shift with a float of 300.00 --------------------------------------------
    c.click("#shift-button")
    c.wait_for_selector("#shift-dialog[open] #shift-open:not([hidden])")
    c.click("#shift-open")
    c.wait_for_selector("#shift-open-dialog[open]")
    c.fill("#shift-open-dialog [name=float]", "300.00")
    c.click("#shift-open-dialog [type=submit]")
    c.wait_for_selector("#shift-dialog[open] #shift-close:not([hidden])")
    shift = box.shifts.current()
    assert shift is not None and shift.float == 30000
    c.click("#shift-dialog [data-close]")

    # -- a cash sale with change: an order parked on a phone, 98.00 paid with 100.00 ------
    assistant = Actor("s-browser", "assistant", "phone-1")
    order = box.orders.open_order(assistant)
    box.orders.add_line(assistant, order.id, barcode=MAOJIAN[1])
    box.orders.park(assistant, order.id)
    c.fill("#find", order.number)                        # as the order QR's scan types it
    c.press("#find", "Enter")
    c.wait_for_selector("#detail:not([hidden])")
    c.fill("#amount", "100")
    c.click("#pay")
    c.wait_for_selector("#change:not([hidden])")
    assert fen(c.inner_text("#change-amount")) == 200

    # -- 10.00 paid in (change from the bank), and an X report -----------------------------
    c.click("#shift-button")
    c.wait_for_selector("#shift-dialog[open] #shift-paid-in:not([hidden])")
    c.click("#shift-paid-in")
    c.wait_for_selector("#shift-cash-dialog[open]")
    c.fill("#shift-cash-dialog [name=amount]", "10")
    c.fill("#shift-cash-dialog [name=reason]", "银行换零钱")
    c.click("#shift-cash-dialog [type=submit]")
    c.wait_for_selector("#shift-dialog[open] #shift-moves li:has-text('银行换零钱')")
    # No X report for the cashier who will count: it would give the expected cash away.
    assert c.is_hidden("#shift-x")
    c.keyboard.press("Escape")
    expected = 30000 + MAOJIAN[2] + 1000                 # 408.00 should be in the drawer
    shown = f"{expected // 100}.{expected % 100:02d}"

    # -- the handover: a blind count by denomination --------------------------------------
    c.click("#shift-button")
    c.wait_for_selector("#shift-dialog[open] #shift-close:not([hidden])")
    c.click("#shift-close")
    c.wait_for_selector("#shift-close-dialog[open] #count-rows input")
    c.set_viewport_size(PHONE)                           # readable on a 390 px phone
    assert shown not in c.inner_text("body") and shown not in c.content()
    box_w = c.locator("#shift-close-dialog").bounding_box()["width"]
    assert box_w <= PHONE["width"]
    assert c.locator("#count-rows [name=d10000]").bounding_box()["x"] + 40 < PHONE["width"]
    # 3 x 100 + 1 x 50 + 1 x 20 = 370.00: 38.00 short, over the 10.00 limit.
    _count(c, {"10000": 3, "5000": 1, "2000": 1})
    assert fen(c.inner_text("#count-total")) == 37000
    c.screenshot(path=str(shots / "zh-shift-1-blind-count.png"))
    with c.expect_response(lambda r: r.url.endswith("/shifts/current/close")) as answer:
        c.click("#shift-close-dialog [type=submit]")
    assert answer.value.status == 409
    c.wait_for_selector("#count-choice:not([hidden])")
    assert c.inner_text("#shift-close-error").strip()
    assert shown not in c.inner_text("body") and shown not in c.content()
    assert box.shifts.current().id == shift.id           # nothing recorded
    # Count again: 3 x 100 + 50 + 2 x 20 + 10 + 5 + 2 x 1 = 407.00 (1.00 short: within the
    # limit).
    c.click("#count-again")
    assert c.is_hidden("#count-choice")
    _count(c, {"10000": 3, "5000": 1, "2000": 2, "1000": 1, "500": 1, "100": 2})
    assert fen(c.inner_text("#count-total")) == 40700
    assert shown not in c.inner_text("body")
    c.click("#shift-close-dialog [type=submit]")
    c.wait_for_selector("#shift-result-dialog[open] tr[data-method=cash]")
    c.screenshot(path=str(shots / "zh-shift-2-handed-over.png"))

    # -- after the close: expected, counted and over/short as recorded ---------------------
    closed = box.shifts.get(shift.id)
    assert closed.status == "closed"
    assert closed.expected["cash"] == expected and closed.over_short["cash"] == -100
    row = "#shift-result tr[data-method=cash]"
    assert fen(c.inner_text(f"{row} .expected")) == expected
    assert fen(c.inner_text(f"{row} .counted")) == 40700
    assert fen(c.inner_text(f"{row} .over-short")) == closed.over_short["cash"] == -100
    for method, diff in closed.over_short.items():
        assert fen(c.inner_text(f"#shift-result tr[data-method={method}] .over-short")) == diff
    assert "null" not in c.inner_text("#shift-result")
    assert errors == []
    ctx.close()
