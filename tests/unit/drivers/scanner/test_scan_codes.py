"""Code classification: GS1 check digits, scale labels, member cards, order QR, junk."""

from types import SimpleNamespace

import pytest
from hypothesis import given, strategies as st

from appliance.master.ean import is_valid_ean13
from drivers.scanner.codes import ERRORS, KINDS, CodeRules, Scan, check_digit, classify

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


def with_check(data: str) -> str:
    return data + check_digit(data)


# -- GS1 codes

def test_ean13_with_right_check_digit_is_a_product():
    assert classify("6901234567892") == Scan("product", "6901234567892", symbology="ean13",
                                             ean13="6901234567892")


def test_ean13_with_wrong_check_digit_is_rejected():
    scan = classify("6901234567893")
    assert (scan.kind, scan.error, scan.ok) == ("invalid", "bad_check_digit", False)


def test_ean8_is_checked():
    assert classify("96385074").kind == "product"
    assert classify("96385074").symbology == "ean8"
    assert classify("96385075").error == "bad_check_digit"


def test_upc_a_is_checked_and_offered_as_ean13():
    scan = classify("036000291452")
    assert (scan.kind, scan.symbology, scan.ean13) == ("product", "upca", "0036000291452")
    assert classify("036000291453").error == "bad_check_digit"


def test_other_digit_lengths_and_internal_skus_are_products_unchecked():
    for code in ("12345", "12345678901234", "TEA-1", "CUP-1-B", "A 1"):
        scan = classify(code)
        assert (scan.kind, scan.code, scan.symbology, scan.error) == ("product", code, "", "")


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_any_ean13_with_its_check_digit_is_accepted(first12):
    assert classify(with_check(first12)).ok


@given(st.sampled_from([7, 11, 12]).flatmap(
    lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n)))
def test_any_ean8_upca_ean13_with_its_check_digit_is_accepted(data):
    assert classify(with_check(data)).error == ""


@given(st.sampled_from([7, 11, 12]).flatmap(
    lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n)),
    st.data())
def test_any_single_digit_change_is_rejected(data, draw):
    code = with_check(data)
    pos = draw.draw(st.integers(0, len(code) - 1))
    new = draw.draw(digits.filter(lambda d: d != code[pos]))
    changed = code[:pos] + new + code[pos + 1:]
    assert classify(changed).error == "bad_check_digit"


@given(st.text(alphabet="0123456789", min_size=13, max_size=13))
def test_ean13_check_agrees_with_the_catalog_rule(code):
    assert (classify(code).error == "bad_check_digit") == (not is_valid_ean13(code))


# -- scale labels

def test_price_scale_label_gives_item_and_price_in_fen():
    scan = classify("2100123012503")
    assert (scan.kind, scan.item_code, scan.price, scan.weight_g) == ("scale", "00123", 1250,
                                                                       None)
    assert scan.ean13 == "2100123012503"


def test_weight_scale_label_gives_grams():
    rules = CodeRules(scale_layout="FFIIIIIWWWWWC")
    scan = classify("2100123003501", rules)
    assert (scan.kind, scan.item_code, scan.weight_g, scan.price) == ("scale", "00123", 350,
                                                                       None)


def test_layout_with_ignored_digit_and_short_prefix():
    rules = CodeRules(scale_prefixes=("2",), scale_layout="FIIIIIIXPPPPC")
    scan = classify("2800001000997", rules)
    assert (scan.item_code, scan.price) == ("800001", 99)


def test_scale_label_with_bad_check_digit_is_rejected_not_split():
    scan = classify("2100123012504")
    assert (scan.kind, scan.error, scan.price) == ("invalid", "bad_check_digit", None)


def test_without_scale_prefixes_an_in_store_code_is_a_product():
    assert classify("2100123012503", CodeRules(scale_prefixes=())).kind == "product"
    assert classify("2100123012503", CodeRules(scale_prefixes=("22",))).kind == "product"


@given(st.sampled_from([str(n) for n in range(20, 30)]),
       st.integers(0, 99999), st.integers(0, 99999))
def test_scale_split_round_trips(prefix, item, price):
    scan = classify(with_check(f"{prefix}{item:05d}{price:05d}"))
    assert (scan.kind, scan.item_code, scan.price) == ("scale", f"{item:05d}", price)


@pytest.mark.parametrize("layout", [
    "FFIIIIIPPPPP",     # 12 characters
    "FFIIIIIPPPPPPC",   # 14
    "FFIIIIIPPPPPX",    # no check digit at the end
    "FFIIIIIPPWWWC",    # price and weight
    "FFIIIIIIIIIIC",    # neither
    "FFPPPPPPPPPPC",    # no item code
    "FFIIPPIIPPPPC",    # item code split in two
    "IIFFIIIPPPPPC",    # prefix not leading
    "FFIIIIIPPPPQC",    # unknown letter
    "FFIIIIIPPPCPC",    # two check digits
])
def test_bad_scale_layout_is_refused_naming_it(layout):
    with pytest.raises(ValueError, match=layout):
        CodeRules(scale_layout=layout)


@pytest.mark.parametrize("prefixes", [("2a",), ("",), "20", (20,)])
def test_bad_scale_prefixes_are_refused(prefixes):
    with pytest.raises(ValueError, match="scale prefix"):
        CodeRules(scale_prefixes=prefixes)


def test_bad_order_pattern_is_refused_naming_it():
    with pytest.raises(ValueError, match=r"order pattern '\(' "):
        CodeRules(order_pattern="(")


def test_rules_from_the_config_section():
    rules = CodeRules.from_config(SimpleNamespace(
        scale_prefixes=" 21, 22,", scale_layout="FFIIIIIWWWWWC", member_prefix="M"))
    assert rules == CodeRules(scale_prefixes=("21", "22"), scale_layout="FFIIIIIWWWWWC",
                              member_prefix="M")
    assert CodeRules.from_config(SimpleNamespace(
        scale_prefixes="", scale_layout="FFIIIIIPPPPPC", member_prefix="VIP")).scale_prefixes == ()


# -- member cards and order QR

def test_member_card_gives_the_member_number():
    assert classify("VIP000123") == Scan("member", "VIP000123", member_no="000123")
    assert classify("vip42").member_no == "42"


def test_member_prefix_alone_or_switched_off_is_a_product():
    assert classify("VIP").kind == "product"
    assert classify("VIP1", CodeRules(member_prefix="")).kind == "product"


def test_order_qr_gives_the_order_number():
    assert classify(" 20261126-0007\r\n") == Scan("order", "20261126-0007",
                                                  order_number="20261126-0007")
    assert classify("20261126-7").kind == "product"
    assert classify("20261126-0007", CodeRules(order_pattern="")).kind == "product"


# -- junk

@pytest.mark.parametrize("code,error", [
    ("", "empty"), (" \r\n\t", "empty"),
    ("690\x001234", "unreadable"), ("ABC\x1dDEF", "unreadable"), ("12\x7f3", "unreadable"),
    ("12\x853", "unreadable"), ("69\ufffd1", "unreadable"),
    ("A" * 65, "too_long"),
])
def test_junk_is_invalid_with_a_reason(code, error):
    scan = classify(code)
    assert (scan.kind, scan.error) == ("invalid", error)


def test_sixty_four_characters_are_still_a_code():
    assert classify("A" * 64).kind == "product"


def test_full_width_digits_from_an_ime_are_normalised():
    scan = classify("６９０１２３４５６７８９２")
    assert (scan.kind, scan.code) == ("product", "6901234567892")


def test_a_code_is_text():
    with pytest.raises(TypeError):
        classify(b"6901234567892")


@given(st.text(max_size=80))
def test_any_text_gets_a_kind_and_a_consistent_error(text):
    scan = classify(text)
    assert scan.kind in KINDS and scan.error in ERRORS
    assert (scan.kind == "invalid") == (scan.error != "")
    assert scan.code == scan.code.strip()
