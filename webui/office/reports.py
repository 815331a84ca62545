"""The office's reports page (issue 9)."""

from __future__ import annotations

from ..access import access
from . import bp, office_page


@bp.get("/office/reports")
@access("reports.view")
def reports():
    return office_page("office_reports.html", "office.reports")
