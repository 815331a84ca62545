"""Key events to text, the way a keyboard-wedge scanner "types" a code.

A USB HID scanner is a keyboard: it sends key codes for the characters of the code in the
keyboard layout it is set to, then a suffix key (Enter, Tab or nothing). ``KeyDecoder`` undoes
that: shift (left or right, held across keys), caps lock, AltGr (layouts that have one),
keypad digits (whatever num lock says: scanners send digits), and Alt + keypad decimal codes
(the layout-independent mode many scanners offer). Only key-down (value 1) types; key repeat
(value 2) is ignored, and key-up (value 0) only releases modifiers.

A key the layout cannot translate, or a key pressed with Ctrl or Alt held, is not dropped
silently: it becomes ``UNREADABLE_MARK`` (U+FFFD) in the code and is counted in ``unknown``,
so ``codes.classify`` reports the code as "unreadable" instead of a wrong but valid-looking
one. A code longer than ``MAX_CODE_LEN`` is cut at ``MAX_CODE_LEN + 1`` characters, so
classify reports "too_long" without the buffer growing without bound.

Layouts are tables of evdev key names, easy to extend::

    LAYOUTS["fr"] = Layout.derive(LAYOUTS["us"], "fr", keys={"KEY_Q": "aA", ...}, altgr={...})
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from evdev import ecodes

from .codes import MAX_CODE_LEN, UNREADABLE_MARK

SUFFIXES = ("enter", "tab", "none")
KEY_UP, KEY_DOWN, KEY_REPEAT = 0, 1, 2

_SHIFT = frozenset({ecodes.KEY_LEFTSHIFT, ecodes.KEY_RIGHTSHIFT})
_CTRL = frozenset({ecodes.KEY_LEFTCTRL, ecodes.KEY_RIGHTCTRL})
_IGNORED = frozenset({ecodes.KEY_NUMLOCK, ecodes.KEY_SCROLLLOCK, ecodes.KEY_LEFTMETA,
                      ecodes.KEY_RIGHTMETA})
_KEYPAD = MappingProxyType({
    **{getattr(ecodes, f"KEY_KP{d}"): str(d) for d in range(10)},
    ecodes.KEY_KPDOT: ".", ecodes.KEY_KPMINUS: "-", ecodes.KEY_KPPLUS: "+",
    ecodes.KEY_KPASTERISK: "*", ecodes.KEY_KPSLASH: "/",
})
# Whitespace keys the layouts share; codes.classify strips them at the ends of a code and
# rejects them inside one (Enter and Tab are only a suffix when configured as one).
_WHITESPACE = MappingProxyType({ecodes.KEY_ENTER: "\n", ecodes.KEY_KPENTER: "\n",
                                ecodes.KEY_TAB: "\t", ecodes.KEY_SPACE: " "})
_SUFFIX_KEYS = MappingProxyType({
    "enter": frozenset({ecodes.KEY_ENTER, ecodes.KEY_KPENTER}),
    "tab": frozenset({ecodes.KEY_TAB}),
    "none": frozenset(),
})


def _codes(table: Mapping[str, str]) -> dict[int, str]:
    return {ecodes.ecodes[name]: chars for name, chars in table.items()}


@dataclass(frozen=True)
class Layout:
    """``keys``: key code -> "plain" + "shifted" character; ``altgr``: key code -> character
    with AltGr (right Alt). A layout without AltGr treats right Alt as Alt."""
    name: str
    keys: Mapping[int, str]
    altgr: Mapping[int, str] = field(default_factory=dict)

    @classmethod
    def from_names(cls, name: str, keys: Mapping[str, str],
                   altgr: Mapping[str, str] | None = None) -> "Layout":
        for key, chars in keys.items():
            if len(chars) != 2:
                raise ValueError(f"layout {name}: {key} needs 2 characters (plain, shifted), "
                                 f"got {chars!r}")
        return cls(name, MappingProxyType(_codes(keys)), MappingProxyType(_codes(altgr or {})))

    @classmethod
    def derive(cls, base: "Layout", name: str, keys: Mapping[str, str],
               altgr: Mapping[str, str] | None = None, without: tuple[str, ...] = ()
               ) -> "Layout":
        """``base`` with ``keys`` changed and the keys ``without`` removed; ``altgr``
        replaces the base's AltGr table."""
        changed = cls.from_names(name, keys, altgr)
        removed = {ecodes.ecodes[key] for key in without}
        merged = {k: v for k, v in {**base.keys, **changed.keys}.items() if k not in removed}
        return cls(name, MappingProxyType(merged), changed.altgr)


_US_KEYS = {
    **{f"KEY_{c.upper()}": c + c.upper() for c in string.ascii_lowercase},
    "KEY_1": "1!", "KEY_2": "2@", "KEY_3": "3#", "KEY_4": "4$", "KEY_5": "5%",
    "KEY_6": "6^", "KEY_7": "7&", "KEY_8": "8*", "KEY_9": "9(", "KEY_0": "0)",
    "KEY_MINUS": "-_", "KEY_EQUAL": "=+", "KEY_LEFTBRACE": "[{", "KEY_RIGHTBRACE": "]}",
    "KEY_BACKSLASH": "\\|", "KEY_SEMICOLON": ";:", "KEY_APOSTROPHE": "'\"",
    "KEY_GRAVE": "`~", "KEY_COMMA": ",<", "KEY_DOT": ".>", "KEY_SLASH": "/?",
}

LAYOUTS: dict[str, Layout] = {"us": Layout.from_names("us", _US_KEYS)}

# German QWERTZ. Dead keys (^ and the accents on KEY_GRAVE and KEY_EQUAL) are left out: they
# type nothing alone, and a code using one is "unreadable" rather than wrong.
LAYOUTS["de"] = Layout.derive(LAYOUTS["us"], "de", without=("KEY_GRAVE", "KEY_EQUAL"), keys={
    "KEY_Y": "zZ", "KEY_Z": "yY",
    "KEY_2": "2\"", "KEY_3": "3§", "KEY_6": "6&", "KEY_7": "7/", "KEY_8": "8(",
    "KEY_9": "9)", "KEY_0": "0=", "KEY_MINUS": "ß?", "KEY_LEFTBRACE": "üÜ",
    "KEY_RIGHTBRACE": "+*", "KEY_SEMICOLON": "öÖ", "KEY_APOSTROPHE": "äÄ",
    "KEY_BACKSLASH": "#'", "KEY_COMMA": ",;", "KEY_DOT": ".:", "KEY_SLASH": "-_",
    "KEY_102ND": "<>",
}, altgr={
    "KEY_Q": "@", "KEY_E": "€", "KEY_M": "µ", "KEY_2": "²", "KEY_3": "³", "KEY_7": "{",
    "KEY_8": "[", "KEY_9": "]", "KEY_0": "}", "KEY_MINUS": "\\", "KEY_RIGHTBRACE": "~",
    "KEY_102ND": "|",
})


class KeyDecoder:
    """Feed evdev events one by one; ``feed`` returns a complete code when the suffix key
    comes. With ``suffix="none"`` the caller ends a code after a pause with ``flush()``."""

    def __init__(self, layout: str = "us", suffix: str = "enter"):
        if layout not in LAYOUTS:
            raise ValueError(f"keyboard layout {layout!r} is not known; use one of "
                             f"{', '.join(sorted(LAYOUTS))}")
        if suffix not in SUFFIXES:
            raise ValueError(f"scanner suffix {suffix!r} is not known; use one of "
                             f"{', '.join(SUFFIXES)}")
        self.layout = LAYOUTS[layout]
        self.suffix = suffix
        self._suffix_keys = _SUFFIX_KEYS[suffix]
        has_altgr = bool(self.layout.altgr)
        self._altgr_keys = frozenset({ecodes.KEY_RIGHTALT}) if has_altgr else frozenset()
        self._alt_keys = frozenset({ecodes.KEY_LEFTALT} if has_altgr
                                   else {ecodes.KEY_LEFTALT, ecodes.KEY_RIGHTALT})
        self._held: set[int] = set()
        self.caps_lock = False
        self._chars: list[str] = []
        self._alt_digits = ""
        #: Untranslatable keys in the code being typed.
        self.unknown = 0

    @property
    def pending(self) -> bool:
        """Whether part of a code has been typed."""
        return bool(self._chars or self._alt_digits)

    def reset(self) -> None:
        """Forget everything: the partial code and the modifiers (a device reopened)."""
        self._held.clear()
        self.caps_lock = False
        self._clear()

    def flush(self) -> str | None:
        """End the code typed so far (suffix "none", after a pause); None when nothing was."""
        if self._alt_digits:
            self._type(self._alt_char())
        code = "".join(self._chars) if self._chars else None
        self._clear()
        return code

    def feed(self, event) -> str | None:
        if event.type != ecodes.EV_KEY or event.value == KEY_REPEAT:
            return None
        key = event.code
        if event.value == KEY_UP:
            self._held.discard(key)
            if key in self._alt_keys and self._alt_digits and not self._held & self._alt_keys:
                self._type(self._alt_char())
            return None
        if event.value != KEY_DOWN:
            return None
        if key in _SHIFT or key in _CTRL or key in self._alt_keys or key in self._altgr_keys:
            self._held.add(key)
            return None
        if key == ecodes.KEY_CAPSLOCK:
            self.caps_lock = not self.caps_lock
            return None
        if key in _IGNORED:
            return None
        if key in self._suffix_keys:
            return self.flush()
        if self._held & self._alt_keys and _KEYPAD.get(key, "").isdigit():
            self._alt_digits += _KEYPAD[key]   # typed when Alt is released
            return None
        self._type(self._translate(key))
        return None

    def _translate(self, key: int) -> str | None:
        held = self._held
        if held & _CTRL:
            return None
        if held & self._alt_keys:
            return None   # Alt + a key is a shortcut, not text
        if held & self._altgr_keys:
            return self.layout.altgr.get(key)
        if key in _KEYPAD:
            return _KEYPAD[key]
        if key in _WHITESPACE:
            return _WHITESPACE[key]
        chars = self.layout.keys.get(key)
        if chars is None:
            return None
        plain, shifted = chars
        shift = bool(held & _SHIFT)
        # Caps lock only flips letters that have an upper case on the same key (not ß -> ?).
        if self.caps_lock and plain.isalpha() and shifted == plain.upper():
            shift = not shift
        return shifted if shift else plain

    def _alt_char(self) -> str | None:
        number, self._alt_digits = int(self._alt_digits), ""
        # Printable ASCII is the same in the code pages scanners mean (cp437, cp1252).
        return chr(number) if 32 <= number <= 126 else None

    def _type(self, text: str | None) -> None:
        if text is None:
            self.unknown += 1
            text = UNREADABLE_MARK
        if len(self._chars) <= MAX_CODE_LEN:
            self._chars.append(text)

    def _clear(self) -> None:
        self._chars.clear()
        self._alt_digits = ""
        self.unknown = 0
