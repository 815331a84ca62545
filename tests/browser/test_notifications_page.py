"""The owner checks the notification outbox on a phone (Chromium through Playwright, 390x844,
zh-CN): sees what customers were told with the addresses masked, sends a failed message
again and sends a test message to their own address; nothing is wider than the phone.

Screenshots go to $TILLBOX_SCREENSHOTS, else to the test's temporary directory.
"""

import pytest

from browser_helpers import browser, needs_chromium, phone_context, shots, sign_in, watch  # noqa: F401
from loopback import LoopbackServer

pytestmark = needs_chromium
OWNER_PIN = "2468"          # 王店主 in the demo shop


@pytest.fixture(scope="module")
def core(tmp_path_factory):
    """The demo shop with e-mail and the SMS modem switched on."""
    from appliance import demo
    from appliance.box import Box
    from appliance.config import load
    from webui.app import create_app

    d = tmp_path_factory.mktemp("core")
    cfg = d / "t.toml"
    cfg.write_text('[paths]\ndata = "d"\n[web]\nthreads = 12\n[notify]\nemail = "smtp"\n'
                   'sms = "modem"\nsmtp_host = "127.0.0.1"\nsmtp_from = "shop@example.com"\n',
                   encoding="utf-8")
    box = Box(load(cfg, environ={}), background_checkpoints=True)
    demo.load(box)
    srv = LoopbackServer(create_app(box), threads=12)
    yield srv.url, box
    srv.close()
    box.close()


def test_owner_sends_a_failed_message_again_and_a_test_message(core, browser, shots):
    base, box = core
    from appliance.orders import Actor
    box.members.sign_up(Actor("s-x", "assistant", "phone-1"), name="周女士",
                        phone="13800138123")
    outbox = box.notifications
    job = outbox.claim(["modem"])
    outbox.result(job["id"], "failed", error="modem: invalid number")

    errors = []
    ctx = phone_context(browser)
    page = watch(ctx.new_page(), errors)
    sign_in(page, base, OWNER_PIN, "zh")
    page.wait_for_url("**/counter")
    page.goto(f"{base}/office/notifications")
    entry = page.locator(f"#nt-list .nt-entry[data-id='{job['id']}']")
    entry.wait_for()
    assert entry.get_attribute("data-state") == "failed"
    text = entry.inner_text()
    assert "modem: invalid number" in text and "****" in text
    assert job["to"] not in page.content()                  # only masked addresses
    page.screenshot(path=str(shots / "zh-office-notifications.png"), full_page=True)

    with page.expect_response(lambda r: r.url.endswith("/retry")) as retried:
        entry.locator("[data-act=retry]").click()
    assert retried.value.status == 200
    page.locator(f"#nt-list .nt-entry[data-id='{job['id']}'][data-state='queued']").wait_for()
    assert outbox.get(job["id"])["state"] == "queued"

    page.click("details.nt-test summary")
    page.select_option("#nt-test-form [name=channel]", "email")
    page.fill("#nt-test-form [name=address]", "boss@example.com")
    with page.expect_response(lambda r: r.url.endswith("/notifications/test")) as sent:
        page.click("#nt-test-form [type=submit]")
    assert sent.value.status == 201
    made = sent.value.json()
    page.locator(f"#nt-list .nt-entry[data-id='{made['id']}']").wait_for()
    # a bad address is explained in the form
    page.fill("#nt-test-form [name=address]", "not-an-address")
    page.click("#nt-test-form [type=submit]")
    page.locator("#nt-test-error:not([hidden])").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "zh-office-notifications-test.png"), full_page=True)
    assert errors == []
    ctx.close()
