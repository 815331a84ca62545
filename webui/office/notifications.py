"""The office's notifications page (issue 10)."""

from __future__ import annotations

from flask import current_app  # noqa: F401

from ..access import access
from . import bp, office_page


@bp.get("/office/notifications")
@access("notify.view")
def notifications():
    return office_page("office_notifications.html", "office.notifications")
