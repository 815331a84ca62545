"""The arithmetic of a cash count: denominations, counted totals, over/short (docs/shifts.md).

Pure functions of their arguments, so the hand-computed cases in the tests check exactly what
the handover records.
"""

from __future__ import annotations

from .. import money
from ..errors import ValidationError
from ..i18n import _
from ..tenders import METHODS, STORED_VALUE_METHODS

#: CNY notes and coins in fen, largest first: ¥100, ¥50, ¥20, ¥10, ¥5, ¥1, ¥0.5, ¥0.1.
DENOMINATIONS = (10000, 5000, 2000, 1000, 500, 100, 50, 10)
#: Tenders whose money is in the drawer or at a terminal/bank the shift answers for: counted
#: at the handover. Stored value and points move no money and are not counted.
COUNTED_METHODS = tuple(m for m in METHODS if m not in STORED_VALUE_METHODS)
MAX_PIECES = 100_000


def denominations(value) -> dict[str, int]:
    """A count by denomination as given (``{"10000": 3, "50": 1}``: fen value as a string,
    number of pieces), checked; denominations not given count 0 and are left out."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(_("denominations must be an object of fen value: count"),
                              field="denominations")
    known = {str(d) for d in DENOMINATIONS}
    out: dict[str, int] = {}
    for key, count in value.items():
        if key not in known:
            raise ValidationError(_("{key} is not a denomination; use one of {known}",
                                    key=repr(key), known=", ".join(str(d) for d in DENOMINATIONS)),
                                  field="denominations")
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_PIECES:
            raise ValidationError(_("the count of {value} pieces must be a whole number from 0"
                                    " to {most}", value=money.format_amount(int(key)),
                                    most=MAX_PIECES), field="denominations")
        if count:
            out[key] = count
    return out


def counted_cash(counts: dict[str, int]) -> int:
    """Σ value × count, in fen."""
    return sum(int(value) * n for value, n in counts.items())


def over_short(expected: dict[str, int], counted: dict[str, int]) -> dict[str, int]:
    """counted − expected per tender, for every tender in either (a missing figure is 0)."""
    return {m: counted.get(m, 0) - expected.get(m, 0)
            for m in sorted(set(expected) | set(counted))}


def over_limit(differences: dict[str, int], limit: int) -> list[str]:
    """The tenders whose |over/short| is more than the limit."""
    return [m for m, d in differences.items() if abs(d) > limit]
