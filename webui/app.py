"""Application factory (the flaskr pattern): the box and its configuration are passed in."""

from __future__ import annotations

from flask import Flask, jsonify, redirect, request, url_for
from werkzeug.exceptions import HTTPException

from appliance.errors import TillboxError, Unauthorized

from appliance.devices import DeviceBoard
from appliance.provisioning import SetupDesk
from appliance.scans import ScanDesk, rules_from_config

from . import access, ca, i18n
from .api import api_error_for_unrouted
from .api import bp as api_bp

from .ereceipt import bp as ereceipt_bp
from .events import EventBus
from .health import bp as health_bp
from .help import bp as help_bp  # issue 11 built-in help
from .office import bp as office_bp
from .pages import bp as pages_bp
from .setup import bp as setup_bp
from .sessions import SessionStore
from .throttle import LoginThrottle


def create_app(box) -> Flask:
    cfg = box.config
    app = Flask(__name__)
    sessions = SessionStore(idle_seconds=cfg.web.session_idle_minutes * 60)
    app.config.update(
        BOX=box,
        SESSIONS=sessions,
        THROTTLE=LoginThrottle(),
        # Leave a few worker threads free for ordinary requests however many screens listen.
        EVENTS=EventBus(max_subscribers=max(1, cfg.web.threads - 4)),
        MAX_CONTENT_LENGTH=cfg.web.max_request_kb * 1024,
        DEVICES=DeviceBoard(linked=bool(cfg.mqtt.host)),
        SCANS=ScanDesk(box, rules_from_config(cfg), session_alive=sessions.alive),
        # Setup of a new box: opened by webui.setup.start() when core starts (services/core.py).
        SETUP=SetupDesk(box),
    )
    events = app.config["EVENTS"]
    from .api.device import job_json
    box.printing.on_change = lambda jobs: [events.publish("print_job", job_json(j))
                                           for j in jobs]
    app.json.ensure_ascii = False
    i18n.init(app)
    app.register_blueprint(health_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(office_bp)
    app.register_blueprint(ereceipt_bp)
    app.register_blueprint(setup_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(ca.bp)
    app.register_blueprint(help_bp)  # issue 11 built-in help
    # Flask's static view gets an access rule like every other route.
    static_view = app.view_functions["static"]
    app.view_functions["static"] = access.access(access.PUBLIC)(
        lambda filename: static_view(filename=filename))
    app.before_request(access.enforce)

    @app.errorhandler(TillboxError)
    def tillbox_error(exc: TillboxError):
        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
            return jsonify(exc.to_json()), exc.status
        if isinstance(exc, Unauthorized):  # a page: go and sign in, then come back
            return redirect(url_for("pages.login", next=request.path))
        # Plain text: messages quote what people typed and must never become markup.
        return exc.message, exc.status, {"Content-Type": "text/plain; charset=utf-8"}

    app.register_error_handler(HTTPException, api_error_for_unrouted)
    return app


def device_tick(app) -> None:
    """What core does every few seconds for the devices: expire print jobs that are too old
    (screens hear of it), and tell screens when printerd or uplinkd has gone silent."""
    app.config["BOX"].printing.expire_old()
    devices = app.config["DEVICES"]
    for kind, view in (("printer", devices.printer()), ("uplink", devices.uplink())):
        if view != app.config.get(f"LAST_{kind}_VIEW"):
            app.config[f"LAST_{kind}_VIEW"] = view
            app.config["EVENTS"].publish(kind, view)
