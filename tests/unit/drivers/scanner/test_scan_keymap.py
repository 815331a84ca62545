"""Key events to text as a keyboard-wedge scanner types it (synthetic evdev.InputEvent)."""

import pytest
from evdev import InputEvent, ecodes as e
from hypothesis import given, strategies as st

from drivers.scanner.codes import UNREADABLE_MARK, classify
from drivers.scanner.keymap import LAYOUTS, KeyDecoder


def ev(code, value=1, type_=e.EV_KEY):
    return InputEvent(1700000000, 0, type_, code, value)


def tap(code):
    return [ev(e.EV_MSC, 4, e.EV_MSC), ev(code, 1), ev(0, 0, e.EV_SYN), ev(code, 0),
            ev(0, 0, e.EV_SYN)]


def shifted(code, shift=e.KEY_LEFTSHIFT):
    return [ev(shift, 1), *tap(code), ev(shift, 0)]


def feed_all(decoder, events):
    """Every code the decoder completes while fed ``events``."""
    return [code for code in map(decoder.feed, events) if code is not None]


def type_keys(*keys, suffix=e.KEY_ENTER):
    out = []
    for key in keys:
        out += key if isinstance(key, list) else tap(key)
    return out + (tap(suffix) if suffix else [])


def test_us_letters_digits_and_shifted_symbols():
    events = type_keys(shifted(e.KEY_H), e.KEY_I, e.KEY_MINUS, e.KEY_1, shifted(e.KEY_2),
                       shifted(e.KEY_MINUS), e.KEY_DOT)
    assert feed_all(KeyDecoder("us"), events) == ["Hi-1@_."]


def test_shift_held_across_keys_and_either_shift_counts():
    events = [ev(e.KEY_LEFTSHIFT, 1), *tap(e.KEY_A), ev(e.KEY_RIGHTSHIFT, 1),
              ev(e.KEY_LEFTSHIFT, 0), *tap(e.KEY_B), ev(e.KEY_RIGHTSHIFT, 0), *tap(e.KEY_C),
              *tap(e.KEY_ENTER)]
    assert feed_all(KeyDecoder(), events) == ["ABc"]


def test_caps_lock_flips_letters_only_and_shift_flips_back():
    events = type_keys(e.KEY_CAPSLOCK, e.KEY_A, e.KEY_1, shifted(e.KEY_B), e.KEY_CAPSLOCK,
                       e.KEY_C)
    assert feed_all(KeyDecoder(), events) == ["A1bc"]


def test_german_layout_swaps_y_z_and_has_its_own_shifted_digits():
    events = type_keys(e.KEY_Z, e.KEY_Y, shifted(e.KEY_7), shifted(e.KEY_2), e.KEY_SLASH,
                       shifted(e.KEY_0))
    assert feed_all(KeyDecoder("de"), events) == ['yz/"-=']
    assert feed_all(KeyDecoder("us"), events) == ["zy&@/)"]


def test_german_altgr_types_at_sign_but_us_right_alt_is_a_shortcut():
    events = type_keys([ev(e.KEY_RIGHTALT, 1), *tap(e.KEY_Q), ev(e.KEY_RIGHTALT, 0)], e.KEY_Q)
    assert feed_all(KeyDecoder("de"), events) == ["@q"]
    assert feed_all(KeyDecoder("us"), events) == [UNREADABLE_MARK + "q"]


def test_german_caps_lock_upper_cases_umlauts_but_leaves_sharp_s():
    events = type_keys(e.KEY_CAPSLOCK, e.KEY_LEFTBRACE, e.KEY_MINUS)
    assert feed_all(KeyDecoder("de"), events) == ["Üß"]


def test_keypad_digits_and_keypad_enter():
    events = type_keys(e.KEY_KP6, e.KEY_KP9, e.KEY_KPDOT, e.KEY_KP0, suffix=e.KEY_KPENTER)
    assert feed_all(KeyDecoder(), events) == ["69.0"]


def test_key_repeat_and_key_up_type_nothing():
    events = [ev(e.KEY_1, 1), ev(e.KEY_1, 2), ev(e.KEY_1, 2), ev(e.KEY_1, 0), ev(e.KEY_2, 0),
              *tap(e.KEY_ENTER)]
    assert feed_all(KeyDecoder(), events) == ["1"]


def test_codes_end_at_each_enter_and_a_lone_enter_is_no_code():
    events = type_keys(e.KEY_1) + tap(e.KEY_ENTER) + type_keys(e.KEY_2)
    assert feed_all(KeyDecoder(), events) == ["1", "2"]


def test_tab_suffix_ends_codes_and_enter_is_then_just_whitespace():
    decoder = KeyDecoder(suffix="tab")
    assert feed_all(decoder, type_keys(e.KEY_1, e.KEY_ENTER, e.KEY_2, suffix=e.KEY_TAB)) == [
        "1\n2"]
    assert classify("1\n2").error == "unreadable"


def test_no_suffix_means_the_caller_flushes_after_a_pause():
    decoder = KeyDecoder(suffix="none")
    assert feed_all(decoder, type_keys(e.KEY_4, e.KEY_2, suffix=None)) == []
    assert decoder.pending
    assert decoder.flush() == "42"
    assert not decoder.pending and decoder.flush() is None


def test_unknown_key_is_counted_and_makes_the_code_unreadable():
    decoder = KeyDecoder()
    feed_all(decoder, type_keys(e.KEY_1, e.KEY_F1, e.KEY_2, suffix=None))
    assert decoder.unknown == 1
    code = decoder.feed(ev(e.KEY_ENTER))
    assert code == "1" + UNREADABLE_MARK + "2"
    assert classify(code).error == "unreadable"
    assert decoder.unknown == 0


def test_german_dead_key_is_unreadable_not_dropped():
    assert feed_all(KeyDecoder("de"), type_keys(e.KEY_1, e.KEY_EQUAL)) == [
        "1" + UNREADABLE_MARK]


def test_ctrl_with_a_key_is_unreadable():
    events = type_keys([ev(e.KEY_LEFTCTRL, 1), *tap(e.KEY_RIGHTBRACE), ev(e.KEY_LEFTCTRL, 0)],
                       e.KEY_1)
    assert feed_all(KeyDecoder(), events) == [UNREADABLE_MARK + "1"]


def test_alt_keypad_decimal_codes_type_ascii():
    def alt_code(*keypad):
        return [ev(e.KEY_LEFTALT, 1), *sum((tap(k) for k in keypad), []), ev(e.KEY_LEFTALT, 0)]
    events = type_keys(alt_code(e.KEY_KP6, e.KEY_KP5), alt_code(e.KEY_KP0, e.KEY_KP4,
                                                                 e.KEY_KP9),
                       alt_code(e.KEY_KP7))
    assert feed_all(KeyDecoder("de"), events) == ["A1" + UNREADABLE_MARK]


def test_overlong_code_is_cut_just_past_the_limit_so_classify_says_too_long():
    code = feed_all(KeyDecoder(), type_keys(*[e.KEY_1] * 200))[0]
    assert len(code) == 65 and classify(code).error == "too_long"


def test_reset_forgets_half_a_code_and_held_shift():
    decoder = KeyDecoder()
    feed_all(decoder, [ev(e.KEY_LEFTSHIFT, 1), *tap(e.KEY_A), ev(e.KEY_CAPSLOCK)])
    decoder.reset()
    assert feed_all(decoder, type_keys(e.KEY_B)) == ["b"]


@pytest.mark.parametrize("kw,word", [({"layout": "xx"}, "layout"), ({"suffix": "cr"}, "suffix")])
def test_unknown_layout_or_suffix_is_refused_naming_it(kw, word):
    with pytest.raises(ValueError, match=f"{word} '{list(kw.values())[0]}'"):
        KeyDecoder(**kw)


def typed(text, layout, caps, shift_key):
    """Key events for ``text`` in ``layout``, with caps lock on or off: how a scanner types."""
    where = {}
    for key, (plain, shift) in LAYOUTS[layout].keys.items():
        caps_flips = plain.isalpha() and shift == plain.upper()
        where.setdefault(plain, (key, caps and caps_flips))
        where.setdefault(shift, (key, not (caps and caps_flips)))
    events = tap(e.KEY_CAPSLOCK) if caps else []
    for ch in text:
        key, needs_shift = where[ch]
        events += shifted(key, shift_key) if needs_shift else tap(key)
    return events + tap(e.KEY_ENTER)


def typeable(layout):
    return sorted({c for pair in LAYOUTS[layout].keys.values() for c in pair})


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@given(data=st.data(), caps=st.booleans(),
       shift_key=st.sampled_from([e.KEY_LEFTSHIFT, e.KEY_RIGHTSHIFT]))
def test_any_typeable_text_decodes_back(layout, data, caps, shift_key):
    text = data.draw(st.text(alphabet=typeable(layout), min_size=1, max_size=30))
    assert feed_all(KeyDecoder(layout), typed(text, layout, caps, shift_key)) == [text]
