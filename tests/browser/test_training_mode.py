"""Training mode in a real browser, against the whole appliance as processes (core, the
simulated printer, printerd, scannerd): a cashier switches training mode on at /training,
sees the training banner on every page, rings up a sale at the counter (the box's scanner
follows the counter into training), the simulated printer's paper carries the training
mark at its top and bottom, and the banner's button leaves training. The real journal does
not grow by one record.
"""

import pytest

from appliance.i18n import language
from appliance.ledger import open_readonly
from appliance.training import TRAINING_LEDGER
from appliance_procs import Appliance
from browser_helpers import browser, needs_chromium, shots, sign_in  # noqa: F401 (fixtures)
from drivers.printer import simulated
from drivers.printer.layout import COLUMNS, training_mark

pytestmark = needs_chromium
DESK = {"width": 1280, "height": 800}
PRODUCT, BARCODE = "信阳毛尖 250g", "2000000001982"   # appliance/demo/catalog.csv


@pytest.fixture(scope="module")
def appliance(tmp_path_factory):
    app = Appliance(tmp_path_factory.mktemp("appliance"), demo=True)
    try:
        app.screen = app.wait_ready()
        yield app
    finally:
        app.stop()


def journal_types(path):
    conn = open_readonly(path)
    try:
        return [t for (t,) in conn.execute("SELECT type FROM journal ORDER BY seq")]
    finally:
        conn.close()


def mark_for(app):
    """The mark as core lays it out: the box's receipt language and paper."""
    _s, settings, _c = app.screen.call("GET", "/api/v1/settings")
    values = settings.get("settings", settings)
    lang, paper = values.get("receipt.language", "zh_CN"), values.get("receipt.width_mm", 80)
    with language(lang):
        return [ln.text for ln in training_mark(COLUMNS[paper])]


def test_a_cashier_practises_a_sale_in_training_mode(appliance, browser, shots):
    app = appliance
    base = f"http://127.0.0.1:{app.port}"
    data = app.cfg.parent / "data"
    real_before = journal_types(data / "ledger.db")
    ctx = browser.new_context(viewport=DESK, locale="en-GB")
    errors = []
    ctx.on("page", lambda page: page.on("pageerror", lambda e: errors.append(str(e))))
    try:
        c = ctx.new_page()
        sign_in(c, base, "1001", "en")
        c.wait_for_url("**/counter")
        assert c.locator("#training-banner").count() == 0

        # Training mode on, at /training: the page reloads with the banner.
        c.goto(f"{base}/training?lang=en")
        c.wait_for_selector("#training-on:not([hidden])")
        c.click("#training-on")
        c.wait_for_selector("#training-banner")
        assert "Training mode" in c.inner_text("#training-banner")
        assert c.is_visible("#training-off") and c.is_hidden("#training-on")
        assert "training" in c.get_attribute("body", "class").split()

        # The counter: banner too, and it claims the box's scanner in training.
        with c.expect_response(lambda r: r.url.endswith("/api/v1/till")) as claimed:
            c.goto(f"{base}/counter")
        assert claimed.value.status == 200, claimed.value.text()
        assert c.is_visible("#training-banner")

        # A scan on the box's (simulated) scanner opens a training order on this counter.
        status, body, _ = app.screen.call("POST", "/api/v1/sim/scan", {"code": BARCODE})
        assert status == 202, body
        c.wait_for_selector(f"#d-lines .line:has-text('{PRODUCT}')", timeout=10000)
        number = c.inner_text("#d-number")
        c.click("#pay")
        c.wait_for_selector("#change:not([hidden])")
        c.wait_for_function(
            "(want) => (document.querySelector('#print-state')?.textContent || '')"
            ".includes(want)", arg="Receipt printed", timeout=15000)
        c.screenshot(path=str(shots / "en-training-counter.png"), full_page=True)

        # The paper: marked as training at its top and bottom.
        mark = mark_for(app)
        pieces = [p for p in simulated.paper_roll(app.sim_printer, 10)
                  if any(number in ln.get("text", "") for ln in p["lines"])]
        assert pieces, "the training receipt is not on the paper roll"
        texts = [ln.get("text", "") for ln in pieces[0]["lines"]]
        while texts and not texts[-1].strip():   # the feed before the cut
            texts.pop()
        assert texts[:len(mark)] == mark and texts[-len(mark):] == mark, texts
        assert not pieces[0].get("qr")           # no e-receipt QR on practice paper

        # The real journal did not move; the training ledger has the sale.
        assert journal_types(data / "ledger.db") == real_before
        assert "order.paid" in journal_types(data / TRAINING_LEDGER)
        # The cashier's other (real) screen does not find the practice order.
        conn = open_readonly(data / TRAINING_LEDGER)
        try:
            (practice_id,) = conn.execute("SELECT id FROM orders WHERE number = ?",
                                          (number,)).fetchone()
        finally:
            conn.close()
        status, _body, _c = app.screen.call("GET", f"/api/v1/orders/{practice_id}")
        assert status == 404

        # Leave training from the banner: back to the real till.
        c.click("#training-leave")
        c.wait_for_selector("#training-banner", state="detached")
        c.wait_for_selector("#parked")
        assert "training" not in (c.get_attribute("body", "class") or "").split()
        status, me, _ = app.screen.call("GET", "/api/v1/auth/me")
        assert me["training"] is False
        assert errors == []
    finally:
        ctx.close()
