"""The office's staff page (issue 9; docs/staff-audit.md): everyone (deactivated people
too) with their role; add, change role, reset PIN, deactivate, reactivate; and per-staff
sales for today and this month (js/office_staff.js)."""

from __future__ import annotations

from flask_babel import gettext as _

from appliance.master.staff import ROLES
from appliance.staffing import role_labels

from ..access import access
from . import bp, office_page


def script_strings() -> dict:
    return {
        **{f"sf_role_{k}": v for k, v in role_labels().items()},
        "sf_added": _("%(name)s can sign in now", name="{name}"),
        "sf_role_changed": _("%(name)s is now %(role)s", name="{name}", role="{role}"),
        "sf_pin_reset": _("New PIN saved for %(name)s", name="{name}"),
        "sf_deactivated": _("%(name)s is deactivated and signed out", name="{name}"),
        "sf_reactivated": _("%(name)s is active again", name="{name}"),
        "sf_deactivate": _("Deactivate"), "sf_reactivate": _("Reactivate"),
        "sf_reset_pin": _("Reset PIN"), "sf_inactive": _("deactivated"),
        "sf_confirm_deactivate": _("Deactivate %(name)s? They are signed out at once.",
                                   name="{name}"),
        "sf_new_pin_for": _("New PIN for %(name)s", name="{name}"),
        "sf_you": _("you"), "sf_no_sales": _("No sales yet."),
    }


@bp.get("/office/staff")
@access("staff.manage")
def staff():
    return office_page("office_staff.html", "office.staff",
                       roles=[(r, role_labels()[r]) for r in ROLES])
