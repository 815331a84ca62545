"""Settings: defaults, strict types, all-or-nothing updates, persistence."""

import pytest

from appliance.errors import ValidationError
from appliance.master import SETTINGS_SCHEMA, MasterData


@pytest.fixture
def master(tmp_path):
    with MasterData(tmp_path / "m") as m:
        yield m


def test_defaults(master):
    values = master.settings.all()
    assert set(values) == set(SETTINGS_SCHEMA)
    assert values["shop.name"] == "Tillbox 演示店"
    assert values["receipt.footer"] == "谢谢惠顾"
    assert values["receipt.width_mm"] == 80
    assert values["money.round_off_unit"] == "none"
    assert values["orders.cashier_refund_limit"] == 20000
    assert values["orders.allow_negative_stock"] is True
    assert values["tenders.enabled"] == ["cash", "card", "transfer", "cheque", "wechat",
                                         "alipay", "member_balance", "points", "credit_note"]
    assert values["members.fen_per_point"] == 1


def test_set_get_and_persist(tmp_path):
    with MasterData(tmp_path / "m") as m:
        m.settings.set("shop.name", "云南普洱专卖")
        m.settings.set("receipt.width_mm", 58)
        m.settings.set("orders.allow_negative_stock", False)
        m.settings.set("tenders.enabled", ["cash", "wechat", "member_balance"])
    with MasterData(tmp_path / "m") as m:
        assert m.settings.get("shop.name") == "云南普洱专卖"
        assert m.settings.get("receipt.width_mm") == 58
        assert m.settings.get("orders.allow_negative_stock") is False
        assert m.settings.get("tenders.enabled") == ["cash", "wechat", "member_balance"]
        assert m.settings.get("receipt.footer") == "谢谢惠顾"


def test_unknown_key(master):
    with pytest.raises(ValidationError) as info:
        master.settings.get("shop.owner")
    assert isinstance(info.value, KeyError)
    assert "shop.owner" in str(info.value)
    with pytest.raises(KeyError):
        master.settings.set("shop.owner", "x")


@pytest.mark.parametrize("key,value,words", [
    ("receipt.width_mm", "80", "whole number"),
    ("receipt.width_mm", 80.0, "whole number"),
    ("receipt.width_mm", 57, "58, 80"),
    ("orders.cashier_refund_limit", True, "whole number"),
    ("orders.cashier_refund_limit", -1, "0 or more"),
    ("orders.allow_negative_stock", 1, "true or false"),
    ("orders.allow_negative_stock", "false", "true or false"),
    ("money.round_off_unit", "0.5", "none, 0.1, 1"),
    ("money.round_off_mode", "up", "down, half_up"),
    ("receipt.language", "fr", "zh_CN, en"),
    ("shop.name", "", "empty"),
    ("shop.name", 42, "text"),
    ("shop.address", "一行\n两行", "one line"),
    ("tenders.enabled", "cash", "list"),
    ("tenders.enabled", ["cash", "bitcoin"], "bitcoin"),
    ("tenders.enabled", ["cash", "cash"], "twice"),
    ("tenders.enabled", [], "at least one"),
])
def test_type_and_value_errors_name_the_key(master, key, value, words):
    with pytest.raises(ValidationError) as info:
        master.settings.set(key, value)
    assert info.value.field == key
    assert key in info.value.message and words in info.value.message
    assert master.settings.get(key) == SETTINGS_SCHEMA[key].default


def test_multi_line_receipt_text_is_allowed(master):
    master.settings.set("receipt.header", "欢迎光临\n会员九五折")
    assert master.settings.get("receipt.header") == "欢迎光临\n会员九五折"


def test_update_is_all_or_nothing(master):
    with pytest.raises(ValidationError):
        master.settings.update({"shop.name": "新店名", "receipt.width_mm": 100})
    assert master.settings.get("shop.name") == "Tillbox 演示店"
    master.settings.update({"shop.name": "新店名", "money.round_off_unit": "0.1",
                            "money.round_off_mode": "half_up"})
    assert master.settings.get("money.round_off_unit") == "0.1"
    assert master.settings.get("shop.name") == "新店名"


def test_list_values_are_copies(master):
    master.settings.get("tenders.enabled").append("bitcoin")
    assert "bitcoin" not in master.settings.get("tenders.enabled")
    assert "bitcoin" not in SETTINGS_SCHEMA["tenders.enabled"].default
