"""/api/v1: the JSON API. Errors here are always JSON ``{"error": ...}`` with a 4xx/5xx status.

One module per resource; each view declares its access rule (webui/access.py). Amounts are
decimal strings in both directions.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from appliance import money
from appliance.i18n import _
from appliance.errors import Forbidden, TillboxError, TooManyAttempts, ValidationError
from appliance.orders import Actor


log = logging.getLogger(__name__)
audit_log = logging.getLogger("audit")  # not "audit": that is the module of the audit routes

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.errorhandler(TillboxError)
def _tillbox_error(exc: TillboxError):
    if isinstance(exc, Forbidden) and getattr(g, "staff", None) is not None:
        audit_log.warning("refused %s %s: staff=%s role=%s: %s", request.method,
                          request.path, g.staff.id, g.staff.role, exc.message)
    resp = jsonify(exc.to_json())
    if isinstance(exc, TooManyAttempts):
        resp.headers["Retry-After"] = str(int(exc.retry_after) + 1)
    return resp, exc.status


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    resp = jsonify({"error": exc.description, "code": exc.name.lower().replace(" ", "_")})
    for name, value in exc.get_headers():
        if name.lower() in ("allow", "retry-after"):
            resp.headers[name] = value
    return resp, exc.code


def api_error_for_unrouted(exc: HTTPException):
    """App-level handler: 404/405/413 under /api are JSON too (they never reach the bp)."""
    if request.path.startswith("/api/"):
        return _http_error(exc)
    return exc


# -- request helpers -----------------------------------------------------------------------

def box():
    """The box this request acts on: the training stack for a session in training mode
    (docs/training.md; webui/api/training.py refuses what training may not do), else the
    real one."""
    real = current_app.config["BOX"]
    session = getattr(g, "session", None)
    if session is not None and session.training:
        return real.training()
    return real


def publish(kind: str, data: dict, *, training: bool | None = None) -> None:
    """Tell the screens; an event of a training action is tagged ``"training": true`` and
    reaches only screens in training mode (webui/api/training.py shown_to)."""
    if training is None:
        session = getattr(g, "session", None)
        training = session is not None and session.training
    if training:
        data = {**data, "training": True}
    current_app.config["EVENTS"].publish(kind, data)


def body() -> dict:
    data = request.get_json(silent=True)
    if data is None and request.content_length:
        raise ValidationError(_("the request body must be JSON (Content-Type: application/json)"))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValidationError(_("the request body must be a JSON object"))
    return data


def field_str(data: dict, name: str, *, required: bool = False, default: str | None = None):
    value = data.get(name, default)
    if value is None:
        if required:
            raise ValidationError(_("{name} is required", name=name), field=name)
        return None
    if not isinstance(value, str):
        raise ValidationError(_("{name} must be a string", name=name), field=name)
    return value


def require_key(data: dict, name: str) -> None:
    """``name`` must be in the body, even where ``null`` is a meaningful value."""
    if name not in data:
        raise ValidationError(_("{name} is required", name=name), field=name)


def field_int(data: dict, name: str, *, default: int | None = None,
              required: bool = False) -> int | None:
    value = data.get(name, default)
    if value is None:
        if required:
            raise ValidationError(_("{name} is required", name=name), field=name)
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(_("{name} must be a whole number", name=name), field=name)
    return value


def field_bool(data: dict, name: str, default: bool) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise ValidationError(_("{name} must be true or false", name=name), field=name)
    return value


def field_amount(data: dict, name: str, *, required: bool = True) -> int | None:
    if data.get(name) is None:
        if required:
            raise ValidationError(_("{name} is required (a decimal string like \"12.50\")",
                                    name=name),
                                  field=name)
        return None
    return money.parse_amount(data[name], field=name)


def checked_pin(pin: str, staff_id: str | None = None):
    """The active staff member with this PIN, or None; throttled per address and account.

    Checks from one address run one at a time, so a burst of parallel guesses is counted
    guess by guess instead of all passing the limit before the first failure is recorded.
    """
    throttle = current_app.config["THROTTLE"]
    address = request.remote_addr or "?"
    with throttle.checking(address):
        wait = throttle.retry_after(address, staff_id)
        if wait:
            raise TooManyAttempts(_("too many wrong PINs: try again in {seconds} seconds",
                                    seconds=int(wait) + 1), wait)
        staff = box().master.staff.authenticate(pin, staff_id)
        if staff is None:
            throttle.failed(address, staff_id)
    return staff


def approver(data: dict) -> Actor | None:
    """A manager's PIN keyed in at the screen to approve this one action."""
    pin = data.get("approver_pin")
    if pin is None:
        return None
    if not isinstance(pin, str):
        raise ValidationError(_("approver_pin must be a string of digits"), field="approver_pin")
    staff = checked_pin(pin)
    if staff is None:
        raise Forbidden(_("the approver PIN was not recognised"))
    return Actor(staff.id, staff.role, g.actor.terminal)


from . import (auth, device, events, hardware, labels, members, orders, products,  # noqa
               promotions, purchasing, stock, stocktake)  # noqa: E402,F401  (registers the routes)
from . import audit, finance, reports, settings, shifts, staff, training  # noqa: E402,F401
from . import customers  # noqa: E402,F401
from . import aftersales, ereceipt, fulfilment, notifications, returns  # noqa: E402,F401
from . import headoffice_settings  # noqa: E402,F401  (issue 11 head office)
from . import settings_logo  # noqa: E402,F401  (issue 11: receipt logo and preview)
from . import modules  # noqa: E402,F401  (issue 11: modules switched off, payment QR)
from . import device_settings  # noqa: E402,F401  (issue 11: printers, scanners and pins)
from . import backups  # noqa: E402,F401  (issue 11: backups and USB sticks)
from . import rebuild  # noqa: E402,F401  (issue 11: rebuild from head office)
