"""The setup page of a new box in a real browser (Debian's Chromium, phone viewport, zh-CN):
the start page leads to it, the code comes from the slip's link, a mistake is shown beside
its field, and a finished setup says to sign in, after which the owner's PIN works.

Screenshots go to $TILLBOX_SCREENSHOTS, else to the test's temporary directory.
"""


import pytest

from browser_helpers import browser, needs_chromium, shots, sign_in  # noqa: F401 (fixtures)
from loopback import LoopbackServer

pytestmark = needs_chromium
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def new_box(tmp_path):
    """core over a fresh data directory, opened for setup as `tillbox core` does at start."""

    from appliance.box import Box
    from appliance.config import load
    from appliance.provisioning import read_code
    from webui.app import create_app
    from webui.setup import start

    cfg = tmp_path / "t.toml"
    cfg.write_text('[paths]\ndata = "d"\n', encoding="utf-8")
    box = Box(load(cfg, environ={}))
    app = create_app(box)
    assert start(app)
    srv = LoopbackServer(app)
    yield srv.url, box, read_code(box.config.data_dir)
    srv.close()
    box.close()


def test_owner_sets_up_a_new_box_from_the_slips_link(new_box, browser, shots):
    base, box, code = new_box
    ctx = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="zh-CN")
    errors = []
    page = ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{base}/?code={code}")  # the start page leads to setup, code and all
        page.wait_for_url("**/setup?code=*")
        assert page.input_value("#code") == code
        assert "设置本机" in page.text_content("h1")
        page.fill("#store_id", "hz-0012")
        page.fill("#mqtt_host", "")
        page.fill("#owner_name", "王店长")
        page.fill("#pin", "2580")
        page.fill("#pin_again", "2590")
        page.click("#submit")
        mismatch = page.locator('.error[data-for="pin_again"]')
        mismatch.wait_for(state="visible")
        page.wait_for_function(
            "() => document.querySelector('.error[data-for=\"pin_again\"]').textContent")
        assert "不一致" in mismatch.text_content()
        assert page.get_attribute("#pin_again", "aria-invalid") == "true"
        page.screenshot(path=str(shots / "zh-setup-error.png"), full_page=True)
        assert box.master.staff.list() == []

        page.fill("#pin_again", "2580")
        page.click("#submit")
        page.wait_for_selector("#done:not([hidden])")
        assert "请用你的 PIN 登录" in page.text_content("#done-message")
        page.screenshot(path=str(shots / "zh-setup-done.png"), full_page=True)
        assert box.config.shop.store_id == "hz-0012"

        page.click("#done a.button")
        page.wait_for_url("**/login")
        sign_in(page, base, "2580", "zh")
        page.wait_for_url("**/counter")
        assert errors == []
    finally:
        ctx.close()
