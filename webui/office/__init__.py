"""The back office on a phone or the counter (issue 9): the owner's dashboard, reports,
finance, staff and audit, shifts, and training. Server-rendered pages (charts are SVG made
here, no chart library); each page's small script talks to /api/v1 like the others.

One module per page; :func:`office_page` renders with the office's tab bar, showing only
the pages the signed-in person may open.
"""

from __future__ import annotations

from flask import Blueprint, g, redirect, request, url_for
from flask_babel import gettext as _

from appliance.orders.permissions import allowed

bp = Blueprint("office", __name__)

#: (endpoint, permission, label) of the office's tab bar, in order.
NAV = (
    ("office.dashboard", "reports.view", lambda: _("Overview")),
    ("office.reports", "reports.view", lambda: _("Reports")),
    ("office.shifts", "shift.close", lambda: _("Shifts")),
    ("office.finance", "finance", lambda: _("Finance")),
    ("office.staff", "staff.manage", lambda: _("Staff")),
    ("office.audit", "audit.view", lambda: _("Audit")),
    ("office.training", "training", lambda: _("Training")),
    ("office.aftersales", "aftersales.view", lambda: _("After-sales")),
    ("office.deliveries", "fulfilment.edit", lambda: _("Delivery and pick-up")),
    ("office.notifications", "notify.view", lambda: _("Notifications")),
    ("office.customers", "customer.data", lambda: _("Customers")),
    ("office.settings", "settings.edit", lambda: _("Settings")),
)


@bp.before_request
def _not_in_training():
    """The office pages show the real shop's figures: a session in training mode (which the
    API keeps off them) goes to the training page instead."""
    session = getattr(g, "session", None)
    if session is not None and session.training and request.endpoint != "office.training":
        return redirect(url_for("office.training"), 303)
    return None


def office_page(template: str, current: str, **kw):
    from ..pages import _page
    nav = [(endpoint, label(), endpoint == current) for endpoint, permission, label in NAV
           if allowed(getattr(g, "actor", None), permission)]
    return _page(template, office_nav=nav, **kw)


def office_strings() -> dict:
    """Strings the office's scripts (and the counter's shift panel) show: each page module
    may define ``script_strings()`` with keys of its own prefix."""
    strings: dict = {}
    for module in (audit, dashboard, finance, reports, shifts, staff, training, aftersales,
                   deliveries, notifications, customers, settings):
        make = getattr(module, "script_strings", None)
        if make is not None:
            strings.update(make())
    return strings


from . import audit, dashboard, finance, reports, shifts, staff, training  # noqa: E402,F401
from . import aftersales, customers, deliveries, notifications  # noqa: E402,F401
from . import settings  # noqa: E402,F401
