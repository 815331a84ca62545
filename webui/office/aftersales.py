"""The office's aftersales page (issue 10)."""

from __future__ import annotations

from flask import current_app  # noqa: F401

from ..access import access
from . import bp, office_page


@bp.get("/office/aftersales")
@access("aftersales.view")
def aftersales():
    return office_page("office_aftersales.html", "office.aftersales")
