"""Barcodes: EAN-13 / EAN-8 check digits, in-store codes, and the general barcode rule.

A shop sells goods with manufacturer EAN-13 codes (69x for China) and labels its own goods
with in-store codes (prefix 20-29). Other symbologies (Code128, UPC-A ...) are accepted as
they are; only 13- and 8-digit codes are known to carry an EAN check digit, so only those are
checked - a mistyped digit there is the commonest data-entry error.
"""

from __future__ import annotations

import re

from ..errors import ValidationError
from ..i18n import _

MAX_BARCODE_LEN = 48
#: Printable ASCII without space. Scanners send ASCII; anything else is a typing accident
#: (e.g. full-width digits from a Chinese IME). "|" separates barcodes in catalog CSV files.
_BARCODE_RE = re.compile(r"^[\x21-\x7b\x7d\x7e]+$")
_DIGITS_RE = re.compile(r"^[0-9]+$")


def _check_digit(data: str) -> str:
    # GS1 weighting: from the right, the data digits are weighted 3, 1, 3, 1 ...
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(data)))
    return str((10 - total % 10) % 10)


def ean13_check_digit(first12: str) -> str:
    """The check digit that completes 12 digits into an EAN-13."""
    if not isinstance(first12, str) or len(first12) != 12 or not _DIGITS_RE.match(first12):
        raise ValueError("an EAN-13 check digit is computed from exactly 12 digits")
    return _check_digit(first12)


def is_valid_ean13(code) -> bool:
    return (isinstance(code, str) and len(code) == 13 and bool(_DIGITS_RE.match(code))
            and _check_digit(code[:12]) == code[12])


def is_valid_ean8(code) -> bool:
    return (isinstance(code, str) and len(code) == 8 and bool(_DIGITS_RE.match(code))
            and _check_digit(code[:7]) == code[7])


def make_internal_ean13(prefix: str, number: int) -> str:
    """An in-store EAN-13: ``prefix`` + ``number`` zero-padded to 12 digits + check digit.

    ``make_internal_ean13("20", 1)`` -> ``"2000000000015"``. In-store prefixes are 20-29.
    """
    if not isinstance(prefix, str) or not _DIGITS_RE.match(prefix) or len(prefix) > 11:
        raise ValidationError(_("barcode prefix must be 1 to 11 digits, like \"20\""),
                              field="prefix")
    if not isinstance(number, int) or isinstance(number, bool) or number < 0:
        raise ValidationError(_("barcode number must be a whole number, 0 or more"),
                              field="number")
    width = 12 - len(prefix)
    if number >= 10 ** width:
        raise ValidationError(
            _("number {number} does not fit in {width} digits after prefix {prefix}",
              number=number, width=width, prefix=prefix),
            field="number")
    first12 = f"{prefix}{number:0{width}d}"
    return first12 + _check_digit(first12)


def validate_barcode(code, *, field: str = "barcode") -> str:
    """Return ``code`` without surrounding whitespace, or raise ValidationError saying why."""
    if not isinstance(code, str):
        raise ValidationError(_("{field} must be text", field=field), field=field)
    code = code.strip()
    if not code:
        raise ValidationError(_("{field} is empty", field=field), field=field)
    if len(code) > MAX_BARCODE_LEN:
        raise ValidationError(
            _("{field} {code}... is longer than {MAX_BARCODE_LEN} characters",
              field=field, code=code[:20], MAX_BARCODE_LEN=MAX_BARCODE_LEN), field=field)
    if not _BARCODE_RE.match(code):
        raise ValidationError(
            _("{field} \"{code}\" may only hold printable ASCII characters other than \"|\", with no spaces",
              field=field, code=code), field=field)
    if _DIGITS_RE.match(code):
        if len(code) == 13 and not is_valid_ean13(code):
            raise ValidationError(
                _("{field} {code} is not a valid EAN-13: the last digit should be {check}"
                  " (check for a mistyped digit)", field=field, code=code,
                  check=_check_digit(code[:12])), field=field)
        if len(code) == 8 and not is_valid_ean8(code):
            raise ValidationError(
                _("{field} {code} is not a valid EAN-8: the last digit should be {check}"
                  " (check for a mistyped digit)", field=field, code=code,
                  check=_check_digit(code[:7])), field=field)
    return code
