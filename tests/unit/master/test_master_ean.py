"""EAN check digits against real codes, in-store codes, and the general barcode rule."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.errors import ValidationError
from appliance.master.ean import (ean13_check_digit, is_valid_ean8, is_valid_ean13,
                                  make_internal_ean13, validate_barcode)

REAL_EAN13 = ["6901234567892", "4006381333931", "5901234123457", "9780306406157",
              "6920152400777"]


@pytest.mark.parametrize("code", REAL_EAN13)
def test_real_ean13_codes(code):
    assert is_valid_ean13(code)
    assert ean13_check_digit(code[:12]) == code[12]
    assert validate_barcode(code) == code


@pytest.mark.parametrize("code", ["6901234567891", "690123456789", "69012345678922",
                                  "690123456789X", "", None, 6901234567892])
def test_not_ean13(code):
    assert not is_valid_ean13(code)


def test_ean8():
    assert is_valid_ean8("96385074")
    assert is_valid_ean8("73513537")
    assert not is_valid_ean8("96385075")
    assert not is_valid_ean8("9638507")


def test_check_digit_needs_twelve_digits():
    with pytest.raises(ValueError):
        ean13_check_digit("69012345678")
    with pytest.raises(ValueError):
        ean13_check_digit("69012345678a")


def test_make_internal_ean13():
    assert make_internal_ean13("20", 1) == "2000000000015"
    assert make_internal_ean13("29", 9_999_999_999).startswith("299999999999")
    with pytest.raises(ValidationError):
        make_internal_ean13("20", 10_000_000_000)  # 11 digits do not fit after "20"
    with pytest.raises(ValidationError):
        make_internal_ean13("2a", 1)
    with pytest.raises(ValidationError):
        make_internal_ean13("20", -1)


@given(prefix=st.integers(20, 29).map(str), number=st.integers(0, 10 ** 10 - 1))
def test_internal_codes_always_validate(prefix, number):
    code = make_internal_ean13(prefix, number)
    assert len(code) == 13 and code.startswith(prefix)
    assert int(code[2:12]) == number
    assert is_valid_ean13(code)
    assert validate_barcode(code) == code


@given(code=st.integers(20, 29).flatmap(
    lambda p: st.integers(0, 10 ** 10 - 1).map(lambda n: make_internal_ean13(str(p), n))),
    position=st.integers(0, 12), delta=st.integers(1, 9))
def test_any_single_wrong_digit_is_caught(code, position, delta):
    wrong = code[:position] + str((int(code[position]) + delta) % 10) + code[position + 1:]
    assert not is_valid_ean13(wrong)


@pytest.mark.parametrize("code", ["ABC-123", "X", "123456789012", "1234567", "A" * 48,
                                  "LZ2024/07+01"])
def test_other_symbologies_accepted(code):
    assert validate_barcode(code) == code


def test_surrounding_whitespace_is_trimmed():
    assert validate_barcode(" 6901234567892\n") == "6901234567892"


@pytest.mark.parametrize("code,words", [
    ("6901234567891", "last digit should be 2"),
    ("96385075", "EAN-8"),
    ("AB 12", "no spaces"),
    ("A|B", "printable ASCII"),
    ("６９０１", "printable ASCII"),  # full-width digits from an IME
    ("A" * 49, "48"),
    ("", "empty"),
])
def test_bad_barcodes(code, words):
    with pytest.raises(ValidationError) as info:
        validate_barcode(code)
    assert words in info.value.message
