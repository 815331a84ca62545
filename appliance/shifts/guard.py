"""The shifts.required check: no money is taken while no shift is open (when the shop says so).

Small and free of the rest of the package: the order engine and the member top-ups call it
inside their own write transaction, so a shift closing at the same moment is serialised.
"""

from __future__ import annotations

from ..errors import Conflict
from ..i18n import _


class ShiftNotOpen(Conflict):
    code = "shift_not_open"


def open_shift_id(conn) -> str | None:
    row = conn.execute("SELECT id FROM shifts WHERE status = 'open'").fetchone()
    return row[0] if row else None


def require_open_shift(conn, settings) -> None:
    """Refuse taking money without an open shift if settings shifts.required is on."""
    if settings.get("shifts.required") and open_shift_id(conn) is None:
        raise ShiftNotOpen(_("open a shift first: this shop takes money only while a shift"
                             " is open"))
