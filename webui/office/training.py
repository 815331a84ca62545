"""The office's training page (issue 9)."""

from __future__ import annotations

from ..access import access
from . import bp, office_page


@bp.get("/training")
@access("training")
def training():
    return office_page("office_training.html", "office.training")
