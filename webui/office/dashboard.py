"""The office's dashboard page (issue 9)."""

from __future__ import annotations

from ..access import access
from . import bp, office_page


@bp.get("/office")
@access("reports.view")
def dashboard():
    return office_page("office_dashboard.html", "office.dashboard")
