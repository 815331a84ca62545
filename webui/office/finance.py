"""The office's finance page (issue 9)."""

from __future__ import annotations

from ..access import access
from . import bp, office_page


@bp.get("/office/finance")
@access("finance")
def finance():
    return office_page("office_finance.html", "office.finance")
