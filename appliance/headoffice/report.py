"""Sales per store and business day, from the stored ``order.paid`` and ``order.refunded``.

The business day is the first eight digits of the order number (``20261126-0007``), the day
the box gave it in the shop's time zone; head office knows no shop's time zone, so a refund
counts on its order's day (the refund record carries the order's number).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from ..money import format_amount
from .store import HeadOfficeStore

log = logging.getLogger(__name__)

UNKNOWN_DAY = "unknown"
COLUMNS = ("store", "day", "sales", "total", "refunds", "net")


@dataclass
class DaySales:
    store: str
    day: str
    sales: int = 0      # number of paid orders
    total: int = 0      # fen
    refunds: int = 0    # fen refunded

    @property
    def net(self) -> int:
        return self.total - self.refunds

    def to_json(self) -> dict:
        return {"store": self.store, "day": self.day, "sales": self.sales,
                "total": format_amount(self.total), "refunds": format_amount(self.refunds),
                "net": format_amount(self.net)}


def business_day(number) -> str:
    """``20261126-0007`` -> ``2026-11-26``; anything else is ``unknown``."""
    digits = number[:8] if isinstance(number, str) else ""
    if len(digits) != 8 or not digits.isdigit():
        return UNKNOWN_DAY
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"


def _fen(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def sales_by_day(db: HeadOfficeStore, store: str | None = None) -> list[DaySales]:
    days: dict[tuple[str, str], DaySales] = {}
    for store_id, type_, data_json in db.iter_typed(("order.paid", "order.refunded"), store):
        data = json.loads(data_json)
        day = business_day(data.get("number"))
        row = days.setdefault((store_id, day), DaySales(store_id, day))
        if type_ == "order.paid":
            total = _fen(data.get("total"))
            if total is None:
                log.warning("store %s: order %s has no whole-fen total; not counted",
                            store_id, data.get("number"))
                continue
            row.sales += 1
            row.total += total
        else:
            amount = _fen(data.get("amount"))
            if amount is None:
                log.warning("store %s: a refund of order %s has no whole-fen amount; not "
                            "counted", store_id, data.get("number"))
                continue
            row.refunds += amount
    return [days[k] for k in sorted(days)]


def format_table(rows: list[DaySales]) -> str:
    """A plain text table, amounts in yuan with two decimals, right-aligned numbers."""
    cells = [list(COLUMNS)] + [[r.store, r.day, str(r.sales), format_amount(r.total),
                                format_amount(r.refunds), format_amount(r.net)] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    lines = []
    for row in cells:
        parts = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        parts += [row[i].rjust(widths[i]) for i in range(2, len(COLUMNS))]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines) + "\n"
