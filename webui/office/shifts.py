"""The office's shifts page (issue 9)."""

from __future__ import annotations

from ..access import access
from . import bp, office_page


@bp.get("/office/shifts")
@access("shift.close")
def shifts():
    return office_page("office_shifts.html", "office.shifts")
