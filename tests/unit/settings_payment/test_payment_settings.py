"""The settings page's Payment section (issue 11; docs/settings.md "Payment"): tenders on,
off and in order at the counter, refused when off; the shop's own WeChat Pay and Alipay
collection codes, validated, drawn for the customer display and the settings page."""

import io

import pytest
import segno

from appliance.master.settings import validate_setting
from appliance.errors import ValidationError

TEA = "6901234567892"   # 68.00
WECHAT = "wxp://f2f0k7pQ3sB1vW8r9mN2xYz4AbCdEfGhIjKl"
ALIPAY = "https://qr.alipay.com/fkx12345abcdefghijklmn"


def _order(api):
    order = api.post("/api/v1/orders", json={}).get_json()
    r = api.post(f"/api/v1/orders/{order['id']}/lines", json={"barcode": TEA})
    assert r.status_code == 201, r.get_json()
    return order["id"]


def _events(web):
    sub = web.app.config["EVENTS"].subscribe()

    def taken():
        out = []
        while (e := sub.get(0.01)) is not None:
            out.append(e)
        return out
    return sub, taken


def test_tenders_switched_off_are_refused_and_the_counter_gets_their_order(web):
    owner, cashier = web.as_role("owner"), web.as_role("cashier")
    sub, taken = _events(web)
    r = owner.patch("/api/v1/settings", json={"tenders.enabled": ["wechat", "cash", "alipay"]})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["settings"]["tenders.enabled"] == ["wechat", "cash", "alipay"]
    assert {"event": "settings", "data": {"keys": ["tenders.enabled"]}} in [
        {"event": e["event"], "data": e["data"]} for e in taken()]
    sub.close()
    # The counter page carries the order for its buttons; an open counter re-reads it.
    page = cashier.get("/counter").get_data(as_text=True)
    assert '"tenders": ["wechat", "cash", "alipay"]' in page
    assert cashier.get("/api/v1/settings").get_json()["settings"]["tenders.enabled"] == [
        "wechat", "cash", "alipay"]
    order_id = _order(cashier)
    r = cashier.post(f"/api/v1/orders/{order_id}/payments",
                     json={"method": "card", "amount": "68.00", "reference": "T-1"})
    assert r.status_code == 400 and r.get_json()["field"] == "method"
    assert "switched off" in r.get_json()["error"]
    r = cashier.post(f"/api/v1/orders/{order_id}/payments",
                     json={"method": "wechat", "amount": "68.00", "reference": "4200001"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["completed"] is True


def test_tenders_need_at_least_one_and_no_repeats(web):
    owner = web.as_role("owner")
    for bad in ([], ["cash", "cash"], ["cash", "bitcoin"]):
        r = owner.patch("/api/v1/settings", json={"tenders.enabled": bad})
        assert r.status_code == 400 and r.get_json()["field"] == "tenders.enabled", bad
    assert web.box.master.settings.get("tenders.enabled")[0] == "cash"


@pytest.mark.parametrize("key,value", [
    ("payment.qr_wechat", WECHAT), ("payment.qr_wechat", "https://payapp.weixin.qq.com/qr/AbC"),
    ("payment.qr_alipay", ALIPAY), ("payment.qr_alipay", "HTTPS://QR.ALIPAY.COM/FKX0987"),
    ("payment.qr_wechat", ""), ("payment.qr_alipay", "")])
def test_collection_codes_that_are_accepted(key, value):
    assert validate_setting(key, value) == value


@pytest.mark.parametrize("key,value", [
    ("payment.qr_wechat", "http://example.com/pay"),       # not https, not wxp
    ("payment.qr_wechat", "wxp://two words"),
    ("payment.qr_wechat", "wxp://" + "a" * 300),
    ("payment.qr_wechat", "wxp://中文"),
    ("payment.qr_alipay", WECHAT),                          # a WeChat code as Alipay's
    ("payment.qr_alipay", "https://qr.alipay.com.evil.cn/x"),
    ("payment.qr_alipay", "https://qr.alipay.com/x\n"),
    ("payment.qr_alipay", 12345)])
def test_collection_codes_that_are_refused(key, value):
    with pytest.raises(ValidationError) as err:
        validate_setting(key, value)
    assert err.value.field == key


def test_a_code_is_saved_as_one_record_and_drawn_from_its_text(web):
    owner, cashier = web.as_role("owner"), web.as_role("cashier")
    assert cashier.get("/api/v1/payment-qr/wechat.svg").status_code == 404   # none yet
    r = owner.patch("/api/v1/settings", json={"payment.qr_wechat": WECHAT})
    assert r.status_code == 200 and r.get_json()["changed"] == {
        "payment.qr_wechat": {"from": "", "to": WECHAT}}
    records = [x for x in web.box.ledger.records() if x.type == "settings.changed"]
    assert records[-1].data == {"changes": {"payment.qr_wechat": {"from": "", "to": WECHAT}}}
    r = cashier.get("/api/v1/payment-qr/wechat.svg")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert r.headers["Cache-Control"] == "no-store"
    out = io.BytesIO()
    segno.make(WECHAT, error="m").save(out, kind="svg", scale=8, border=2)
    assert r.get_data() == out.getvalue()          # exactly the code of the stored text
    assert cashier.get("/api/v1/payment-qr/alipay.svg").status_code == 404
    r = cashier.get("/api/v1/payment-qr/cash.svg")
    assert r.status_code == 400 and r.get_json()["field"] == "method"
    r = owner.patch("/api/v1/settings", json={"payment.qr_alipay": "https://example.com/x"})
    assert r.status_code == 400 and r.get_json()["field"] == "payment.qr_alipay"
    assert web.client().get("/api/v1/payment-qr/wechat.svg").status_code == 401  # signed out


def test_the_settings_page_shows_tenders_in_order_and_the_codes(web):
    web.box.master.settings.update({"tenders.enabled": ["alipay", "cash"],
                                    "payment.qr_alipay": ALIPAY})
    owner = web.as_role("owner")
    page = owner.get("/office/settings").get_data(as_text=True)
    section = page[page.index('id="settings-payment"'):page.index('id="settings-modules"')]
    shown = [m for m in ("alipay", "cash", "card", "wechat")
             if f'<li data-method="{m}">' in section]
    assert shown == ["alipay", "cash", "card", "wechat"]
    assert section.index('data-method="alipay"') < section.index('data-method="cash"') \
        < section.index('<li data-method="card">')
    assert 'value="alipay" checked' in section and 'value="card" checked' not in section
    assert ALIPAY in section and "/api/v1/payment-qr/alipay.svg" in section
    assert web.as_role("manager").get("/office/settings").status_code == 403


def test_a_screen_in_training_mode_gets_no_code(web):
    """Practice sales must never show the code a real customer would pay into."""
    web.box.master.settings.set("payment.qr_wechat", WECHAT)
    cashier = web.as_role("cashier")
    assert cashier.post("/api/v1/training/session", json={"on": True}).status_code == 200
    assert cashier.get("/api/v1/payment-qr/wechat.svg").status_code == 409
    assert cashier.post("/api/v1/training/session", json={"on": False}).status_code == 200
    assert cashier.get("/api/v1/payment-qr/wechat.svg").status_code == 200
