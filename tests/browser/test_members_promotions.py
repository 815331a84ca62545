"""Members and promotions in a real browser (Debian's Chromium driven by Playwright), every
screen at phone size (390x844) in zh-CN:

a manager creates a 满减 rule (满200减30) on the phone and previews it on a made-up cart; an
assistant opens an order on the phone, attaches a member found by phone number, adds items
over ¥200 and parks it; the cashier recalls it at the counter, sees the 满减 line, pays part
with points and the rest in cash; the member's points afterwards are (before - spent +
earned), on screen and through the API.

Screenshots go to $TILLBOX_SCREENSHOTS, else to the test's temporary directory.
"""

from browser_helpers import (PHONE, browser, core, fen, needs_chromium,  # noqa: F401
                             phone_context, shots, sign_in, watch)

pytestmark = needs_chromium
# Demo products without specs (appliance/demo/catalog.csv) and their barcodes.
MAOJIAN = ("信阳毛尖 250g", "2000000001982", 9800)
CAKES = ("台湾凤梨酥 12枚", "6920518001075", 5800)
MEMBER_PHONE = "13700007777"
POINTS_BEFORE = 1000


def test_threshold_rule_member_points_from_phone_to_counter(core, browser, shots):
    base, box = core
    from appliance.orders import Actor
    manager_actor = Actor("s-test", "manager", "setup")
    # The demo's own rules are switched off so only the one made here prices the cart.
    demo_rules = {r["id"] for r in box.promotions.list()}
    for rule_id in demo_rules:
        box.promotions.switch(manager_actor, rule_id, False)
    member = box.members.sign_up(manager_actor, name="周女士", phone=MEMBER_PHONE)
    box.members.adjust_points(manager_actor, member.id, POINTS_BEFORE, "积分迁入")
    level = next(lv for lv in box.members.levels() if lv["id"] == member.level_id)
    assert level["discount_bp"] == 10000  # no level discount: the 满减 alone explains the total
    errors = []

    # -- 1. the manager makes 满200减30 on the phone and tries it on a cart -----------------
    mctx = phone_context(browser)
    m = watch(mctx.new_page(), errors)
    sign_in(m, base, "1357", "zh")
    m.wait_for_url("**/counter")          # managers land on the counter
    m.goto(f"{base}/phone")
    m.click(".tabs button[data-tab='promos']")
    m.wait_for_selector("#pr-browse:not([hidden])")
    m.click("#pr-new")
    m.wait_for_selector("#pr-form:not([hidden])")
    m.fill("#pr-form [name=name]", "满200减30")
    m.select_option("#pr-kind", "threshold")
    m.fill("#pr-tiers .tier-min >> nth=0", "200")
    m.fill("#pr-tiers .tier-off >> nth=0", "30")
    # Preview with the draft rule: two Maojian (196.00) is under the threshold...
    m.fill("#pv-q", MAOJIAN[0][:4])
    m.click(f"#pv-results .pick:has-text('{MAOJIAN[0]}')")
    m.click("#pv-lines .line button[aria-label='+']")
    m.click("#pv-run")
    m.wait_for_selector("#pv-total")
    assert fen(m.inner_text("#pv-total")) == 2 * MAOJIAN[2]
    assert m.locator("#pv-result .adjustment").count() == 0
    # ...a third one (294.00) is over it: 30 off, explained by the rule's name.
    m.click("#pv-lines .line button[aria-label='+']")
    m.click("#pv-run")
    m.wait_for_selector("#pv-result .adjustment:has-text('满200减30')")
    assert fen(m.inner_text("#pv-result .adjustment .price")) == -3000
    assert fen(m.inner_text("#pv-total")) == 3 * MAOJIAN[2] - 3000
    m.locator("#pv-result").scroll_into_view_if_needed()
    m.screenshot(path=str(shots / "zh-m1-manager-rule-preview.png"))
    # Nothing is saved by a preview.
    assert {r["id"] for r in box.promotions.list()} == demo_rules
    with m.expect_response(lambda r: r.url.endswith("/api/v1/promotions") and
                           r.request.method == "POST") as saved:
        m.click("#pr-save")
    assert saved.value.status == 201, saved.value.text()
    m.wait_for_selector("#pr-list .rule:has-text('满200减30') .badge.live")
    m.screenshot(path=str(shots / "zh-m2-manager-rules.png"))
    [rule] = [r for r in box.promotions.list() if r["id"] not in demo_rules]
    assert rule["name"] == "满200减30"
    assert rule["kind"] == "threshold" and rule["tiers"] == [{"min": 20000, "off": 3000}]
    assert rule["source"] == "shop" and rule["active"]

    # -- 2. an assistant: member by phone number, items over ¥200, park ---------------------
    actx = phone_context(browser)
    p = watch(actx.new_page(), errors)
    sign_in(p, base, "2001", "zh")
    p.wait_for_url("**/phone")
    p.wait_for_selector(".product")
    p.click("#cart-toggle")
    p.fill("#cm-code", MEMBER_PHONE)
    p.click("#cm-find")
    p.wait_for_selector("#cart-member .member-chip:has-text('周女士')")
    assert str(POINTS_BEFORE) in p.inner_text("#cart-member .m-points")
    p.click("#cart-toggle")                               # fold the cart: back to products
    added = 0
    for code in (MAOJIAN[1], MAOJIAN[1], CAKES[1]):       # a Bluetooth scanner types + Enter
        p.fill("#q", code)
        p.press("#q", "Enter")
        added += 1
        p.wait_for_function("(n) => document.querySelector('#cart-count').textContent"
                            " === '× ' + n", arg=added)
    p.click("#cart-toggle")
    p.wait_for_selector("#adjustments .adjustment:has-text('满200减30')")
    subtotal = 2 * MAOJIAN[2] + CAKES[2]                 # 254.00
    total = subtotal - 3000                               # 224.00
    assert fen(p.inner_text("#cart-due")) == total
    p.screenshot(path=str(shots / "zh-m3-phone-cart-member.png"))
    p.click("#park")
    p.wait_for_selector("#parked-dialog[open]")
    number = p.inner_text("#parked-number")

    # -- 3. the cashier: recall, 满减 line, points then cash ---------------------------------
    cctx = phone_context(browser)
    c = watch(cctx.new_page(), errors)
    sign_in(c, base, "1001", "zh")
    c.wait_for_url("**/counter")
    c.click(f"#parked .order:has-text('{number}')")
    c.wait_for_selector("#detail:not([hidden])")
    c.wait_for_selector("#d-adjustments .adjustment:has-text('满200减30')")
    assert fen(c.inner_text("#d-due")) == total
    assert "周女士" in c.inner_text("#d-member .member-chip")
    # The customer display (another tab of the counter's browser) explains the discount too.
    display = watch(cctx.new_page(), errors)
    display.goto(f"{base}/display")
    display.wait_for_selector("#adjustments .adjustment:has-text('满200减30')")
    assert "137****7777" in display.inner_text("#member")
    assert fen(display.inner_text("#total")) == total
    display.screenshot(path=str(shots / "zh-m4b-display-discount.png"))
    display.close()
    c.click("#methods .method[data-method='points']")
    spend_points = 500                                    # ￥5.00 at 1 fen a point
    fpp = box.master.settings.get("members.fen_per_point")
    c.fill("#amount", f"{spend_points * fpp // 100}.{spend_points * fpp % 100:02d}")
    c.wait_for_selector("#tender-hint:not([hidden])")
    assert str(spend_points) in c.inner_text("#tender-hint")
    c.screenshot(path=str(shots / "zh-m4-counter-points.png"))
    c.click("#pay")
    c.wait_for_function("document.querySelectorAll('#d-payments li').length === 1")
    assert str(spend_points) in c.inner_text("#d-payments")   # the points it used
    c.fill("#amount", "300")
    c.click("#pay")
    c.wait_for_selector("#change:not([hidden])")
    order = box.orders.find_by_number(number)
    assert order.status == "paid"
    assert [pm.method for pm in order.payments if not pm.voided] == ["points", "cash"]
    points_paid = spend_points * fpp
    assert fen(c.inner_text("#change-amount")) == 30000 - (total - points_paid)
    # Earned on what was not paid with points, at the member's level's rate (points per
    # yuan x 100): 1 point a yuan for a new member (普通会员).
    earned = (total - points_paid) * level["points_per_yuan_c"] // 10000
    assert earned > 0
    after = POINTS_BEFORE - spend_points + earned
    # The counter shows the member's points as they are now.
    c.wait_for_function("(n) => document.querySelector('#d-member .m-points')"
                        ".textContent.includes(String(n))", arg=after)
    c.screenshot(path=str(shots / "zh-m5-counter-paid.png"))

    # Through the API (the cashier's session) and on the member's page on the phone.
    answer = c.request.get(f"{base}/api/v1/members/{member.id}")
    assert answer.status == 200, answer.text()
    assert answer.json()["points"] == after
    paid = c.request.get(f"{base}/api/v1/orders/{order.id}").json()
    assert paid["points_earned"] == earned
    p.click("#parked-close")
    p.click(".tabs button[data-tab='members']")
    p.fill("#m-q", MEMBER_PHONE)
    p.press("#m-q", "Enter")
    p.wait_for_selector("#m-detail:not([hidden]) #m-points")
    assert p.inner_text("#m-points") == str(after)
    moves = p.inner_text("#m-moves")
    assert f"-{spend_points}" in moves and f"+{earned}" in moves
    p.screenshot(path=str(shots / "zh-m6-phone-member.png"), full_page=True)
    assert errors == []
    for ctx in (mctx, actx, cctx):
        ctx.close()


def only_rules(box, actor, kinds):
    """Switch every rule off but the demo's rules of these kinds: each test prices alone."""
    for rule in box.promotions.list():
        box.promotions.switch(actor, rule["id"], rule["kind"] in kinds)


def test_sign_up_top_up_points_gift_and_stored_value_at_the_counter(core, browser, shots):
    """The members tab (sign-up, top-up with its bonus, a manager's points correction, a gift
    for points), then the counter takes stored value and puts the change on the card, and
    the customer display shows the member with a masked phone."""
    base, box = core
    from appliance.orders import Actor
    owner = Actor("s-test", "owner", "setup")
    only_rules(box, owner, {"topup_bonus", "points_gift"})
    bonus_rule = next(r for r in box.promotions.list() if r["kind"] == "topup_bonus")
    gift_rule = next(r for r in box.promotions.list() if r["kind"] == "points_gift")
    errors = []

    # -- a cashier signs up a member on the phone and tops up ¥500 in cash ------------------
    cctx = phone_context(browser)
    p = watch(cctx.new_page(), errors)
    sign_in(p, base, "1001", "zh")
    p.wait_for_url("**/counter")
    p.goto(f"{base}/phone#members")
    p.wait_for_selector("#tab-members:not([hidden])")
    p.fill("#m-q", "13600001234")
    p.click("#m-new")
    p.wait_for_selector("#member-dialog[open]")
    assert p.input_value("#member-form [name=phone]") == "13600001234"
    assert p.is_hidden("#member-form [name=level_id]")     # levels are for managers
    p.fill("#member-form [name=name]", "吴先生")
    p.fill("#member-form [name=birthday]", "05-20")
    p.fill("#member-form [name=card_code]", "VIP900001")
    p.screenshot(path=str(shots / "zh-m7-phone-sign-up.png"))
    p.click("#member-form button[type=submit]")
    p.wait_for_selector("#m-detail:not([hidden]) .member-card:has-text('吴先生')")
    [member] = box.members.find(owner, "13600001234")
    assert (member.card_code, member.birthday, member.points) == ("VIP900001", "05-20", 0)
    assert p.is_hidden("#m-act-points")                    # corrections are for managers
    p.click("#m-act-topup")
    p.wait_for_selector("#topup-dialog[open]")
    tier = bonus_rule["tiers"][0]                          # 充500送50 in the demo
    p.fill("#topup-form [name=amount]", f"{tier['min'] // 100}")
    p.wait_for_function("document.querySelector('#topup-bonus-hint').textContent.length > 0")
    p.fill("#topup-form [name=tendered]", f"{tier['min'] // 100 + 100}")
    p.screenshot(path=str(shots / "zh-m8-phone-top-up.png"))
    p.click("#topup-form button[type=submit]")
    p.wait_for_selector("#m-detail .notice")
    balance = tier["min"] + tier["bonus"]
    assert fen(p.inner_text("#m-balance")) == balance
    assert box.members.get(owner, member.id).balance == balance
    cctx.close()

    # -- a manager finds the member by card code, corrects points, gives a gift -------------
    mctx = phone_context(browser)
    m = watch(mctx.new_page(), errors)
    sign_in(m, base, "1357", "zh")
    m.wait_for_url("**/counter")
    m.goto(f"{base}/phone#members")
    m.fill("#m-q", "VIP900001")
    m.press("#m-q", "Enter")
    m.wait_for_selector("#m-detail:not([hidden]) #m-act-points")
    m.click("#m-act-points")
    m.fill("#points-form [name=delta]", str(gift_rule["points"] + 100))
    m.fill("#points-form [name=reason]", "旧系统积分迁入")
    m.click("#points-form button[type=submit]")
    m.wait_for_function("(n) => document.querySelector('#m-points').textContent === String(n)",
                        arg=gift_rule["points"] + 100)
    m.click("#m-act-gifts")
    m.wait_for_selector(f"#gift-list .gift:has-text('{gift_rule['name']}')")
    m.screenshot(path=str(shots / "zh-m9-phone-gift.png"))
    m.click(f"#gift-list .gift:has-text('{gift_rule['name']}') button")
    m.wait_for_function("document.querySelector('#m-points').textContent === '100'")
    assert box.members.get(owner, member.id).points == 100
    m.screenshot(path=str(shots / "zh-m10-phone-member-moves.png"), full_page=True)
    mctx.close()

    # -- the counter: card code typed in, part stored value, cash with change to the card ---
    cashier = Actor("s-x", "cashier", "counter")
    order = box.orders.open_order(cashier)
    box.orders.add_line(cashier, order.id, barcode=MAOJIAN[1])
    kctx = phone_context(browser)
    c = watch(kctx.new_page(), errors)
    sign_in(c, base, "1001", "zh")
    c.wait_for_url("**/counter")
    c.click(f"#open .order:has-text('{order.number}')")
    c.wait_for_selector("#detail:not([hidden])")
    c.fill("#d-member-code", "VIP900001")
    c.press("#d-member-code", "Enter")
    c.wait_for_selector("#d-member .member-chip:has-text('吴先生')")
    display = watch(kctx.new_page(), errors)            # the customer display, same browser
    display.goto(f"{base}/display")
    display.wait_for_selector("#member:not([hidden])")
    assert "136****1234" in display.inner_text("#member")
    assert "13600001234" not in display.inner_text("body")
    display.screenshot(path=str(shots / "zh-m11-display-member.png"))
    assert c.is_visible("#to-card-row")                    # 存零: cash with a member
    c.click("#methods .method[data-method='member_balance']")
    assert c.is_hidden("#to-card-row")
    c.fill("#amount", "50.00")
    c.click("#pay")
    c.wait_for_function("document.querySelector('#d-due').textContent.includes('48.00')")
    c.click("#methods .method[data-method='cash']")
    c.check("#to-card")
    c.fill("#amount", "50")
    c.screenshot(path=str(shots / "zh-m12-counter-store-change.png"))
    c.click("#pay")
    c.wait_for_selector("#change:not([hidden])")
    assert fen(c.inner_text("#change-amount")) == 0      # the ¥2.00 went onto the card
    paid = box.orders.get_order(order.id)
    assert [pm.method for pm in paid.live_payments] == ["member_balance", "cash"]
    assert box.members.get(owner, member.id).balance == balance - 5000 + 200
    c.wait_for_function("(b) => document.querySelector('#d-member .m-balance')"
                        ".textContent.includes(b)", arg="502.00")
    assert errors == []
    kctx.close()


def test_manager_edits_a_rule_and_a_level_and_a_coupon_prices_the_phone_cart(core, browser,
                                                                             shots):
    base, box = core
    from appliance.orders import Actor
    owner = Actor("s-test", "owner", "setup")
    only_rules(box, owner, {"coupon"})
    multi = next(r for r in box.promotions.list() if r["kind"] == "multi_buy")
    coupon = next(r for r in box.promotions.list() if r["kind"] == "coupon")
    errors = []
    ctx = phone_context(browser)
    m = watch(ctx.new_page(), errors)
    sign_in(m, base, "1357", "zh")
    m.wait_for_url("**/counter")
    m.goto(f"{base}/phone#promotions")
    m.wait_for_selector("#pr-list .rule")

    # Edit the demo's 第二件半价: the form shows what is stored; 30 % instead of half.
    m.click(f"#pr-list .rule[data-rule='{multi['id']}'] .rule-main")
    m.wait_for_selector("#pr-form:not([hidden])")
    assert m.input_value("#pr-kind") == "multi_buy"
    assert m.input_value("#pr-form [name=percent]") == "50"
    assert m.get_attribute(f"#pr-cats .chip[data-cat='{multi['categories'][0]}']",
                           "aria-pressed") == "true"
    m.fill("#pr-form [name=percent]", "30")
    m.check("#pr-form [name=active]")
    with m.expect_response(lambda r: f"/api/v1/promotions/{multi['id']}" in r.url and
                           r.request.method == "PUT") as saved:
        m.click("#pr-save")
    assert saved.value.status == 200, saved.value.text()
    m.wait_for_selector("#pr-browse:not([hidden])")
    edited = box.promotions.get(multi["id"])
    assert (edited["percent_bp"], edited["group_size"], edited["active"]) == (3000, 2, True)
    assert edited["categories"] == multi["categories"]

    # A bad value comes back as the API's message, next to the form.
    m.click(f"#pr-list .rule[data-rule='{multi['id']}'] .rule-main")
    m.fill("#pr-form [name=percent]", "150")
    m.click("#pr-save")
    m.wait_for_function("document.querySelector('#pr-error').textContent.length > 0")
    assert m.get_attribute("#pr-form [name=percent]", "aria-invalid") == "true"
    assert box.promotions.get(multi["id"])["percent_bp"] == 3000
    m.click("#pr-form .cart-actions [data-back]")

    # Head office's rules are read-only here, but the shop can switch them off.
    box.promotions.replace_from_head_office(
        [{"id": "ho-autumn", "name": "总部秋季九折", "kind": "percent_off", "percent": "10"}],
        Actor("s-ho", "owner", "uplink").journal(box.ledger.device_id))
    m.goto(f"{base}/phone?again=1#promotions")
    ho = "#pr-list .rule[data-rule='ho-autumn']"
    m.wait_for_selector(f"{ho} .badge.live")
    m.click(f"{ho} .rule-main")
    m.wait_for_selector("#pr-readonly:not([hidden])")
    assert m.is_hidden("#pr-save") and m.is_disabled("#pr-form [name=name]")
    m.click("#pr-form [data-back] >> nth=0")
    with m.expect_response(lambda r: r.url.endswith("/promotions/ho-autumn/switch")) as switched:
        m.click(f"{ho} .switch input")
    assert switched.value.status == 200, switched.value.text()
    m.wait_for_selector(f"{ho} .badge.off")
    assert box.promotions.get("ho-autumn")["active"] is False

    # Member levels: gold gets 8 % off.
    m.click("#lv-open")
    m.wait_for_selector("#lv-box:not([hidden]) .level-card[data-level='lv-gold']")
    m.fill(".level-card[data-level='lv-gold'] [name=discount_percent]", "8")
    m.screenshot(path=str(shots / "zh-m13-phone-levels.png"))
    m.click(".level-card[data-level='lv-gold'] button[type=submit]")
    m.wait_for_function("() => !document.querySelector('.toast.error')")
    m.wait_for_function("document.querySelector(\"[data-level='lv-gold'] [name=discount_percent]\")"
                        ".value === '8'")
    gold = next(lv for lv in box.members.levels() if lv["id"] == "lv-gold")
    assert gold["discount_bp"] == 9200

    # A coupon on the phone's cart: its line explains the total; removing it takes it off.
    m.click("#lv-box [data-back]")
    m.click(".tabs button[data-tab='entry']")
    for n in (1, 2):
        m.fill("#q", MAOJIAN[1])
        m.press("#q", "Enter")
        m.wait_for_function("(n) => document.querySelector('#cart-count').textContent"
                            " === '× ' + n", arg=n)
    m.click("#cart-toggle")
    m.fill("#coupon-code", coupon["codes"][0].lower())
    m.click("#coupon-add")                                 # for members only: refused
    m.wait_for_selector(".toast.error")
    assert coupon["codes"][0] in m.inner_text(".toast.error")
    newcomer = box.members.sign_up(owner, name="郑女士", phone="13500002222")
    m.fill("#cm-code", newcomer.phone)
    m.press("#cm-code", "Enter")
    m.wait_for_selector("#cart-member .member-chip:has-text('郑女士')")
    m.click("#coupon-add")
    m.wait_for_selector(f"#coupons .chip:has-text('{coupon['codes'][0]}')")
    m.wait_for_selector(f"#adjustments .adjustment:has-text('{coupon['name']}')")
    assert fen(m.inner_text("#cart-due")) == 2 * MAOJIAN[2] - coupon["amount"]
    m.screenshot(path=str(shots / "zh-m14-phone-coupon.png"))
    m.click(f"#coupons .chip:has-text('{coupon['codes'][0]}') button")
    m.wait_for_function("document.querySelectorAll('#adjustments .adjustment').length === 0")
    assert fen(m.inner_text("#cart-due")) == 2 * MAOJIAN[2]
    assert errors == []
    ctx.close()
