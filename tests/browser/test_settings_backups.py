"""The owner's Backups section on a phone (issue 11; Chromium via Playwright, 390x844): the
USB stick's failure shown translated by its code, "Back up now" running in the background
until the new backup is listed, the backup passphrase set (the page shows only the key's
fingerprint), and the counter's banner while a stick is written.

Screenshots go to $TILLBOX_SCREENSHOTS, else to the test's temporary directory.
"""

from appliance.backup.status import write_usb_status
from browser_helpers import (browser, core, needs_chromium, phone_context, shots,  # noqa: F401
                             sign_in, watch)

pytestmark = needs_chromium
OWNER_PIN = "2468"          # 王店主 in the demo shop
PHRASE = "Tea-house-2026!"


def usb(box, state, **extra):
    write_usb_status(box.config.data_dir, {
        "state": state, "device": "/dev/sda1", "label": "SHOP", "file": None, "size": None,
        "percent": 0, "reason": None, "started_at": "2026-11-27T09:00:00Z",
        "finished_at": None, **extra})


def test_owner_backs_up_sets_the_passphrase_and_the_counter_sees_the_stick(core, browser,
                                                                           shots):
    base, box = core
    usb(box, "failed", reason="the stick at /run/x has 1 MB free; the backup needs 5 MB",
        code="full", finished_at="2026-11-27T09:00:05Z")
    errors = []
    page = watch(phone_context(browser, "en").new_page(), errors)
    sign_in(page, base, OWNER_PIN, "en")
    page.wait_for_url("**/counter")
    page.goto(f"{base}/office/settings#settings-backup")
    page.wait_for_function("document.getElementById('bk-usb').textContent.includes('SHOP')")
    assert "the stick is full" in page.text_content("#bk-usb")
    assert "bk-usb-failed" in page.get_attribute("#bk-usb", "class")

    with page.expect_response(lambda r: r.url.endswith("/api/v1/backups")
                              and r.request.method == "POST") as started:
        page.click("#bk-now")
    assert started.value.status == 202
    page.wait_for_function("document.querySelectorAll('#bk-rows tr[title]').length === 1",
                           timeout=20000)
    assert page.text_content("#bk-now-status").startswith("Backup written:")
    assert "OK (from this page)" in page.text_content("#bk-last")
    assert "not encrypted" in page.text_content("#bk-rows")

    page.fill("#bk-passphrase", PHRASE)
    page.fill("#bk-confirm", PHRASE)
    page.click("#bk-key-save")
    page.wait_for_function("document.getElementById('bk-key-state').textContent"
                           ".startsWith('Set (key ')")
    assert page.input_value("#bk-passphrase") == "" and PHRASE not in page.content()
    assert page.is_visible("#bk-key-remove")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator("#settings-backup").screenshot(path=str(shots / "en-settings-backup.png"))

    usb(box, "writing", percent=40)
    page.goto(f"{base}/counter")
    page.wait_for_selector("#usb-backup-state:not([hidden])")
    assert "do not pull it out" in page.text_content("#usb-backup-state")
    usb(box, "done", percent=100, finished_at="2026-11-27T09:01:00Z")
    page.wait_for_function("document.getElementById('usb-backup-state').textContent"
                           ".includes('safe to pull out')", timeout=5000)
    assert errors == []
