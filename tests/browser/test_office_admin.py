"""The owner runs the office on a phone in a real browser (Debian's Chromium driven by
Playwright, 390x844, zh-CN): adds a staff member, who signs in on another phone; deactivates
them (their phone is signed out at once); enters an expense and sees it in the list and in
the day's profit; and finds both changes on the audit page, with who and when.

Screenshots go to $TILLBOX_SCREENSHOTS, else to the test's temporary directory.
"""

from browser_helpers import (browser, core, fen, needs_chromium, phone_context,  # noqa: F401
                             shots, sign_in, watch)

pytestmark = needs_chromium
OWNER_PIN = "2468"          # 王店主 in the demo shop
NEW_PIN = "8531"
NAME = "测试员工"


def test_owner_adds_and_deactivates_staff_and_enters_an_expense(core, browser, shots):
    base, box = core
    errors = []
    ctx = phone_context(browser)
    page = watch(ctx.new_page(), errors)
    page.on("dialog", lambda d: d.accept())          # "deactivate X?" confirmations
    sign_in(page, base, OWNER_PIN, "zh")
    page.wait_for_url("**/counter")

    # -- 1. add a cashier -------------------------------------------------------------------
    page.goto(f"{base}/office/staff")
    page.wait_for_selector("#sf-list .staff-row")
    page.click("#sf-add")
    page.fill("#sf-add-dialog [name=name]", NAME)
    page.select_option("#sf-add-dialog [name=role]", "cashier")
    page.fill("#sf-add-dialog [name=pin]", NEW_PIN)
    page.screenshot(path=str(shots / "zh-office-staff-add.png"))
    with page.expect_response(lambda r: r.url.endswith("/api/v1/staff")
                              and r.request.method == "POST") as added:
        page.click("#sf-add-dialog [type=submit]")
    assert added.value.status == 201, added.value.text()
    person = added.value.json()
    row = page.locator(f"#sf-list .staff-row[data-id='{person['id']}']")
    row.wait_for()
    assert NAME in row.inner_text() and row.locator("select").input_value() == "cashier"
    rec = [r for r in box.ledger.records() if r.type == "staff.changed"][-1]
    assert rec.data["change"] == "added" and rec.data["name"] == NAME
    assert NEW_PIN not in str(rec.data)

    # -- 2. they sign in on their phone; the owner deactivates them: signed out at once ------
    theirs = phone_context(browser)
    their_page = watch(theirs.new_page(), errors)
    sign_in(their_page, base, NEW_PIN, "zh")
    their_page.wait_for_url("**/counter")
    row.locator(".sf-deactivate").click()
    page.wait_for_selector(f"#sf-list .staff-row.off[data-id='{person['id']}']")
    assert box.master.staff.get(person["id"]).active is False
    page.screenshot(path=str(shots / "zh-office-staff-deactivated.png"))
    me = their_page.request.get(f"{base}/api/v1/auth/me")
    assert me.status == 401
    theirs.close()

    # -- 3. an expense: on the list and in the day's profit ---------------------------------
    page.goto(f"{base}/office/finance")
    page.wait_for_selector("#fin-days tbody tr")
    today = box.finance.today()
    before = fen(page.locator(f"#fin-days tr[data-key='{today}'] td").nth(2).inner_text())
    page.select_option("#fin-form [name=category]", "utilities")
    page.fill("#fin-form [name=amount]", "88.80")
    page.fill("#fin-form [name=note]", "十一月水费")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/finance/entries")
                              and r.request.method == "POST") as saved:
        page.click("#fin-form [type=submit]")
    assert saved.value.status == 201, saved.value.text()
    entry = page.locator(f"#fin-entries .fin-entry[data-id='{saved.value.json()['id']}']")
    entry.wait_for()
    assert "十一月水费" in entry.inner_text() and fen(entry.locator(".price").inner_text()) == -8880
    page.wait_for_function(                   # the day's expenses column grew by 88.80
        "([day, want]) => { const c = document.querySelector("
        "`#fin-days tr[data-key='${day}'] td:nth-of-type(3)`);"
        " return c && TB.fen(c.textContent) === want; }", arg=[today, before + 8880])
    page.screenshot(path=str(shots / "zh-office-finance.png"), full_page=True)

    # -- 4. the audit page shows both, with who and when ---------------------------------------
    page.goto(f"{base}/office/audit")
    page.wait_for_selector("#au-list .audit-entry")
    staff_rows = page.locator("#au-list .audit-entry[data-kind=staff]")
    assert staff_rows.count() == 2            # added, then deactivated (newest first)
    assert NAME in staff_rows.nth(0).inner_text() and "王店主" in staff_rows.nth(0).inner_text()
    finance = page.locator("#au-list .audit-entry[data-kind=finance]").first
    assert "88.80" in finance.inner_text() and "王店主" in finance.inner_text()
    assert today in finance.locator("time").inner_text()
    page.select_option("#au-filters [name=kind]", "finance")
    page.wait_for_function("() => [...document.querySelectorAll('#au-list .audit-entry')]"
                           ".every((e) => e.dataset.kind === 'finance')")
    page.screenshot(path=str(shots / "zh-office-audit.png"), full_page=True)
    assert errors == []
    ctx.close()
