"""The owner links the box to head office from the settings page on a phone (issue 11;
Chromium via Playwright, 390x844, zh-CN): sets the broker, saves (only what changed goes to
the server), sets the password (the page then says only "set"), and tests the connection
against a real mosquitto (the result comes from a background attempt the page polls).

Screenshots go to $TILLBOX_SCREENSHOTS, else to the test's temporary directory.
"""

from browser_helpers import (browser, core, needs_chromium, phone_context, shots,  # noqa: F401
                             sign_in, watch)

pytestmark = needs_chromium
OWNER_PIN = "2468"          # 王店主 in the demo shop


def test_owner_links_the_box_and_tests_the_connection(core, browser, shots, broker):
    base, box = core
    errors = []
    page = watch(phone_context(browser).new_page(), errors)
    sign_in(page, base, OWNER_PIN, "zh")
    page.wait_for_url("**/counter")
    page.goto(f"{base}/office/settings#settings-headoffice")
    page.wait_for_function("document.querySelector('#ho-health .ho-state') !== null")
    assert page.text_content("#ho-health .ho-state") == "未连接总部"

    page.fill("#ho-host", "127.0.0.1")
    page.fill("#ho-port", str(broker.port))
    page.uncheck("#ho-tls")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/settings/headoffice")
                              and r.request.method == "PATCH") as saved:
        page.click("#ho-save")
    assert saved.value.status == 200, saved.value.text()
    assert saved.value.request.post_data_json == {"mqtt.host": "127.0.0.1",
                                                  "mqtt.port": broker.port, "mqtt.tls": False}
    page.wait_for_function("document.getElementById('ho-form-status').textContent"
                           ".startsWith(TB.t('st_headoffice_saved'))")
    assert box.config.mqtt.port == broker.port

    page.fill("#ho-password", "Rabbit-7-ear")
    page.click("#ho-password-save")
    page.wait_for_function("document.getElementById('ho-password-state').textContent"
                           " === TB.t('st_headoffice_pw_set_page')")
    assert page.input_value("#ho-password") == "" and page.is_visible("#ho-password-clear")
    assert "Rabbit-7-ear" not in page.content()

    page.click("#ho-test")
    page.wait_for_function("document.getElementById('ho-test-result').textContent"
                           f".includes('127.0.0.1:{broker.port}')", timeout=15000)
    assert page.text_content("#ho-test-result").startswith(
        f"连接正常：127.0.0.1:{broker.port} 接受了本机。")
    page.locator("#settings-headoffice").screenshot(path=str(shots / "zh-settings-headoffice.png"))
    assert errors == []
