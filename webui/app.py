"""Application factory (the flaskr pattern): configuration and the box are passed in."""

from __future__ import annotations

from flask import Flask, jsonify, request

from appliance.errors import TillboxError

from . import i18n
from .health import bp as health_bp
from .pages import bp as pages_bp


def create_app(box) -> Flask:
    app = Flask(__name__)
    app.config["BOX"] = box
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False
    i18n.init(app)
    app.register_blueprint(health_bp)
    app.register_blueprint(pages_bp)

    @app.errorhandler(TillboxError)
    def tillbox_error(exc: TillboxError):
        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
            return jsonify(exc.to_json()), exc.status
        # Plain text: messages quote what people typed and must never become markup.
        return exc.message, exc.status, {"Content-Type": "text/plain; charset=utf-8"}

    return app
