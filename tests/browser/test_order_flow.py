"""Phones and the counter in a real browser (Debian's Chromium driven by Playwright, 390x844):
an assistant builds an order and parks it; the cashier's screen shows it arrive without a
reload, settles it with WeChat Pay plus cash and sees the change. In zh-CN and in English.

Screenshots of each step go to $TILLBOX_SCREENSHOTS (docs/screenshots when refreshing the
ones the README links to), else to the test's temporary directory.
"""

import pytest

from browser_helpers import browser, core, needs_chromium, shots, sign_in  # noqa: F401 (fixtures)

pytestmark = needs_chromium
PHONE = {"width": 390, "height": 844}
TEXT = {
    "zh": {"parked": "已挂单到收银台", "wait": "等待结账", "completed": "交易完成",
           "pay": "收款", "wechat": "微信支付", "search": "龙井"},
    "en": {"parked": "Parked for the counter", "wait": "Waiting at the counter",
           "completed": "Sale completed", "pay": "Take payment", "wechat": "WeChat Pay",
           "search": "Longjing"},
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_phone_order_to_counter_settlement(core, browser, shots, lang):
    base, box = core
    txt = TEXT[lang]
    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                has_touch=True, locale="zh-CN" if lang == "zh" else "en-GB")
    counter = browser.new_context(viewport={"width": 1280, "height": 800},
                                  locale="zh-CN" if lang == "zh" else "en-GB")
    p, c = phone.new_page(), counter.new_page()
    errors = []
    for page in (p, c):
        page.on("pageerror", lambda e: errors.append(str(e)))

    # The cashier's screen is open first and must see the order arrive by itself.
    sign_in(c, base, "1001", lang)
    c.wait_for_url("**/counter")
    c.wait_for_selector("#parked")

    sign_in(p, base, "2001", lang)
    p.wait_for_url("**/phone")
    p.wait_for_selector(".product")
    p.screenshot(path=str(shots / f"{lang}-1-phone-products.png"))

    # Search, pick a spec of a tea sold by weight.
    p.fill("#q", txt["search"])
    p.wait_for_selector(f".product:has-text('{'龙井' if lang == 'zh' else 'Longjing'}')")
    p.click(".product >> nth=0")
    p.wait_for_selector("#variant-dialog[open]")
    p.screenshot(path=str(shots / f"{lang}-2-phone-variant.png"))
    p.click("#variants .variant >> nth=1")
    p.wait_for_function("document.querySelector('#cart-count').textContent.includes('1')")

    # A barcode typed (or from a Bluetooth scanner) and Enter.
    barcode = box.master.catalog.search("凤梨酥")[0]
    code = (barcode.barcodes or barcode.variants[0].barcodes)[0]
    p.fill("#q", code)
    p.press("#q", "Enter")
    p.wait_for_function("document.querySelector('#cart-count').textContent.includes('2')")
    p.click("#cart-toggle")
    p.click("details.customer summary")
    p.fill("#c-name", "周女士")
    p.fill("#c-phone", "13800138000")
    p.screenshot(path=str(shots / f"{lang}-3-phone-cart.png"))
    p.click("#park")
    p.wait_for_selector("#parked-dialog[open]")
    number = p.inner_text("#parked-number")
    assert number and txt["parked"] in p.inner_text("#parked-dialog")
    p.screenshot(path=str(shots / f"{lang}-4-phone-parked.png"))

    # The counter: it arrived live.
    c.wait_for_selector(f"#parked .order:has-text('{number}')", timeout=5000)
    assert txt["wait"] in c.inner_text(".queue")
    c.screenshot(path=str(shots / f"{lang}-5-counter-arrived.png"))
    c.click(f"#parked .order:has-text('{number}')")
    c.wait_for_selector("#detail:not([hidden])")
    due = c.inner_text("#d-due")
    assert due.startswith("￥")

    # Part by WeChat Pay (with its transaction number), the rest in cash with change.
    c.click(f"#methods .method:has-text('{txt['wechat']}')")
    c.fill("#amount", "50.00")
    c.fill("#reference", "4200001234")
    c.click("#pay")
    c.wait_for_function("document.querySelector('#d-paid').textContent.includes('50.00')")
    c.fill("#amount", "500")
    c.click("#pay")
    c.wait_for_selector("#change:not([hidden])")
    change = c.inner_text("#change-amount")
    order = box.orders.find_by_number(number)
    assert order.status == "paid"
    assert change == "￥" + f"{order.change_given // 100}.{order.change_given % 100:02d}"
    assert [pm.method for pm in order.payments] == ["wechat", "cash"]
    assert (order.customer_name, order.customer_phone) == ("周女士", "13800138000")
    c.screenshot(path=str(shots / f"{lang}-6-counter-change.png"))
    assert errors == []
    phone.close()
    counter.close()


def test_a_manager_adds_a_product_with_specs_from_the_phone(core, browser, shots):
    base, box = core
    ctx = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="zh-CN")
    p = ctx.new_page()
    errors = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(p, base, "1357", "zh")
    p.wait_for_url("**/counter")  # managers land on the counter; phones work too
    p.goto(f"{base}/phone")
    p.click(".tabs button[data-tab='stock']")
    p.click("#new-product")
    p.wait_for_selector("#product-dialog[open]")
    f = "#product-form"
    p.fill(f"{f} [name=name]", "桂花乌龙 新品")
    p.fill(f"{f} [name=price]", "88.00")
    p.fill(f"{f} [name=unit]", "罐")
    p.fill(f"{f} [name=specs]", "规格=50g | | 2100000000029 | 6\n规格=100g | 158.00 | | 3")
    p.screenshot(path=str(shots / "zh-7-phone-new-product.png"))
    p.click(f"{f} button[type=submit]")
    p.wait_for_selector("#product-dialog", state="hidden")
    found = box.master.catalog.lookup_barcode("2100000000029")
    assert found is not None
    product, variant = found
    assert product.name == "桂花乌龙 新品" and variant.spec == {"规格": "50g"}
    big = next(v for v in product.variants if v.spec == {"规格": "100g"})
    assert big.price == 15800
    assert box.orders.stock_level(product.id, variant.id) == 6
    assert box.orders.stock_level(product.id, big.id) == 3
    assert errors == []
    ctx.close()


EAN_L = ["0001101", "0011001", "0010011", "0111101", "0100011", "0110001", "0101111",
         "0111011", "0110111", "0001011"]
EAN_PARITY = ["LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG", "LGGLLG", "LGGGLL", "LGLGLG",
              "LGLGGL", "LGGLGL"]


def ean13_modules(code: str) -> str:
    """The 95 bar modules of an EAN-13 code ("1" = black), from the standard's tables."""
    r_codes = ["".join("1" if b == "0" else "0" for b in c) for c in EAN_L]
    g_codes = [c[::-1] for c in r_codes]
    left = "".join(EAN_L[int(d)] if parity == "L" else g_codes[int(d)]
                   for d, parity in zip(code[1:7], EAN_PARITY[int(code[0])]))
    return "101" + left + "01010" + "".join(r_codes[int(d)] for d in code[7:]) + "101"


def test_the_vendored_fallback_decoder_reads_an_ean13_in_the_browser(core, browser):
    """Phones without BarcodeDetector use the vendored zxing: it must load and read EAN-13."""
    base, _box = core
    page = browser.new_page()
    page.goto(f"{base}/login")
    page.add_script_tag(url=f"{base}/static/vendor/zxing/zxing.min.js")
    text = page.evaluate("""(bars) => {
        const scale = 4, quiet = 12 * scale, height = 160;
        const canvas = document.createElement("canvas");
        canvas.width = bars.length * scale + 2 * quiet;
        canvas.height = height;
        const ctx = canvas.getContext("2d");
        ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, canvas.width, height);
        ctx.fillStyle = "#000";
        [...bars].forEach((b, i) => { if (b === "1") ctx.fillRect(quiet + i * scale, 10, scale, height - 20); });
        const source = new ZXing.HTMLCanvasElementLuminanceSource(canvas);
        const bitmap = new ZXing.BinaryBitmap(new ZXing.HybridBinarizer(source));
        return new ZXing.MultiFormatReader().decode(bitmap).getText();
    }""", ean13_modules("6901234567892"))
    assert text == "6901234567892"
    page.close()


def test_sign_in_never_sends_people_off_the_box(core, browser):
    base, _box = core
    page = browser.new_page()
    page.goto(f"{base}/login?next=/%5Cevil.example")
    for digit in "1001":
        page.click(f"#pinpad button[data-d='{digit}']")
    page.click("#pinpad button[data-d='ok']")
    page.wait_for_url(f"{base}/counter")
    page.close()


def test_editing_a_product_does_not_undo_sales_made_meanwhile(core, browser):
    """The form shows stock when it opens; saving another change must not re-count it."""
    base, box = core
    tea = box.master.catalog.search("大红袍")[0]
    variant = tea.variants[0] if tea.variants else None
    vid = variant.id if variant else ""
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    p = ctx.new_page()
    sign_in(p, base, "1357", "zh")
    p.wait_for_url("**/counter")
    p.goto(f"{base}/phone")
    p.click(".tabs button[data-tab='stock']")
    p.fill("#stock-q", tea.name)
    item = f"#stock-list .stock-item:has-text('{tea.name}') >> nth=0"
    p.wait_for_function("document.querySelectorAll('#stock-list .stock-item').length <= 3")
    p.click(item)                          # the item's page: stock, history, actions
    p.click("#st-act-edit")
    p.wait_for_selector("#product-dialog[open]")
    before = box.orders.stock_level(tea.id, vid)
    # The counter sells one while the form is open.
    from appliance.orders import Actor
    engine, cashier = box.orders, Actor("s-x", "cashier", "counter")
    order = engine.open_order(cashier)
    engine.add_line(cashier, order.id, product_id=tea.id, variant_id=vid or None)
    engine.add_payment(cashier, order.id, "cash", engine.due(engine.get_order(order.id)))
    p.fill("#product-form [name=name_en]", "Da Hong Pao (edited)")
    with p.expect_response(lambda r: "/api/v1/products/" in r.url and
                           r.request.method == "PATCH") as answer:
        p.click("#product-form button[type=submit]")
    assert answer.value.status == 200, answer.value.text()
    p.wait_for_selector("#product-dialog", state="hidden")
    assert box.master.catalog.get_product(tea.id).name_en == "Da Hong Pao (edited)"
    assert box.orders.stock_level(tea.id, vid) == before - 1
    ctx.close()
