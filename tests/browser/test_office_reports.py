"""The owner's dashboard and the reports page on a phone (390x844, zh-CN) in a real browser:
a manager signs in, opens /office and sees today's figures against last week, the open
orders and a chart; opens /office/reports and sees the summary, the charts and the CSV
links, fitting the phone's width; prints the summary, which queues a report job.

Screenshots go to $TILLBOX_SCREENSHOTS, else to the test's temporary directory.
"""

from browser_helpers import (browser, core, fen, needs_chromium, phone_context,  # noqa: F401
                             shots, sign_in, watch)

from appliance.orders import Actor

pytestmark = needs_chromium
MAOJIAN = "2000000001982"     # a demo product without specs (appliance/demo/catalog.csv)


def test_manager_reads_dashboard_and_reports_on_a_phone(core, browser, shots):
    base, box = core
    e = box.orders
    staff = {s.role: s for s in box.master.staff.list()}
    assistant = Actor(staff["assistant"].id, "assistant", "phone-1")
    cashier = Actor(staff["cashier"].id, "cashier", "counter")
    before = box.reports.today_so_far()["today"]
    order = e.open_order(assistant)
    order = e.add_line(assistant, order.id, barcode=MAOJIAN, qty=2)
    due = e.due(order)
    e.add_payment(cashier, order.id, "cash", due)
    parked = e.open_order(assistant)
    e.add_line(assistant, parked.id, barcode=MAOJIAN)
    e.park(assistant, parked.id)
    net = before["net"] + due
    errors = []

    ctx = phone_context(browser)
    page = watch(ctx.new_page(), errors)
    sign_in(page, base, "1357", "zh")
    page.wait_for_url("**/counter")
    page.goto(f"{base}/office")
    tile = page.locator("#dash-net .value")
    assert fen(tile.inner_text()) == net
    assert page.locator("svg.chart rect.bar").count() == 2     # last week, today
    assert page.locator("#dash-open .value").inner_text().strip() != "0"
    assert page.locator("#dash-low").get_attribute("href") == "/phone#stock-low"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "zh-office-dashboard.png"), full_page=True)

    page.click(".dash-links a >> nth=0")          # today's report
    page.wait_for_url("**/office/reports**")
    assert fen(page.locator("#sum-net").inner_text()) == net
    assert int(page.locator("#sum-orders").inner_text()) >= 1
    chart = page.locator("#section-top_products svg.chart")
    assert chart.is_visible() and chart.bounding_box()["width"] <= 390
    title = page.locator("#section-top_products svg > title").text_content()
    assert title in ("畅销商品（按净销售额）", "Top products by net sales")
    assert page.locator("#section-tenders a.csv").get_attribute("href").startswith(
        "/api/v1/reports/tenders.csv?from=")
    assert page.locator("#section-days").count() == 0      # one day: no table of one row
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "zh-office-reports.png"), full_page=True)

    jobs = len(box.printing.pending())
    page.click("#report-print")
    page.wait_for_selector(".toast:not(.error)")
    report_jobs = [j for j in box.printing.pending() if j["kind"] == "report"
                   and j["payload"].get("document") == "summary"]
    assert len(box.printing.pending()) == jobs + 1 and report_jobs
    assert errors == []
    ctx.close()
