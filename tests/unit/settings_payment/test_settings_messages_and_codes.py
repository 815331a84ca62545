"""Settings review fixes (issue 11): a WeChat Pay code and an Alipay code cannot be swapped
(nor any https address taken as WeChat Pay's), every setting's check speaks through the
translations, and a screen in training mode reads the settings and hears their event."""

import pytest

from appliance import i18n
from appliance.errors import ValidationError
from appliance.master.settings import SETTINGS_SCHEMA, validate_setting

WECHAT = "wxp://f2f0k7pQ3sB1vW8r9mN2xYz4AbCdEfGhIjKl"
ALIPAY = "https://qr.alipay.com/fkx12345abcdefghijklmn"


def _problem(key, value) -> str:
    with pytest.raises(ValidationError) as err:
        validate_setting(key, value)
    assert err.value.field == key
    return err.value.message


@pytest.mark.parametrize("value", [
    ALIPAY, "HTTPS://QR.ALIPAY.COM/FKX0987", "https://render.alipay.com/p/s/x",
    "alipays://platformapi/startapp?appId=20000067"])
def test_an_alipay_code_is_refused_as_wechat_pays(value):
    assert "looks like an Alipay code" in _problem("payment.qr_wechat", value)


@pytest.mark.parametrize("value", [
    WECHAT, "https://payapp.weixin.qq.com/qr/AbC", "https://wx.tenpay.com/f2f?t=1"])
def test_a_wechat_code_is_refused_as_alipays(value):
    assert "looks like a WeChat Pay code" in _problem("payment.qr_alipay", value)


@pytest.mark.parametrize("value", [
    "https://example.com/pay", "https://weixin.qq.com.evil.cn/x",
    "https://payapp.weixin.qq.com@evil.cn/x", "https://evil-tenpay.com/x"])
def test_wechat_pay_takes_https_only_on_its_own_hosts(value):
    assert "is not a WeChat Pay collection code" in _problem("payment.qr_wechat", value)


@pytest.mark.parametrize("value", [
    "https://payapp.weixin.qq.com/qr/AbC", "https://wx.tenpay.com/f2f?t=1",
    "https://pay.weixin.qq.com/x", "https://pay.wechat.com/x", "https://mch.tenpay.com/x"])
def test_wechat_pay_addresses_are_accepted(value):
    assert validate_setting("payment.qr_wechat", value) == value


class _Marking:
    """A translator that marks what it translated, standing in for the zh catalog."""

    def gettext(self, message):
        return "«" + message + "»"


#: A wrong value for each check (of the right type, so the check itself speaks).
BAD = {str: "\n", int: -1, list: ["no such thing", "no such thing"]}
BAD_BY_KEY = {"shop.name": "", "receipt.width_mm": 70, "receipt.logo": "logo.png",
              "labels.ean_prefix": "99", "members.fen_per_point": 0,
              "tenders.enabled": [], "payment.qr_wechat": ALIPAY,
              "payment.qr_alipay": WECHAT, "receipt.header": "x" * 401,
              "receipt.footer": "x" * 401, "fulfilment.carriers": ["顺丰", "顺丰"]}


@pytest.mark.parametrize("key", [k for k, spec in SETTINGS_SCHEMA.items()
                                 if spec.type is not bool])
def test_every_checks_message_is_translated_whole(key):
    value = BAD_BY_KEY.get(key, BAD[SETTINGS_SCHEMA[key].type])
    token = i18n.use(_Marking())
    try:
        message = _problem(key, value)
    finally:
        i18n.reset(token)
    # "«setting {key} {problem}»" with the problem itself translated: "«setting k ««...»»"
    assert message.startswith(f"«setting {key} «") and message.endswith("»»"), message


def test_a_wrong_type_names_what_is_wanted_translated():
    token = i18n.use(_Marking())
    try:
        message = _problem("receipt.width_mm", "80")
    finally:
        i18n.reset(token)
    assert "«a whole number»" in message


def test_a_zh_screen_gets_the_setting_line_in_chinese(web):
    r = web.as_role("owner", language="zh-CN").patch("/api/v1/settings",
                                                     json={"shop.name": ""})
    assert r.status_code == 400 and r.get_json()["field"] == "shop.name"
    assert r.get_json()["error"].startswith("设置项 shop.name")
    r = web.as_role("owner").patch("/api/v1/settings", json={"shop.name": ""})
    assert r.get_json()["error"] == "setting shop.name must not be empty"


def test_a_training_screen_reads_the_settings_and_hears_their_event(web):
    cashier = web.as_role("cashier")
    assert cashier.post("/api/v1/training/session", json={"on": True}).status_code == 200
    r = cashier.get("/api/v1/settings")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["settings"]["tenders.enabled"][0] == "cash"
    # changing them stays refused in training, even for the owner
    owner = web.as_role("owner")
    assert owner.post("/api/v1/training/session", json={"on": True}).status_code == 200
    r = owner.patch("/api/v1/settings", json={"tenders.enabled": ["wechat", "cash"]})
    assert r.status_code == 409 and r.get_json()["code"] == "training_mode"
    assert owner.post("/api/v1/training/session", json={"on": False}).status_code == 200

    from webui.api.training import shown_to
    sub = web.app.config["EVENTS"].subscribe()
    try:
        r = owner.patch("/api/v1/settings", json={"tenders.enabled": ["wechat", "cash"]})
        assert r.status_code == 200, r.get_json()
        events = []
        while (e := sub.get(0.01)) is not None:
            events.append(e)
    finally:
        sub.close()
    settings_events = [e for e in events if e["event"] == "settings"]
    assert settings_events and shown_to(settings_events[0], training=True)
    assert cashier.get("/api/v1/settings").get_json()["settings"]["tenders.enabled"] == [
        "wechat", "cash"]
