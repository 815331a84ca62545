"""Credit note codes: unguessable, easy to read aloud and to type (no 0/O, 1/I/L)."""

from __future__ import annotations

import re
import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"   # 31 symbols
LENGTH = 16                                     # 16 × log2(31) ≈ 79 bits
_STRIP = re.compile(r"[\s-]+")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize(code) -> str:
    """What the customer or the slip's barcode gives, as stored: upper case, no spaces or
    dashes; "" when it cannot be a code."""
    if not isinstance(code, str):
        return ""
    code = _STRIP.sub("", code).upper()
    if len(code) != LENGTH or any(c not in ALPHABET for c in code):
        return ""
    return code


def display(code: str) -> str:
    """Grouped by four for the slip and the screen: ``ABCD-EFGH-JKMN-PQRS``."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))
