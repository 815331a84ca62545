"""The setup page of a new box: /setup and POST /api/v1/setup (appliance/provisioning.py).

Open only while the box is not provisioned and core has issued a setup code at its start
(:func:`start`); then / and /login lead here. Both routes are public: nobody can sign in yet.
The code is what keeps a customer on the shop Wi-Fi out, so wrong codes are throttled like
wrong PINs. The POST takes JSON only, as the sign-in does: a form on another site cannot send
``application/json`` without a CORS preflight that core never answers.
"""

from __future__ import annotations

import logging
import socket

from flask import Blueprint, current_app, jsonify, redirect, request, url_for

from appliance.errors import Conflict, TooManyAttempts
from appliance.i18n import _
from appliance.provisioning import SetupDesk, parse_form

from .access import PUBLIC, access

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")

bp = Blueprint("setup", __name__)


def desk() -> SetupDesk:
    return current_app.config["SETUP"]


def pending() -> bool:
    """Whether / and /login should lead to the setup page."""
    setup = current_app.config.get("SETUP")
    return setup is not None and setup.pending


def start(app) -> bool:
    """At core's start, before serving: open setup while the box is not provisioned, and
    queue the setup slip for the printer. True when setup is open."""
    if not app.config["SETUP"].open():
        return False
    from appliance.printing.documents import enqueue_setup_slip
    enqueue_setup_slip(app.config["BOX"], hostname=socket.gethostname())
    return True


@bp.get("/setup")
@access(PUBLIC)
def page():
    from .pages import _page
    if not pending():
        return redirect(url_for("pages.login"))
    box = current_app.config["BOX"]
    cfg = box.config
    code = request.args.get("code", "")
    # Prefilled with what is in effect: a broker set in the config file stays unless changed;
    # the default store id ("demo-store") is no answer.
    store_id = cfg.shop.store_id if cfg.origins.get("shop.store_id") != "default" else ""
    return _page("setup.html", code=code if code.isdigit() and len(code) <= 12 else "",
                 device_id=box.ledger.device_id, hostname=socket.gethostname(),
                 store_id=store_id, mqtt_host=cfg.mqtt.host, mqtt_port=cfg.mqtt.port,
                 mqtt_tls=cfg.mqtt.tls)


@bp.post("/api/v1/setup")
@access(PUBLIC)
def submit():
    from .api import body
    data = body()
    setup = desk()
    if not setup.pending:
        raise Conflict(_("this box is already set up: sign in with your PIN"))
    throttle = current_app.config["THROTTLE"]
    address = request.remote_addr or "?"
    with throttle.checking(address):
        wait = throttle.retry_after(address)
        if wait:
            raise TooManyAttempts(_("too many wrong codes: try again in {seconds} seconds",
                                    seconds=int(wait) + 1), wait)
        if not setup.code_ok(data.get("code")):
            throttle.failed(address)
            audit.warning("setup refused from %s: wrong setup code", address)
            return _field_errors({"code": _("wrong setup code: it is on the setup slip, or "
                                            "run `tillbox setup-code` on the box")}, 403)
    form, errors = parse_form(data)
    if errors:
        return _field_errors(errors, 400)
    owner = setup.complete(form, address)
    # The counter shows the head-office link from now on (or "not linked").
    current_app.config["DEVICES"].set_linked(bool(box_config().mqtt.host))
    return jsonify({"owner": owner.to_public(), "store_id": box_config().shop.store_id,
                    "next": url_for("pages.login"),
                    "message": _("Now sign in with your PIN.")})


def box_config():
    return current_app.config["BOX"].config


def _field_errors(errors: dict[str, str], status: int):
    field, message = next(iter(errors.items()))
    return jsonify({"error": message, "code": "invalid" if status == 400 else "forbidden",
                    "field": field, "fields": errors}), status


@bp.errorhandler(TooManyAttempts)
def _too_many(exc: TooManyAttempts):
    resp = jsonify(exc.to_json())
    resp.headers["Retry-After"] = str(int(exc.retry_after) + 1)
    return resp, exc.status
