"""Staff: PIN hashing, PIN rules, PIN uniqueness and last-owner protection.

scrypt takes tens of milliseconds per hash by design, so tests add as few people as they
need and share one precomputed hash where only a stored hash is wanted.
"""

import base64

import pytest

from appliance.errors import Conflict, NotFound, ValidationError
from appliance.master import MasterData, ROLES, check_pin, hash_pin, role_at_least


@pytest.fixture(scope="module")
def stored_2580():
    return hash_pin("2580")


@pytest.fixture
def master(tmp_path):
    with MasterData(tmp_path / "m") as m:
        yield m


def test_hash_format_and_check(stored_2580):
    scheme, n, r, p, salt, digest = stored_2580.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert len(base64.b64decode(salt)) == 16
    assert "2580" not in stored_2580
    assert check_pin("2580", stored_2580)
    assert not check_pin("2581", stored_2580)
    assert not check_pin("2580", stored_2580.replace("scrypt$", "bcrypt$"))
    assert not check_pin("2580", "garbage")
    assert not check_pin("2580", "")


def test_same_pin_hashes_differently(stored_2580):
    assert hash_pin("2580") != stored_2580


def test_roles_and_ranking():
    assert ROLES == ("assistant", "cashier", "manager", "owner")
    assert role_at_least("owner", "manager")
    assert role_at_least("cashier", "cashier")
    assert not role_at_least("cashier", "manager")
    assert not role_at_least("intruder", "assistant")


@pytest.mark.parametrize("role,pin", [
    ("owner", "1234"), ("owner", "4321"), ("manager", "7777"), ("manager", "98765"),
    ("manager", "01234567"), ("cashier", "123"), ("cashier", "123456789"),
    ("cashier", "12a4"), ("cashier", "１２３４"), ("cashier", 2580),
])
def test_pin_rules_reject(master, role, pin):
    with pytest.raises(ValidationError) as info:
        master.staff.add("小王", role, pin)
    assert info.value.field == "pin"
    assert master.staff.list(include_inactive=True) == []


def test_weak_pin_is_fine_for_a_cashier(master):
    assert master.staff.add("小王", "cashier", "1234").role == "cashier"


def test_add_validates_name_and_role(master):
    with pytest.raises(ValidationError):
        master.staff.add(" ", "cashier", "1357")
    with pytest.raises(ValidationError):
        master.staff.add("小王", "boss", "1357")


def test_authenticate_and_keep_pin_secret(master, tmp_path):
    owner = master.staff.add("老李", "owner", "2580")
    cashier = master.staff.add("小王", "cashier", "1111")
    assert master.staff.authenticate("2580") == owner
    assert master.staff.authenticate("1111").id == cashier.id
    assert master.staff.authenticate("9999") is None
    assert master.staff.authenticate("") is None
    assert "pin_hash" not in owner.to_public()
    assert "2580" not in repr(owner)
    text = (tmp_path / "m" / "staff.json").read_text(encoding="utf-8")
    assert '"2580"' not in text and '"1111"' not in text
    assert master.staff.get(owner.id).pin_hash.startswith("scrypt$")


def test_pins_are_unique_among_active_staff(master):
    owner = master.staff.add("老李", "owner", "2580")
    cashier = master.staff.add("小王", "cashier", "1111")
    with pytest.raises(Conflict) as info:
        master.staff.add("小张", "cashier", "2580")
    assert "老李" not in info.value.message  # does not say whose PIN it is
    with pytest.raises(Conflict):
        master.staff.set_pin(cashier.id, "2580")
    master.staff.set_pin(cashier.id, "3690")
    assert master.staff.authenticate("1111") is None
    assert master.staff.authenticate("3690").id == cashier.id
    master.staff.deactivate(cashier.id)
    assert master.staff.authenticate("3690") is None  # inactive staff cannot log in
    assert master.staff.add("小张", "cashier", "3690").name == "小张"  # PIN free again
    assert master.staff.get(owner.id).active


def test_set_pin_applies_role_rule(master):
    owner = master.staff.add("老李", "owner", "2580")
    with pytest.raises(ValidationError):
        master.staff.set_pin(owner.id, "0000")


def test_last_owner_is_protected(master):
    first = master.staff.add("老李", "owner", "2580")
    with pytest.raises(Conflict):
        master.staff.deactivate(first.id)
    with pytest.raises(Conflict):
        master.staff.set_role(first.id, "manager")
    second = master.staff.add("李太", "owner", "3691")
    assert master.staff.set_role(first.id, "manager").role == "manager"
    with pytest.raises(Conflict):
        master.staff.deactivate(second.id)
    assert master.staff.deactivate(first.id).active is False


def test_get_list_and_persistence(tmp_path):
    with MasterData(tmp_path / "m") as m:
        b = m.staff.add("Bob", "cashier", "1357")
        a = m.staff.add("Ann", "owner", "2580")
        c = m.staff.add("Cat", "assistant", "4680")
        m.staff.deactivate(c.id)
        with pytest.raises(NotFound):
            m.staff.get("s-nobody")
    with MasterData(tmp_path / "m") as m:
        assert [s.name for s in m.staff.list()] == ["Ann", "Bob"]
        assert [s.name for s in m.staff.list(include_inactive=True)] == ["Ann", "Bob", "Cat"]
        assert m.staff.authenticate("1357") == b
        assert m.staff.get(a.id).role == "owner"
