"""What a scanned code is: a product (EAN-13, EAN-8, UPC-A or an internal code), a weighing-scale
label, a member card, one of our order QR codes, or something unreadable.

Pure functions, no I/O: scannerd classifies before it posts a scan, and the core or the web UI
can classify a typed code the same way. ``error`` and ``kind`` are machine codes the web layer
translates. A scale split is only a reading of the digits: the core looks ``code`` up in the
catalog first, because the shop's own in-store labels use the same 20-29 prefixes
(``appliance.master.ean.make_internal_ean13``) and a code in the catalog always wins.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

#: Longer than any barcode a till sees; a longer "code" is a stuck key or a wrong baud rate.
MAX_CODE_LEN = 64

#: What keymap.KeyDecoder puts where it met a key it could not translate.
UNREADABLE_MARK = "\ufffd"

KINDS = ("product", "scale", "member", "order", "invalid")
ERRORS = ("", "bad_check_digit", "empty", "unreadable", "too_long")

_DIGITS = re.compile(r"[0-9]+")
# C0 and C1 controls, DEL, and the mark of an untranslatable key.
_UNREADABLE = re.compile("[\x00-\x1f\x7f-\x9f" + UNREADABLE_MARK + "]")
_LAYOUT_CHARS = set("FIPWXC")


def check_digit(data: str) -> str:
    """GS1 mod-10 check digit for ``data`` digits (EAN-13, EAN-8, UPC-A alike).

    The same rule as appliance.master.ean; kept here so scannerd needs none of the core.
    """
    # From the right, data digits are weighted 3, 1, 3, 1 ...
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(data)))
    return str((10 - total % 10) % 10)


@dataclass(frozen=True)
class ScaleLayout:
    """Where the item code and the price or weight sit in a scale label's 13 digits."""
    text: str
    item: slice
    value: slice
    value_kind: str  # "price" or "weight"


@lru_cache(maxsize=32)
def parse_scale_layout(text: str) -> ScaleLayout:
    """Parse a layout like "FFIIIIIPPPPPC".

    F prefix (a leading run), I item code, P price in fen or W weight in grams (one run of
    either, not both), X a digit to ignore (some scales put a price check digit there), C the
    EAN-13 check digit, last. Raises ValueError naming the layout and what is wrong.
    """
    def bad(why: str) -> ValueError:
        return ValueError(f"scale layout {text!r} {why} (example: FFIIIIIPPPPPC)")

    if not isinstance(text, str) or len(text) != 13:
        raise bad("must be exactly 13 characters, one per digit of the label")
    stray = "".join(sorted(set(text) - _LAYOUT_CHARS))
    if stray:
        raise bad(f"may only use the letters F I P W X C, not {stray}")
    if not text.endswith("C") or text.count("C") != 1:
        raise bad("must end with one C, the check digit")
    if not text.startswith("F") or "F" in text.lstrip("F"):
        raise bad("must start with the F prefix digits, all together")
    runs = {ch: [m.span() for m in re.finditer(f"{ch}+", text)] for ch in "IPW"}
    if len(runs["I"]) != 1:
        raise bad("must hold the item code as one run of I")
    if len(runs["P"]) + len(runs["W"]) != 1:
        raise bad("must hold exactly one run of P (price) or of W (weight), not both")
    value_kind, (start, end) = (("price", runs["P"][0]) if runs["P"] else ("weight", runs["W"][0]))
    return ScaleLayout(text=text, item=slice(*runs["I"][0]), value=slice(start, end),
                       value_kind=value_kind)


@lru_cache(maxsize=32)
def _compile_order_pattern(pattern: str) -> re.Pattern:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"order pattern {pattern!r} is not a valid regular expression: {exc}")


@dataclass(frozen=True)
class CodeRules:
    """The shop's rules for telling codes apart (config section [barcodes])."""

    #: EAN-13 prefixes of weighing-scale labels: the GS1 in-store range 20-29. Empty: no scale.
    scale_prefixes: tuple[str, ...] = tuple(str(n) for n in range(20, 30))
    scale_layout: str = "FFIIIIIPPPPPC"
    #: Prefix of member card codes (case-insensitive); empty: no member cards.
    member_prefix: str = "VIP"
    #: The whole code of an order QR (our order numbers: 20261126-0007); empty: none.
    order_pattern: str = r"\d{8}-\d{4,6}"

    def __post_init__(self):
        parse_scale_layout(self.scale_layout)
        if isinstance(self.scale_prefixes, str):
            raise ValueError(f"scale prefixes {self.scale_prefixes!r} must be a tuple of "
                             "digit strings like ('20', '21'), not one string")
        for prefix in self.scale_prefixes:
            if not isinstance(prefix, str) or not _DIGITS.fullmatch(prefix) or len(prefix) > 12:
                raise ValueError(f"scale prefix {prefix!r} must be 1 to 12 digits, like '20'")
        _compile_order_pattern(self.order_pattern)

    @classmethod
    def from_config(cls, barcodes) -> "CodeRules":
        """From the [barcodes] config section (scale_prefixes is a comma-separated string)."""
        prefixes = tuple(p.strip() for p in barcodes.scale_prefixes.split(",") if p.strip())
        return cls(scale_prefixes=prefixes, scale_layout=barcodes.scale_layout,
                   member_prefix=barcodes.member_prefix)


@dataclass(frozen=True)
class Scan:
    """One classified code. ``kind`` is product|scale|member|order|invalid; ``error`` is set
    only for invalid codes."""
    kind: str
    code: str
    error: str = ""
    #: "ean13", "ean8", "upca" for codes with a checked GS1 check digit, else "".
    symbology: str = ""
    #: The code as an EAN-13 (UPC-A gets a leading 0), for catalog look-ups; "" if none.
    ean13: str = ""
    item_code: str = ""
    price: int | None = None      # fen, from a price-embedded scale label
    weight_g: int | None = None   # grams, from a weight-embedded scale label
    member_no: str = ""
    order_number: str = ""

    @property
    def ok(self) -> bool:
        return self.kind != "invalid"


DEFAULT_RULES = CodeRules()


def normalise(code: str) -> str:
    """Surrounding whitespace off; full-width digits and letters (a Chinese IME) to ASCII."""
    code = code.strip()
    if not code.isascii():
        code = unicodedata.normalize("NFKC", code).strip()
    return code


def classify(code: str, rules: CodeRules = DEFAULT_RULES) -> Scan:
    """Classify one scanned (or typed) code under the shop's ``rules``."""
    if not isinstance(code, str):
        raise TypeError(f"a scanned code is text, not {type(code).__name__}")
    code = normalise(code)
    if not code:
        return Scan("invalid", code, error="empty")
    if len(code) > MAX_CODE_LEN:
        return Scan("invalid", code, error="too_long")
    if _UNREADABLE.search(code):
        return Scan("invalid", code, error="unreadable")

    prefix = rules.member_prefix
    if prefix and len(code) > len(prefix) and code[:len(prefix)].upper() == prefix.upper():
        return Scan("member", code, member_no=code[len(prefix):])
    if rules.order_pattern and _compile_order_pattern(rules.order_pattern).fullmatch(code):
        return Scan("order", code, order_number=code)
    if _DIGITS.fullmatch(code):
        return _classify_digits(code, rules)
    # Code 128 / Code 39 internal SKUs and the like carry no check digit we could verify.
    return Scan("product", code)


_GS1_LENGTHS = {13: "ean13", 8: "ean8", 12: "upca"}


def _classify_digits(code: str, rules: CodeRules) -> Scan:
    symbology = _GS1_LENGTHS.get(len(code))
    if symbology is None:
        return Scan("product", code)
    if check_digit(code[:-1]) != code[-1]:
        return Scan("invalid", code, error="bad_check_digit", symbology=symbology)
    if symbology == "ean8":
        return Scan("product", code, symbology="ean8")
    ean13 = code if symbology == "ean13" else "0" + code
    if symbology == "ean13" and code.startswith(tuple(rules.scale_prefixes)):
        layout = parse_scale_layout(rules.scale_layout)
        value = int(code[layout.value])
        return Scan("scale", code, symbology="ean13", ean13=ean13,
                    item_code=code[layout.item],
                    price=value if layout.value_kind == "price" else None,
                    weight_g=value if layout.value_kind == "weight" else None)
    return Scan("product", code, symbology=symbology, ean13=ean13)
