"""The office's audit page (issue 9; docs/staff-audit.md): sensitive actions with who and
when, filtered by days, kind and person, a page at a time, and as CSV
(js/office_audit.js over /api/v1/audit)."""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _

from appliance.audit_trail import kind_labels

from ..access import access
from . import bp, office_page


def script_strings() -> dict:
    return {"au_none": _("Nothing recorded for these filters."),
            "au_approved": _("approved by %(name)s", name="{name}"),
            "au_order": _("order %(n)s", n="{n}")}


@bp.get("/office/audit")
@access("audit.view")
def audit():
    box = current_app.config["BOX"]
    today = box.finance.today()
    start = (date.fromisoformat(today) - timedelta(days=30)).isoformat()
    return office_page("office_audit.html", "office.audit", today=today, start=start,
                       kinds=kind_labels(),
                       people=box.master.staff.list(include_inactive=True))
