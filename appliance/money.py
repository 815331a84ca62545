"""Money: integer fen inside, decimal strings at the edges; never float.

The rules (also in docs/money.md):

* An amount is an ``int`` number of fen (1 yuan = 100 fen). Nothing on a money path holds a
  ``float``; :func:`parse_amount` refuses one.
* At the edges (JSON, CSV, CLI) an amount is a decimal string with at most two decimals:
  ``"12"``, ``"12.5"``, ``"12.50"``. Output is always two decimals: ``"12.50"``.
* A line total is ``unit price x quantity`` (quantities are whole numbers, so it is exact).
* Amounts shared out over lines (order discounts, round-off) use the largest-remainder
  method, so the parts always add up to the whole to the fen.
* Round-off (抹零) is applied once, to the amount due for the whole order, to a unit of 0.1
  yuan (抹分) or 1 yuan (抹角), either always down (in the customer's favour, the usual
  抹零) or half up (四舍五入). The difference is recorded on the order as its own line.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from .errors import ValidationError
from .i18n import _

FEN_PER_YUAN = 100
#: Largest amount accepted at an edge: 100 million yuan. Guards against typos and overflows
#: in places (printers, head office) that hold amounts in fixed-width fields.
MAX_AMOUNT = 100_000_000 * FEN_PER_YUAN

# Whole part: plain digits, or thousands grouped by commas ("1,234.50"); anything else with a
# comma ("12,50", a European decimal comma) is refused rather than guessed at.
_AMOUNT_RE = re.compile(r"^(-)?([0-9]{1,12}|[0-9]{1,3}(?:,[0-9]{3}){1,3})(?:\.([0-9]{1,2}))?$")
# A Chinese input method types full-width digits and punctuation.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．，－", "0123456789.,-")

ROUND_OFF_UNITS = {"none": 1, "0.1": 10, "1": 100}
ROUND_OFF_MODES = ("down", "half_up")


def parse_amount(value, *, field: str = "amount", allow_negative: bool = False,
                 allow_zero: bool = True) -> int:
    """Parse a decimal string (``"12.50"``) into fen. Refuses floats and ambiguous input."""
    if isinstance(value, bool) or isinstance(value, float):
        raise ValidationError(
            _("{field} must be a decimal string like \"12.50\", not a number",
              field=field), field=field)
    if isinstance(value, int):
        raise ValidationError(
            _("{field} must be a decimal string like \"12.50\" (got the bare number {value})",
              field=field, value=value),
            field=field)
    if not isinstance(value, str):
        raise ValidationError(_("{field} must be a decimal string like \"12.50\"",
                                field=field), field=field)
    text = value.strip().translate(_FULL_WIDTH).replace("￥", "").replace("¥", "").strip()
    m = _AMOUNT_RE.match(text)
    if not m:
        raise ValidationError(
            _("{field} \"{value}\" is not an amount: use digits with at most two decimals, like \"12.50\"",
              field=field, value=value), field=field)
    sign, whole, frac = m.groups()
    fen = int(whole.replace(",", "")) * FEN_PER_YUAN + int((frac or "0").ljust(2, "0"))
    if sign:
        fen = -fen
    if fen < 0 and not allow_negative:
        raise ValidationError(_("{field} must not be negative", field=field), field=field)
    if fen == 0 and not allow_zero:
        raise ValidationError(_("{field} must be more than 0.00", field=field), field=field)
    if abs(fen) > MAX_AMOUNT:
        raise ValidationError(_("{field} {value} is larger than the most the box accepts",
                                field=field, value=value),
                              field=field)
    return fen


def format_amount(fen: int) -> str:
    """Fen to a two-decimal string: 1250 -> ``"12.50"``, -5 -> ``"-0.05"``."""
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise TypeError(f"amounts are int fen, got {type(fen).__name__}")
    sign = "-" if fen < 0 else ""
    whole, frac = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole}.{frac:02d}"


def line_total(unit_price: int, qty: int) -> int:
    if not isinstance(unit_price, int) or not isinstance(qty, int):
        raise TypeError("unit price and quantity are ints")
    return unit_price * qty


def round_off(fen: int, unit: str = "none", mode: str = "down") -> int:
    """Round an amount due to the shop's round-off unit; returns the rounded amount.

    ``unit`` is ``"none"``, ``"0.1"`` (to the jiao) or ``"1"`` (to the yuan); ``mode`` is
    ``"down"`` (抹零, the customer never pays more) or ``"half_up"`` (四舍五入).
    Negative amounts do not occur here (an amount due is never negative).
    """
    if unit not in ROUND_OFF_UNITS:
        raise ValidationError(_("round-off unit must be one of {ROUND_OFF_UNITS}",
                                ROUND_OFF_UNITS=', '.join(ROUND_OFF_UNITS)))
    if mode not in ROUND_OFF_MODES:
        raise ValidationError(_("round-off mode must be one of {ROUND_OFF_MODES}",
                                ROUND_OFF_MODES=', '.join(ROUND_OFF_MODES)))
    if fen < 0:
        raise ValueError("round_off is for amounts due, which are never negative")
    step = ROUND_OFF_UNITS[unit]
    if step == 1:
        return fen
    whole, rest = divmod(fen, step)
    if mode == "half_up" and rest * 2 >= step:
        whole += 1
    return whole * step


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Share ``total`` out in proportion to ``weights`` (largest remainder, ties to the first).

    The parts always add up to ``total``. Used to spread an order-level discount or the
    round-off over the lines, so a later refund of one line gives back exactly what was paid
    for it.
    """
    if not weights:
        if total:
            raise ValueError("cannot allocate a non-zero amount over nothing")
        return []
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    wsum = sum(weights)
    if wsum == 0:
        # Nothing to weigh by: give it all to the first part.
        return [total] + [0] * (len(weights) - 1)
    sign = -1 if total < 0 else 1
    magnitude = abs(total)
    parts = [magnitude * w // wsum for w in weights]
    remainders = [(magnitude * w % wsum, -i) for i, w in enumerate(weights)]
    short = magnitude - sum(parts)
    for _remainder, neg_i in sorted(remainders, reverse=True)[:short]:
        parts[-neg_i] += 1
    return [sign * p for p in parts]


def share_for_qty(line_net: int, line_qty: int, already_qty: int, qty: int,
                  already_amount: int) -> int:
    """What returning ``qty`` more of a line gives back, given what was already returned.

    Cumulative and floored, with the last unit taking the rest, so that returning a line in
    any number of steps gives back exactly its net amount and never more.
    """
    if qty <= 0 or already_qty + qty > line_qty:
        raise ValueError("quantity out of range")
    if already_qty + qty == line_qty:
        return line_net - already_amount
    return line_net * (already_qty + qty) // line_qty - already_amount


def total(amounts: Iterable[int]) -> int:
    s = 0
    for a in amounts:
        if not isinstance(a, int) or isinstance(a, bool):
            raise TypeError("amounts are int fen")
        s += a
    return s
