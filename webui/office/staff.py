"""The office's staff page (issue 9)."""

from __future__ import annotations

from ..access import access
from . import bp, office_page


@bp.get("/office/staff")
@access("staff.manage")
def staff():
    return office_page("office_staff.html", "office.staff")
