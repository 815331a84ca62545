"""Built-in help in a real browser at phone size, zh-CN (issue 11 point 2): a shop assistant
on the phone page taps the header's help button and reads how to open an order, in Chinese,
with the buttons named as the phone names them and its pictures loaded, nothing wider than
the phone; on the stocktake tab the same button opens the stocktake help.

Screenshots go to $TILLBOX_SCREENSHOTS, else to the test's temporary directory.
"""

from pathlib import Path

from babel.messages.pofile import read_po

import browser_helpers
from browser_helpers import PHONE, needs_chromium, phone_context, sign_in, watch

# The shared fixtures, by name (assigned rather than imported so that pyflakes is clean).
browser, core, shots = browser_helpers.browser, browser_helpers.core, browser_helpers.shots

pytestmark = needs_chromium

FITS = "document.documentElement.scrollWidth <= window.innerWidth"
CATALOG = Path(__file__).resolve().parents[2] / "webui/translations/zh/LC_MESSAGES/messages.po"


def chinese(msgid):
    """The msgstr the shipped catalog gives ``msgid`` (the msgid itself while untranslated)."""
    with open(CATALOG, "rb") as fh:
        message = read_po(fh).get(msgid)
    return message.string if message is not None and message.string else msgid


def test_help_from_the_phone_page_in_chinese(core, browser, shots):
    base, _box = core
    errors = []
    ctx = phone_context(browser, "zh-CN")
    p = watch(ctx.new_page(), errors)
    try:
        sign_in(p, base, "2001", "zh")                  # 刘导购, a shop assistant
        p.wait_for_url("**/phone")
        p.wait_for_selector(".product")
        button = p.locator("#help-button")
        assert button.inner_text().strip() == chinese("Help")
        box = button.bounding_box()                     # on screen, in the header
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert box["height"] >= 40                      # a thumb can hit it
        assert p.evaluate(FITS)

        button.click()
        p.wait_for_url("**/help/order")
        p.wait_for_selector("#help-order")
        assert p.get_attribute("html", "lang") == "zh-CN"
        assert p.inner_text("#help-order h1") == chinese("Open an order on a phone")
        assert p.evaluate(FITS), "the help page is wider than the phone"
        steps = p.locator(".help-steps > li")
        assert steps.count() >= 4
        labels = p.locator(".help-steps b.ui").all_inner_texts()
        assert "挂单到收银台" in labels and "扫码" in labels
        for img in p.locator(".help-steps img").all():
            img.scroll_into_view_if_needed()
            p.wait_for_function("(i) => i.complete && i.naturalWidth > 0", arg=img.element_handle())
            assert img.get_attribute("alt")
            assert img.bounding_box()["width"] <= PHONE["width"]
        p.screenshot(path=str(shots / "zh-11-help-order.png"), full_page=True)

        # Back on the phone, the stocktake tab: the same button opens the stocktake help.
        p.go_back()
        p.wait_for_url("**/phone")
        p.click("nav.tabs [data-tab=count]")
        p.click("#help-button")
        p.wait_for_url("**/help/stocktake")
        assert "发起盘点" in p.locator(".help-steps b.ui").all_inner_texts()

        # The index lists every topic; each opens.
        p.click(".help-crumbs a")
        p.wait_for_url("**/help")
        assert p.locator("#help-topics li").count() == 8
        p.click("#help-topics a[data-topic=counter]")
        p.wait_for_selector("#help-counter")
        assert "收款" in p.locator(".help-steps b.ui").all_inner_texts()
        assert errors == []
    finally:
        ctx.close()
