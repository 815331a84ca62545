"""Money: int fen inside, decimal strings at the edges, round-off, allocation, refund shares."""

import pytest
from hypothesis import given, strategies as st

from appliance import money
from appliance.errors import ValidationError

fen = st.integers(min_value=0, max_value=money.MAX_AMOUNT)


@pytest.mark.parametrize("text,expected", [
    ("12", 1200), ("12.5", 1250), ("12.50", 1250), ("0.01", 1), ("0", 0), (" 7.05 ", 705),
    ("￥3.20", 320), ("1,234.56", 123456),
])
def test_parse_amount_accepts_decimal_strings(text, expected):
    assert money.parse_amount(text) == expected


@pytest.mark.parametrize("bad", ["12.345", "1e3", "abc", "", ".5", "12.", "--1", "NaN", "1 2"])
def test_parse_amount_rejects_non_amounts_with_the_value_named(bad):
    with pytest.raises(ValidationError) as err:
        money.parse_amount(bad)
    assert "amount" in err.value.message


@pytest.mark.parametrize("bad", [12.5, 12, True, None, ["1"]])
def test_parse_amount_refuses_numbers_so_no_float_slips_in(bad):
    with pytest.raises(ValidationError):
        money.parse_amount(bad)


def test_negative_and_zero_only_when_allowed():
    with pytest.raises(ValidationError):
        money.parse_amount("-1.00")
    assert money.parse_amount("-1.00", allow_negative=True) == -100
    with pytest.raises(ValidationError):
        money.parse_amount("0.00", allow_zero=False)


def test_parse_amount_caps_absurd_amounts():
    with pytest.raises(ValidationError):
        money.parse_amount("999999999999.00")


@given(fen)
def test_format_then_parse_round_trips(amount):
    text = money.format_amount(amount)
    assert "." in text and len(text.split(".")[1]) == 2
    assert money.parse_amount(text) == amount


def test_format_negative_and_type():
    assert money.format_amount(-5) == "-0.05"
    with pytest.raises(TypeError):
        money.format_amount(1.5)


@pytest.mark.parametrize("amount,unit,mode,expected", [
    (1234, "none", "down", 1234),
    (1234, "0.1", "down", 1230), (1239, "0.1", "down", 1230),
    (1234, "1", "down", 1200), (1299, "1", "down", 1200),
    (1234, "0.1", "half_up", 1230), (1235, "0.1", "half_up", 1240),
    (1249, "1", "half_up", 1200), (1250, "1", "half_up", 1300),
    (0, "1", "down", 0), (5, "0.1", "half_up", 10),
])
def test_round_off_examples(amount, unit, mode, expected):
    assert money.round_off(amount, unit, mode) == expected


@given(fen, st.sampled_from(["none", "0.1", "1"]), st.sampled_from(["down", "half_up"]))
def test_round_off_moves_less_than_one_unit_and_down_never_charges_more(amount, unit, mode):
    step = money.ROUND_OFF_UNITS[unit]
    rounded = money.round_off(amount, unit, mode)
    assert rounded % step == 0
    assert abs(rounded - amount) < step
    if mode == "down":
        assert rounded <= amount
    else:
        assert abs(rounded - amount) * 2 <= step


def test_round_off_rejects_unknown_settings():
    with pytest.raises(ValidationError):
        money.round_off(100, "0.5")
    with pytest.raises(ValidationError):
        money.round_off(100, "1", "bankers")


@given(st.integers(-10**9, 10**9), st.lists(st.integers(0, 10**6), min_size=1, max_size=30))
def test_allocate_parts_add_up_and_follow_weights(total, weights):
    parts = money.allocate(total, weights)
    assert sum(parts) == total
    assert len(parts) == len(weights)
    if sum(weights):
        for part, w in zip(parts, weights):
            exact = total * w / sum(weights)
            assert abs(part - exact) < 1 + 1e-9
            if w == 0:
                assert part == 0


@given(st.integers(0, 10**7), st.integers(1, 50), st.data())
def test_returning_a_line_in_steps_gives_back_exactly_its_net(net, qty, data):
    returned, given_back = 0, 0
    while returned < qty:
        step = data.draw(st.integers(1, qty - returned))
        share = money.share_for_qty(net, qty, returned, step, given_back)
        assert share >= 0
        returned += step
        given_back += share
        assert given_back <= net
        # Never more than the proportional share so far (rounded down), except the last unit.
        if returned < qty:
            assert given_back == net * returned // qty
    assert given_back == net


def test_share_for_qty_refuses_more_than_the_line():
    with pytest.raises(ValueError):
        money.share_for_qty(1000, 2, 1, 2, 500)


@pytest.mark.parametrize("text,expected", [
    ("1,234.50", 123450), ("12,345,678", 1234567800), ("１２.５０", 1250), ("￥ 8", 800),
])
def test_thousands_separators_and_full_width_digits(text, expected):
    assert money.parse_amount(text) == expected


@pytest.mark.parametrize("bad", ["12,50", "1,2,3", "1234,567", ",5", "\u0661\u0662"])
def test_a_comma_that_is_not_a_thousands_separator_is_refused(bad):
    # "12,50" is a European 12.50: reading it as 1250.00 would charge 100 times too much.
    with pytest.raises(ValidationError):
        money.parse_amount(bad)
