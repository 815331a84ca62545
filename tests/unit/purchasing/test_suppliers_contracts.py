"""Suppliers with their contacts, and the contracts register with its expiry reminders.

The shop's day is 2026-11-26 (tests/conftest.py's clock, in Shanghai)."""

import pytest

from appliance.errors import Forbidden, NotFound, ValidationError

from buying import Buying


@pytest.fixture
def buy(shop):
    return Buying(shop)


def test_a_supplier_keeps_its_contacts_and_is_switched_off_not_deleted(shop, buy):
    s = buy.p.save_supplier(shop.manager, {
        "name": " 景德镇瓷器厂 ", "contact": "李师傅", "phone": "+86 798 1234567",
        "email": "li@example.cn", "address": "江西省景德镇市\n珠山区", "note": "月结"})
    assert (s.name, s.contact, s.email, s.active) == ("景德镇瓷器厂", "李师傅",
                                                      "li@example.cn", True)
    s = buy.p.save_supplier(shop.manager, {"active": False, "phone": ""}, s.id)
    assert (s.active, s.phone, s.address) == (False, "", "江西省景德镇市\n珠山区")
    assert [x.name for x in buy.p.suppliers(shop.manager)] == ["杭州茶叶公司"]
    assert len(buy.p.suppliers(shop.manager, include_inactive=True)) == 2
    # Whoever receives sees the active list, never the switched-off ones.
    assert len(buy.p.suppliers(shop.assistant, include_inactive=True)) == 1
    # Stored in the master data: a fresh look sees the same.
    assert shop.master.suppliers.get(s.id).note == "月结"


@pytest.mark.parametrize("fields, field", [
    ({"name": " "}, "name"), ({"name": "x", "email": "not-an-address"}, "email"),
    ({"name": "x", "phone": "call me"}, "phone"), ({"name": "x", "active": "yes"}, "active"),
    ({"name": "x" * 61}, "name")])
def test_supplier_fields_are_checked(shop, buy, fields, field):
    with pytest.raises(ValidationError) as e:
        buy.p.save_supplier(shop.manager, fields)
    assert e.value.field == field


def test_only_a_manager_edits_suppliers_and_contracts(shop, buy):
    with pytest.raises(Forbidden):
        buy.p.save_supplier(shop.assistant, {"name": "x"})
    with pytest.raises(Forbidden):
        buy.p.contracts_due(shop.cashier)
    with pytest.raises(NotFound):
        buy.p.save_supplier(shop.manager, {"name": "x"}, "sup-nobody")


def contract(buy, shop, title, starts, ends, **extra):
    return buy.p.save_contract(shop.manager, {"supplier_id": buy.supplier.id, "title": title,
                                              "starts_on": starts, "ends_on": ends, **extra})


def test_contracts_due_within_their_remind_days_or_already_ended(shop, buy):
    soon = contract(buy, shop, "2026 年度供货", "2026-01-01", "2026-12-20")   # 24 days
    contract(buy, shop, "2027 年度供货", "2026-03-01", "2027-03-01")          # 95 days
    contract(buy, shop, "短提醒", "2026-01-01", "2026-12-05", remind_days=5)  # 9 days
    ended = contract(buy, shop, "旧合同", "2025-11-01", "2026-11-01")          # ended
    gone = contract(buy, shop, "已续签", "2025-11-01", "2026-10-01")
    buy.p.save_contract(shop.manager, {"active": False}, gone.id)
    today = contract(buy, shop, "今天到期", "2026-01-01", "2026-11-26", remind_days=0)
    due = buy.p.contracts_due(shop.manager)
    assert [(d["contract"].id, d["days_left"], d["ended"]) for d in due] == [
        (ended.id, -25, True), (today.id, 0, False), (soon.id, 24, False)]
    assert due[2]["remind_days"] == 30 and due[2]["supplier_name"] == "杭州茶叶公司"
    # The shop's default reminder moves with its setting.
    shop.master.settings.set("stock.contract_reminder_days", 20)
    assert soon.id not in [d["contract"].id for d in buy.p.contracts_due(shop.manager)]


def test_contract_fields_are_checked(shop, buy):
    with pytest.raises(ValidationError) as e:
        contract(buy, shop, "倒过来", "2026-12-01", "2026-11-01")
    assert e.value.field == "ends_on"
    with pytest.raises(ValidationError) as e:
        contract(buy, shop, "坏日期", "2026-02-30", "2026-11-01")
    assert e.value.field == "starts_on"
    with pytest.raises(ValidationError) as e:
        contract(buy, shop, "x", "2026-01-01", "2026-11-01", remind_days=-1)
    assert e.value.field == "remind_days"
    with pytest.raises(NotFound):
        buy.p.save_contract(shop.manager, {"supplier_id": "sup-nobody", "title": "x",
                                           "starts_on": "2026-01-01", "ends_on": "2026-02-01"})
    c = contract(buy, shop, "条款", "2026-01-01", "2026-12-31", terms="月结 30 天\n含运费")
    assert buy.p.contracts(shop.manager, buy.supplier.id)[0].terms == "月结 30 天\n含运费"
    other = buy.p.save_supplier(shop.manager, {"name": "别家"})
    with pytest.raises(ValidationError):
        buy.p.save_contract(shop.manager, {"supplier_id": other.id}, c.id)
