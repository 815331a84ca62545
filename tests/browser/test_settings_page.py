"""The owner shapes the shop from the settings page on a phone (issue 11; Debian's Chromium
driven by Playwright, 390x844, zh-CN): changes the shop name and saves, uploads a logo (the
page shrinks it with a canvas and sends it) and sees it exactly as it prints, and finds the
new name in the page's header afterwards.

Screenshots go to $TILLBOX_SCREENSHOTS, else to the test's temporary directory.
"""

import io

from PIL import Image, ImageDraw

from appliance.orders import Actor

from browser_helpers import (browser, core, needs_chromium, phone_context, shots,  # noqa: F401
                             sign_in, watch)

pytestmark = needs_chromium
OWNER_PIN = "2468"          # 王店主 in the demo shop
NEW_NAME = "茗香茶叶·西湖店"


def big_photo() -> bytes:
    """A 2400 x 1000 logo with a transparent background: the page shrinks it to 1200."""
    image = Image.new("RGBA", (2400, 1000), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.ellipse((100, 100, 900, 900), fill=(30, 110, 50, 255))
    pen.rectangle((1000, 350, 2300, 650), fill=(90, 90, 90, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_owner_renames_the_shop_and_uploads_a_logo(core, browser, shots):
    base, box = core
    errors = []
    ctx = phone_context(browser)
    page = watch(ctx.new_page(), errors)
    sign_in(page, base, OWNER_PIN, "zh")
    page.wait_for_url("**/counter")
    page.goto(f"{base}/office/settings#settings-shop")
    page.wait_for_selector("#st-receipt .st-paper")

    # -- 1. a new shop name, saved: the receipt and the page's header follow ----------------
    page.fill("#st-shop-name", NEW_NAME)
    with page.expect_response(lambda r: r.url.endswith("/api/v1/settings")
                              and r.request.method == "PATCH") as saved:
        page.click("#st-shop-save")
    assert saved.value.status == 200, saved.value.text()
    assert saved.value.request.post_data_json == {"shop.name": NEW_NAME}   # only what changed
    page.wait_for_function("document.getElementById('st-shop-status').textContent"
                           " === TB.t('st_shop_saved')")
    assert box.master.settings.get("shop.name") == NEW_NAME
    page.wait_for_function(f"document.querySelector('#st-receipt .st-line').textContent === {NEW_NAME!r}")

    # an empty name is refused by the server, shown under the field
    page.fill("#st-shop-name", " ")
    page.click("#st-shop-save")
    page.wait_for_selector(".st-field-error[data-for='shop.name']:not(:empty)")
    assert page.get_attribute("#st-shop-name", "aria-invalid") == "true"
    page.fill("#st-shop-name", NEW_NAME)

    # -- 2. a logo: shrunk here, dithered by the box, shown dot for dot ---------------------
    with page.expect_response(lambda r: r.url.endswith("/api/v1/settings/logo")
                              and r.request.method == "POST") as uploaded:
        page.set_input_files("#st-logo-file", files=[{"name": "logo.png", "mimeType": "image/png",
                                                      "buffer": big_photo()}])
    assert uploaded.value.status == 200, uploaded.value.text()
    digest = uploaded.value.json()["logo"]
    assert box.master.settings.get("receipt.logo") == digest
    with Image.open(box.master.path / "logo" / f"{digest}.png") as kept:
        assert kept.size == (1200, 500) and kept.mode == "L"    # shrunk by the page's canvas
    page.wait_for_function("(() => { const i = document.getElementById('st-logo-preview');"
                           " return !i.hidden && i.complete && i.naturalWidth > 0; })()")
    paper = box.master.settings.get("receipt.width_mm")
    dots = {58: 384, 80: 576}[paper]
    size = page.eval_on_selector("#st-logo-preview", "i => [i.naturalWidth, i.naturalHeight,"
                                 " getComputedStyle(i).imageRendering, i.clientWidth]")
    assert size[0] == dots and size[1] <= dots // 3 and size[3] == dots
    assert size[2] in ("pixelated", "crisp-edges")
    assert page.is_visible("#st-logo-remove")
    page.locator("#settings-shop").screenshot(path=str(shots / "zh-settings-shop.png"))

    # -- 3. the new name is in the page's header everywhere ---------------------------------
    page.goto(f"{base}/office")
    assert NEW_NAME in page.title()
    assert errors == []
    ctx.close()


# -- modules (helper B) --


def test_owner_switches_members_off_and_an_open_counter_follows(core, browser, shots):
    """Helper B (docs/settings.md "Modules", "Payment"): the switch on the settings page hides
    the member features on a counter that is already open (the `settings` event), the box
    refuses a sign-up meanwhile, and switching on brings them back; the tenders follow the
    order saved on the same page; the customer display shows the shop's WeChat code with the
    amount while WeChat Pay is chosen."""
    base, box = core
    errors = []
    ctx = phone_context(browser)
    counter = watch(ctx.new_page(), errors)
    sign_in(counter, base, OWNER_PIN, "zh")
    counter.wait_for_url("**/counter")
    counter.wait_for_selector("#methods button[data-method]", state="attached")
    members_link = "a[data-module='members']"
    assert counter.is_visible(members_link)

    settings = watch(ctx.new_page(), errors)
    settings.goto(f"{base}/office/settings#settings-modules")
    # The demo shop's member card holds money: refused, and the switch says why under it.
    with settings.expect_response(lambda r: r.url.endswith("/api/v1/settings")
                                  and r.request.method == "PATCH") as refused_off:
        settings.click("#st-module-members")
    assert refused_off.value.status == 409, refused_off.value.text()
    settings.wait_for_selector("#st-module-members-error:has-text('550.00')")
    assert settings.is_checked("#st-module-members")
    assert box.master.settings.get("modules.members") is True
    # pay the balance out (as the member's page does), then switching off works
    owner = Actor(box.master.staff.authenticate(OWNER_PIN).id, "owner", "counter")
    with box.ledger.reading() as conn:
        held = conn.execute("SELECT id, balance FROM members WHERE balance > 0").fetchall()
    for member_id, balance in held:
        box.members.pay_out(owner, member_id, balance, "cash", "closing the card")
    with settings.expect_response(lambda r: r.url.endswith("/api/v1/settings")
                                  and r.request.method == "PATCH") as saved:
        settings.uncheck("#st-module-members")
    assert saved.value.status == 200, saved.value.text()
    assert settings.text_content("#st-module-members-error") == ""
    assert saved.value.request.post_data_json == {"modules.members": False}
    assert box.master.settings.get("modules.members") is False
    counter.wait_for_selector(members_link, state="hidden")       # live, no reload
    assert "module-off-members" in counter.eval_on_selector("body", "b => b.className")
    refused = counter.evaluate("TB.api('POST', '/members', {name: '王'})"
                               ".then(() => 0, (e) => e.status)")
    assert refused == 409
    settings.locator("#settings-modules").screenshot(path=str(shots / "zh-settings-modules.png"))

    # tenders: Alipay first, card off; saved on the payment section, the counter follows
    settings.goto(f"{base}/office/settings#settings-payment")
    settings.uncheck("#st-tenders li[data-method='card'] input")
    for _ in range(6):   # move Alipay to the top with its up button (no dragging)
        settings.click("#st-tenders li[data-method='alipay'] button[data-move='-1']")
    with settings.expect_response(lambda r: r.url.endswith("/api/v1/settings")
                                  and r.request.method == "PATCH") as saved:
        settings.click("#st-payment-save")
    assert saved.value.status == 200, saved.value.text()
    enabled = box.master.settings.get("tenders.enabled")
    assert enabled[0] == "alipay" and "card" not in enabled
    counter.wait_for_function("TB.tenders[0] === 'alipay'")      # live, no reload
    assert counter.evaluate("TB.tenders") == enabled
    shown = counter.eval_on_selector_all("#methods button", "bs => bs.map(b => b.dataset.method)")
    assert shown == [m for m in enabled if m not in ("member_balance", "points")]

    # the shop's WeChat code on the customer display while the cashier takes WeChat Pay
    box.master.settings.set("payment.qr_wechat", "wxp://f2f0testcode")
    display = watch(ctx.new_page(), errors)
    display.goto(f"{base}/display")
    order_id = counter.evaluate("""(async () => {
      const o = await TB.api('POST', '/orders', {});
      await TB.api('POST', `/orders/${o.id}/lines`, {barcode: '2000000001074'});
      return o.id; })()""")
    counter.click(f"#open li.order:has-text('{box.orders.get_order(order_id).number}')")
    counter.click("#methods button[data-method='wechat']")
    display.wait_for_selector("#pay-qr:not([hidden])")
    assert display.text_content("#pay-qr-amount") == "￥168.00"
    assert display.eval_on_selector("#pay-qr-img", "i => i.naturalWidth") > 0
    counter.click("#methods button[data-method='cash']")            # another tender: gone
    display.wait_for_selector("#pay-qr", state="hidden")

    settings.goto(f"{base}/office/settings#settings-modules")
    settings.check("#st-module-members")
    counter.wait_for_selector(members_link, state="visible")
    assert box.master.settings.get("modules.members") is True
    assert errors == []
    ctx.close()
