"""Who may call which route. Every view declares a rule; a view without one is refused.

Rules: ``public`` (no sign-in), ``login`` (anyone signed in), or a permission name from
appliance.orders.permissions (the role table). Enforcement runs before the view, so the
UI hiding a button is never what keeps an assistant from taking money. Writes also need the
session's CSRF token in ``X-CSRF-Token``.
"""

from __future__ import annotations

import hmac

from flask import current_app, g, request

from appliance.i18n import _
from appliance.errors import Forbidden, Unauthorized
from appliance.orders.permissions import PERMISSIONS, Actor, allowed

from .sessions import COOKIE, csrf_ok

PUBLIC = "public"
LOGIN = "login"
DEVICE = "device"   # the box's own daemons: loopback and the device token
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def access(rule: str):
    """Declare the access rule of a view (checked by a test for every route)."""
    if rule not in (PUBLIC, LOGIN, DEVICE) and rule not in PERMISSIONS:
        raise ValueError(f"unknown access rule {rule}")

    def mark(view):
        view.access = rule
        return view
    return mark


def rule_of(endpoint: str | None) -> str | None:
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, "access", None)


def enforce() -> None:
    """before_request: authenticate, check CSRF on writes, check the role."""
    if request.endpoint is None:  # 404/405: let Flask answer
        return
    rule = rule_of(request.endpoint)
    if rule is None:
        raise Forbidden(_("this address has no access rule; refused"))  # fail closed
    if rule == PUBLIC:
        return
    box = current_app.config["BOX"]
    if rule == DEVICE:
        _enforce_device(box)
        return
    sessions = current_app.config["SESSIONS"]
    session = sessions.get(request.cookies.get(COOKIE))
    if session is None:
        raise Unauthorized(_("please sign in (your session ended or timed out)"))
    staff = box.master.staff.find(session.staff_id)
    if staff is None or not staff.active:
        sessions.end(session.token)
        raise Unauthorized(_("this staff account is no longer active"))
    g.session, g.staff = session, staff
    g.actor = Actor(staff.id, staff.role, session.terminal)
    if request.method not in SAFE_METHODS and \
            not csrf_ok(session, request.headers.get("X-CSRF-Token")):
        raise Forbidden(_("missing or wrong X-CSRF-Token header"))
    if rule != LOGIN and not allowed(g.actor, rule):
        # Audited by the error handler, like every refusal.
        raise Forbidden(_("your role ({role}) may not do this: it needs a {needed}",
                          role=staff.role, needed=PERMISSIONS[rule]))


LOOPBACK = ("127.0.0.1", "::1")


def _enforce_device(box) -> None:
    """scannerd and printerd: only from this box, and only with the token core wrote."""
    # From this box: loopback, or the box's own address when core listens on just that one
    # (a connection from the box to itself comes from that address; no other host can).
    if request.remote_addr not in LOOPBACK + (box.config.web.host,):
        raise Forbidden(_("device calls are accepted from this box only"))
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode("utf-8", "replace"), box.device_token.encode()):
        raise Unauthorized(_("missing or wrong device token"))
    g.device = request.headers.get("X-Tillbox-Device", "device")[:40]
