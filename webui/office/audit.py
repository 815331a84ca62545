"""The office's audit page (issue 9)."""

from __future__ import annotations

from ..access import access
from . import bp, office_page


@bp.get("/office/audit")
@access("audit.view")
def audit():
    return office_page("office_audit.html", "office.audit")
