"""What plain HTTP serves when HTTPS is on: the CA page and certificate, the health check,
and a redirect to HTTPS for everything else (308 keeps the method and body)."""

from __future__ import annotations

from flask import Flask, redirect, request

from . import ca, health, i18n


def with_device_api(plain, full):
    """The daemons call core over plain HTTP on loopback: their /api/v1/device/ calls go to the
    full application (which checks loopback and the device token), everything else to
    ``plain``."""
    def dispatch(environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/api/v1/device/"):
            return full(environ, start_response)
        return plain(environ, start_response)
    return dispatch


def create_plain_app(box) -> Flask:
    app = Flask(__name__)
    app.config.update(BOX=box)
    i18n.init(app)
    app.register_blueprint(ca.bp)
    app.register_blueprint(health.bp)
    https_port = box.config.web.https_port

    @app.before_request
    def to_https():
        if request.endpoint in ("ca.ca_page", "ca.ca_certificate", "health.healthz", "static"):
            return None
        host = request.host.split(":")[0]
        port = "" if https_port == 443 else f":{https_port}"
        query = f"?{request.query_string.decode()}" if request.query_string else ""
        return redirect(f"https://{host}{port}{request.path}{query}", code=308)

    return app
