"""The office's deliveries page (issue 10)."""

from __future__ import annotations

from flask import current_app  # noqa: F401

from ..access import access
from . import bp, office_page


@bp.get("/office/deliveries")
@access("fulfilment.edit")
def deliveries():
    return office_page("office_deliveries.html", "office.deliveries")
