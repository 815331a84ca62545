"""Sign-in by PIN, sign-out, and who am I."""

from __future__ import annotations

import logging
import re

from flask import current_app, g, jsonify, request

from appliance.i18n import _
from appliance.errors import Unauthorized, ValidationError

from ..access import LOGIN, PUBLIC, access
from ..sessions import COOKIE
from . import body, bp, checked_pin, field_str

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")
_TERMINAL_RE = re.compile(r"^[\w .\-]{1,32}$")


def _staff_json(staff) -> dict:
    return {"id": staff.id, "name": staff.name, "role": staff.role}


@bp.post("/auth/login")
@access(PUBLIC)
def login():
    data = body()
    pin = field_str(data, "pin", required=True)
    staff_id = field_str(data, "staff_id")
    terminal = (field_str(data, "terminal") or "").strip() or "web"
    if not _TERMINAL_RE.match(terminal):
        raise ValidationError(_("terminal must be 1-32 letters (Chinese too), digits, spaces,"
                                " '.', '_' or '-'"), field="terminal")
    address = request.remote_addr or "?"
    staff = checked_pin(pin, staff_id)
    if staff is None:
        audit.warning("sign-in failed from %s%s", address,
                      f" for staff={staff_id}" if staff_id else "")
        raise Unauthorized(_("wrong PIN"))
    current_app.config["THROTTLE"].succeeded(address, staff.id)
    session = current_app.config["SESSIONS"].create(staff.id, terminal)
    audit.info("sign-in staff=%s role=%s terminal=%s from %s", staff.id, staff.role, terminal,
               address)
    resp = jsonify({"staff": _staff_json(staff), "csrf_token": session.csrf_token,
                    "terminal": terminal})
    resp.set_cookie(COOKIE, session.token, httponly=True, samesite="Strict",
                    secure=request.is_secure, path="/")
    return resp


@bp.post("/auth/logout")
@access(LOGIN)
def logout():
    current_app.config["SESSIONS"].end(g.session.token)
    current_app.config["SCANS"].clear_till(g.staff.id)  # scans no longer act in their name
    audit.info("sign-out staff=%s terminal=%s", g.staff.id, g.session.terminal)
    resp = current_app.response_class(status=204)
    resp.delete_cookie(COOKIE, path="/", httponly=True, samesite="Strict")
    return resp


@bp.get("/auth/me")
@access(LOGIN)
def me():
    return jsonify({"staff": _staff_json(g.staff), "csrf_token": g.session.csrf_token,
                    "terminal": g.session.terminal, "training": g.session.training})
