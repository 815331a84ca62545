"""The counter's devices in a real browser, against the whole appliance as processes (core,
the simulated printer, printerd, scannerd): the cashier's devices strip shows the printer
ready; a barcode typed into the virtual scanner on /sim opens an order on the counter without
a reload; a cash sale prints its receipt, which the counter reports and the sim page's paper
roll shows; an "out of paper" fault flipped on /sim reaches the counter's printer state.
In zh-CN and in English.

Screenshots go to $TILLBOX_SCREENSHOTS (docs/screenshots when refreshing the ones the README
links to), else to the test's temporary directory.
"""

import time

import pytest

from appliance_procs import Appliance  # tests/ is on the path (rootdir conftest)
from browser_helpers import browser, needs_chromium, shots, sign_in  # noqa: F401 (fixtures)
from conftest import HttpScreen
from drivers.printer import simulated
from drivers.scanner.simulated import feed_fifo


pytestmark = needs_chromium
DESK = {"width": 1280, "height": 800}
# A demo product without specs (appliance/demo/catalog.csv): its barcode adds it directly.
PRODUCT, BARCODE = "信阳毛尖 250g", "2000000001982"

TEXT = {
    "zh": {"ready": "打印机就绪", "printed": "小票已打印", "paper_out": "缺纸"},
    "en": {"ready": "Printer ready", "printed": "Receipt printed", "paper_out": "out of paper"},
}


@pytest.fixture(scope="module")
def appliance(tmp_path_factory):
    app = Appliance(tmp_path_factory.mktemp("appliance"), demo=True)
    try:
        app.screen = app.wait_ready()
        yield app
    finally:
        app.stop()


@pytest.fixture
def healthy_printer(appliance):
    """Each test starts (and leaves) the simulated printer without faults."""
    def clear():
        simulated.write_faults(appliance.sim_printer, offline=False, paper_out=False,
                               cover_open=False, paper_near_end=False, slow_ms=0,
                               disconnect_mid_job=False)
    clear()
    yield appliance
    clear()


def text_of(selector):
    """A JS predicate body: the element's text (for wait_for_function with an argument)."""
    return f"(want) => (document.querySelector({selector!r})?.textContent || '').includes(want)"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_scan_on_the_sim_page_pay_print_and_see_a_printer_fault(healthy_printer, browser,
                                                               shots, lang):
    app = healthy_printer
    base, txt = f"http://127.0.0.1:{app.port}", TEXT[lang]
    ctx = browser.new_context(viewport=DESK, locale="zh-CN" if lang == "zh" else "en-GB")
    errors = []
    ctx.on("page", lambda page: page.on("pageerror", lambda e: errors.append(str(e))))
    try:
        c = ctx.new_page()
        # The counter claims the box's scanner (PUT /till) as it connects: scans go to it.
        with c.expect_response(lambda r: r.url.endswith("/api/v1/till")) as claimed:
            sign_in(c, base, "1001", lang)
            c.wait_for_url("**/counter")
        assert claimed.value.status == 200, f"the counter did not claim the till: " \
            f"{claimed.value.status} {claimed.value.text()}"
        c.wait_for_function(text_of("#printer-state"), arg=txt["ready"], timeout=10000)
        assert "ok" in c.get_attribute("#printer-state", "class").split()
        assert c.is_hidden("#detail")

        # The counter links to the simulated devices; it opens in a second tab.
        with ctx.expect_page() as opened:
            c.click("#devices a[href='/sim']")
        s = opened.value
        s.wait_for_selector("#scan-form")
        s.wait_for_function("document.querySelector('#drawer').textContent !== ''")

        # A scan on the virtual scanner goes through scannerd into a new order on the counter.
        s.fill("#scan-code", BARCODE)
        s.press("#scan-code", "Enter")
        c.wait_for_selector("#detail:not([hidden])", timeout=10000)
        c.wait_for_selector(f"#d-lines .line:has-text('{PRODUCT}')", timeout=10000)
        number = c.inner_text("#d-number")
        due = c.inner_text("#d-due")
        assert number and due.startswith("￥") and due != "￥0.00"
        assert c.input_value("#amount") == due[1:]  # the amount due, ready for cash

        # Cash for the amount due: the sale completes, printerd prints the receipt.
        c.click("#pay")
        c.wait_for_selector("#change:not([hidden])")
        assert c.inner_text("#change-amount") == "￥0.00"
        c.wait_for_function(text_of("#print-state"), arg=txt["printed"], timeout=15000)
        assert c.is_visible("#print-state")
        assert PRODUCT in c.inner_text("#receipt")
        _s, paid, _c = app.screen.call("GET", f"/api/v1/orders/by-number/{number}")
        assert paid["status"] == "paid"
        assert [(p["method"], p["amount"]) for p in paid["payments"]] == [("cash", due[1:])]
        c.locator(".toast").last.wait_for(state="detached")  # "Sale completed" covers the page
        c.screenshot(path=str(shots / f"{lang}-8-counter-printer.png"), full_page=True)

        # The receipt is on the sim page's paper roll (with this order's number).
        paper = s.locator("#roll .paper").filter(has_text=number)
        paper.wait_for(timeout=10000)
        assert PRODUCT in paper.inner_text()
        s.screenshot(path=str(shots / f"{lang}-9-sim-paper-roll.png"))

        # Out of paper, flipped on the sim page, reaches the counter's devices strip.
        s.check("#faults input[name=paper_out]")
        c.wait_for_function(text_of("#printer-state"), arg=txt["paper_out"], timeout=10000)
        assert "bad" in c.get_attribute("#printer-state", "class").split()
        assert simulated.read_faults(app.sim_printer)["paper_out"] is True
        s.uncheck("#faults input[name=paper_out]")
        c.wait_for_function(text_of("#printer-state"), arg=txt["ready"], timeout=10000)
        assert simulated.read_faults(app.sim_printer)["paper_out"] is False
        assert errors == []
    finally:
        ctx.close()


def test_the_counter_takes_scans_even_when_who_am_i_answers_late(healthy_printer, browser):
    """On a slow link the event stream can open before /auth/me has given the page its CSRF
    token; the counter must still claim the scanner, or every scan is refused (no_counter)."""
    app = healthy_printer
    base = f"http://127.0.0.1:{app.port}"
    # Nobody holds the till (signing out releases it), as after a reboot or a shift change.
    status, _b, _c = HttpScreen(app.port, "1001").call("POST", "/api/v1/auth/logout")
    assert status == 204
    ctx = browser.new_context(viewport=DESK, locale="zh-CN")
    try:
        c = ctx.new_page()

        def slow(route):
            time.sleep(0.8)
            route.continue_()
        c.route("**/api/v1/auth/me", slow)
        claims = []
        c.on("response", lambda r: claims.append(r.status) if r.url.endswith("/api/v1/till")
             else None)
        sign_in(c, base, "1001", "zh")
        c.wait_for_url("**/counter")
        c.wait_for_function(text_of("#printer-state"), arg=TEXT["zh"]["ready"], timeout=10000)
        feed_fifo(app.fifo, BARCODE)  # the scanner beside the till
        c.wait_for_selector(f"#d-lines .line:has-text('{PRODUCT}')", timeout=5000)
        assert claims and set(claims) == {200}, claims
    finally:
        ctx.close()
