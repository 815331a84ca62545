"""A stocktake (盘点) on phones in a real browser (Debian's Chromium driven by Playwright), every
screen at phone size (390x844) in zh-CN:

a manager starts a blind count of one category; two assistants on two phones count the same
product at once (scans typed by a scanner wedge, a typed quantity, an undo), each seeing only
what their own phone counted and never the expected quantity; the product is sold at the
counter after it was counted; the manager reviews (the two phones' sum, the expected
quantity at the last entry, the difference in quantity and value) and approves; the stock
afterwards is the level before approval plus (counted - expected), on screen and through the
API. Then a stock rule makes the product low: the badge, the low-only filter and the
counter's chip show it.

Screenshots go to $TILLBOX_SCREENSHOTS, else to the test's temporary directory.
"""

from browser_helpers import (PHONE, browser, core, fen, needs_chromium,  # noqa: F401
                             phone_context, shots, sign_in, watch)

pytestmark = needs_chromium
# A demo product without specs (appliance/demo/catalog.csv) in the category 绿茶.
MAOJIAN = ("信阳毛尖 250g", "2000000001982", 9800)


def level(box, product_id):
    return box.orders.stock_levels([product_id]).get((product_id, ""), 0)


def count_on_phone(page, code, qty=None):
    """Type a quantity (or leave 1) and the barcode, then Enter: what a scanner wedge does."""
    if qty is not None:
        page.fill("#ct-qty", str(qty))
    page.fill("#ct-code", code)
    page.press("#ct-code", "Enter")


def mine(page, product_id):
    return page.locator(f"#ct-mine .count-line[data-key='{product_id}:'] .mine-total")


def test_blind_count_on_two_phones_with_a_sale_then_approval(core, browser, shots):
    base, box = core
    catalog = box.master.catalog
    product = catalog.lookup_barcode(MAOJIAN[1])[0]
    green = catalog.find_category_by_name("绿茶")
    assert product.category_id == green.id and not product.variants
    errors = []

    # -- 1. the manager starts a blind count of 绿茶 ---------------------------------------
    mctx = phone_context(browser)
    m = watch(mctx.new_page(), errors)
    sign_in(m, base, "1357", "zh")
    m.wait_for_url("**/counter")
    m.goto(f"{base}/phone#count")
    m.wait_for_selector("#tab-count:not([hidden]) #ct-new:not([hidden])")
    m.click("#ct-new")
    m.wait_for_selector("#ct-form:not([hidden])")
    m.check("#ct-form [name=scope][value=categories]")
    m.click(f"#ct-cats .chip[data-cat='{green.id}']")
    assert m.is_checked("#ct-form [name=blind]")           # blind unless told otherwise
    m.screenshot(path=str(shots / "zh-s1-manager-start-count.png"))
    with m.expect_response(lambda r: r.url.endswith("/api/v1/counts") and
                           r.request.method == "POST") as started:
        m.click("#ct-start")
    assert started.value.status == 201, started.value.text()
    count = started.value.json()
    assert count["scope"] == {"categories": [green.id]} and count["blind"] is True
    m.wait_for_selector("#ct-count:not([hidden]) #ct-review-open:not([hidden])")

    # -- 2. two assistants count the same product at once on their own phones --------------
    phones = []
    for pin in ("2001", "2002"):
        ctx = phone_context(browser)
        p = watch(ctx.new_page(), errors)
        sign_in(p, base, pin, "zh")
        p.wait_for_url("**/phone")
        p.click(".tabs button[data-tab='count']")
        p.click(f"#ct-open .count-row[data-count='{count['id']}']")
        p.wait_for_selector("#ct-count:not([hidden])")
        assert p.is_visible("#ct-blind") and p.is_hidden("#ct-review-open")
        phones.append((ctx, p))
    (actx, a), (bctx, b) = phones
    before = level(box, product.id)

    # Interleaved: A scans one, B types 5, A scans two more, B a mis-scan it takes back.
    count_on_phone(a, MAOJIAN[1])
    a.wait_for_function("(k) => document.querySelector(`#ct-mine [data-key='${k}'] b`)"
                        "?.textContent === '1'", arg=f"{product.id}:")
    count_on_phone(b, MAOJIAN[1], 5)
    b.wait_for_function("(k) => document.querySelector(`#ct-mine [data-key='${k}'] b`)"
                        "?.textContent === '5'", arg=f"{product.id}:")
    assert b.input_value("#ct-qty") == "1"                  # back to one a scan
    for n in (2, 3):
        count_on_phone(a, MAOJIAN[1])
        a.wait_for_function("([k, n]) => document.querySelector(`#ct-mine [data-key='${k}'] b`)"
                            "?.textContent === String(n)", arg=[f"{product.id}:", n])
    count_on_phone(b, MAOJIAN[1])
    b.wait_for_function("(k) => document.querySelector(`#ct-mine [data-key='${k}'] b`)"
                        "?.textContent === '6'", arg=f"{product.id}:")
    b.click("#ct-undo")
    b.wait_for_function("(k) => document.querySelector(`#ct-mine [data-key='${k}'] b`)"
                        "?.textContent === '5'", arg=f"{product.id}:")
    # Each phone shows its own total (3 and 5), not the sum, and no expected quantity.
    assert mine(a, product.id).inner_text() == "3"
    assert mine(b, product.id).inner_text() == "5"
    assert "3" in a.inner_text("#ct-last-total") and "8" not in a.inner_text("#ct-last-total")
    for p in (a, b):
        shown = p.inner_text("#tab-count")
        assert str(before) not in shown.replace(MAOJIAN[1], "")  # the system level is hidden
        assert p.locator("#tab-count .expected").count() == 0
    a.screenshot(path=str(shots / "zh-s2-phone-a-counting.png"))
    b.screenshot(path=str(shots / "zh-s3-phone-b-counting.png"))
    # Blind through the API too: an assistant's view of the count has no expected quantity.
    seen = a.request.get(f"{base}/api/v1/counts/{count['id']}").json()
    assert seen["shows_expected"] is False
    assert all("expected" not in item for item in seen["items"])
    # A product outside the counted category is refused with a readable message.
    count_on_phone(a, "2000000002750")                      # 滇红金芽: 红茶
    a.wait_for_selector(".toast.error")
    assert "滇红金芽" in a.inner_text(".toast.error")
    assert mine(a, product.id).inner_text() == "3"

    # -- 3. the product is sold at the counter after it was counted ------------------------
    from appliance.orders import Actor
    cashier = Actor("s-x", "cashier", "counter")
    order = box.orders.open_order(cashier)
    box.orders.add_line(cashier, order.id, barcode=MAOJIAN[1])
    cctx = phone_context(browser)
    c = watch(cctx.new_page(), errors)
    sign_in(c, base, "1001", "zh")
    c.wait_for_url("**/counter")
    c.click(f"#open .order:has-text('{order.number}')")
    c.wait_for_selector("#detail:not([hidden])")
    c.fill("#amount", "100")
    c.click("#pay")
    c.wait_for_selector("#change:not([hidden])")
    assert box.orders.get_order(order.id).status == "paid"
    assert level(box, product.id) == before - 1

    # -- 4. the manager reviews and approves -------------------------------------------------
    m.click("#ct-review-open")
    row = f"#ct-lines .review-line[data-product='{product.id}']"
    m.wait_for_selector(row)
    review = m.request.get(f"{base}/api/v1/counts/{count['id']}/review").json()
    [line] = [ln for ln in review["lines"] if ln["product_id"] == product.id]
    counted, expected = 8, before                           # expected: level at the last entry
    assert (line["counted"], line["expected"]) == (counted, expected)
    unit_cost = fen(line["unit_cost"])
    assert m.inner_text(f"{row} .counted") == str(counted)
    assert m.inner_text(f"{row} .expected") == str(expected)
    delta = counted - expected
    assert int(m.inner_text(f"{row} .delta").replace("−", "-").replace("+", "")) == delta
    assert fen(m.inner_text(f"{row} .value")) == delta * unit_cost
    assert int(m.inner_text("#ct-total-delta").replace("−", "-").replace("+", "")) == \
        review["totals"]["difference"]
    assert fen(m.inner_text("#ct-total-value")) == fen(review["totals"]["value"])
    # Other green teas nobody counted are listed, and stay as they are (no tick).
    assert m.locator("#ct-uncounted .review-line").count() == len(review["not_counted"]) > 0
    m.locator(row).scroll_into_view_if_needed()
    m.screenshot(path=str(shots / "zh-s4-manager-review.png"), full_page=True)
    untouched = review["not_counted"][0]
    untouched_before = box.orders.stock_levels([untouched["product_id"]]).get(
        (untouched["product_id"], untouched["variant_id"]), 0)
    before_approval = level(box, product.id)
    with m.expect_response(lambda r: r.url.endswith("/approve")) as approved:
        m.click("#ct-approve")
    assert approved.value.status == 200, approved.value.text()
    m.wait_for_selector("#ct-review .badge.live")           # 已审核
    assert m.locator("#ct-approve").count() == 0
    after = before_approval + (counted - expected)
    assert after == counted - 1                             # the sale after counting stays
    assert level(box, product.id) == after
    assert box.orders.stock_levels([untouched["product_id"]]).get(
        (untouched["product_id"], untouched["variant_id"]), 0) == untouched_before
    assert m.locator("#ct-review a#ct-csv").get_attribute("href").endswith("/sheet.csv")
    csv = m.request.get(f"{base}/api/v1/counts/{count['id']}/sheet.csv")
    assert csv.status == 200 and MAOJIAN[1] in csv.text()

    # Through the API, and on the stock tab: the level, and a count correction in history.
    answer = m.request.get(f"{base}/api/v1/stock/{product.id}")
    assert answer.status == 200, answer.text()
    assert answer.json()["qty"] == after
    m.click(".tabs button[data-tab='stock']")
    m.fill("#stock-q", MAOJIAN[0][:4])
    item = f"#stock-list .stock-item[data-product='{product.id}']"
    m.wait_for_selector(item)
    assert m.inner_text(f"{item} .stock-qty b") == str(after)
    m.click(item)
    m.wait_for_selector("#st-item:not([hidden]) #st-qty")
    assert m.inner_text("#st-qty b") == str(after)
    m.wait_for_selector("#st-moves .move[data-reason='count']")
    assert count["number"] in m.inner_text("#st-moves .move[data-reason='count']")
    assert m.locator("#st-moves .move[data-reason='sale']").count() >= 1
    m.screenshot(path=str(shots / "zh-s5-manager-item-history.png"), full_page=True)

    # -- 5. a stock rule makes it low: badge, filter, the counter's chip ---------------------
    m.click("#st-act-rule")
    m.wait_for_selector("#rule-dialog[open]")
    m.fill("#stock-rule-form [name=low_level]", str(after + 3))
    m.click("#stock-rule-form button[type=submit]")
    m.wait_for_selector("#st-item .stock-card.low")
    assert m.inner_text("#st-low-level") == str(after + 3)
    m.wait_for_selector("#tab-stock-low:not([hidden])")
    m.click("#st-item .link.back")
    m.click("#st-low")
    m.wait_for_selector(f"{item}.low")
    assert m.get_attribute("#st-low", "aria-pressed") == "true"
    m.screenshot(path=str(shots / "zh-s6-manager-low-stock.png"))
    c.wait_for_selector("#low-stock-chip:not([hidden])")
    c.screenshot(path=str(shots / "zh-s7-counter-low-chip.png"))
    c.click("#low-stock-chip")
    c.wait_for_url("**/phone#stock")
    c.wait_for_selector(f"#tab-stock:not([hidden]) {item}.low")
    assert c.get_attribute("#st-low", "aria-pressed") == "true"

    assert errors == []
    for ctx in (mctx, actx, bctx, cctx):
        ctx.close()


def test_supplier_purchase_order_and_a_part_delivery_scanned_on_the_phone(core, browser, shots):
    """A manager adds a supplier, orders 3 of a product, and receives 2 by scanning: the order
    is partly received and the stock went up by 2."""
    base, box = core
    product = box.master.catalog.lookup_barcode(MAOJIAN[1])[0]
    errors = []
    ctx = phone_context(browser)
    m = watch(ctx.new_page(), errors)
    sign_in(m, base, "1357", "zh")
    m.wait_for_url("**/counter")
    m.goto(f"{base}/phone#receiving")
    m.wait_for_selector("#tab-buy:not([hidden])")
    m.click(".tabs button[data-tab='buy']")        # as a person would, once the page is up
    m.wait_for_selector("#tab-buy:not([hidden]) #rc-no-po")
    m.click("#pu-nav .chip[data-view='suppliers']")
    m.click("#su-new")
    m.wait_for_selector("#supplier-dialog[open]")
    m.fill("#supplier-form [name=name]", "信阳茶叶合作社")
    m.fill("#supplier-form [name=phone]", "0376-1234567")
    m.click("#supplier-form button[type=submit]")
    m.wait_for_selector("#su-list .member:has-text('信阳茶叶合作社')")

    m.click("#pu-nav .chip[data-view='suggest']")
    group = ".sg-group:last-of-type"
    m.wait_for_selector(f"{group} .sg-q")
    m.select_option(f"{group} .sg-supplier", label="信阳茶叶合作社")
    m.fill(f"{group} .sg-q", MAOJIAN[0][:4])
    m.click(f"{group} .pick:has-text('{MAOJIAN[0]}')")
    m.fill(f"{group} .sg-qty", "3")
    m.fill(f"{group} .sg-cost", "50.00")
    with m.expect_response(lambda r: r.url.endswith("/api/v1/purchase-orders") and
                           r.request.method == "POST") as made:
        m.click(f"{group} .sg-create")
    assert made.value.status == 201, made.value.text()
    po = made.value.json()
    m.wait_for_selector("#po-receive")
    before = level(box, product.id)

    m.click("#po-receive")
    m.wait_for_selector("#rc-code")
    for n in (1, 2):
        m.fill("#rc-code", MAOJIAN[1])
        m.press("#rc-code", "Enter")
        m.wait_for_function("(n) => document.querySelector('#rc-lines .rc-qty')"
                            "?.textContent === String(n)", arg=n)
    m.screenshot(path=str(shots / "zh-s8-phone-receiving.png"))
    with m.expect_response(lambda r: r.url.endswith("/api/v1/receiving")) as booked:
        m.click("#rc-book")
    assert booked.value.status == 201, booked.value.text()
    m.wait_for_selector("#rc-done")
    assert level(box, product.id) == before + 2
    answer = m.request.get(f"{base}/api/v1/purchase-orders/{po['id']}").json()
    assert answer["status"] == "partly_received"
    assert answer["lines"][0]["received_qty"] == 2
    # Labels for what came in: no label printer in this box, so a readable refusal.
    m.click("#rc-labels")
    m.wait_for_selector("#label-dialog[open]")
    m.click("#label-form button[type=submit]")
    m.wait_for_function("document.querySelector('#label-error').textContent.length > 0")
    m.screenshot(path=str(shots / "zh-s9-phone-labels.png"))
    assert errors == []
    ctx.close()
