"""The box's CA certificate for phones: a page with a QR code and the certificate itself.

Served over plain HTTP too (a phone must fetch it before it trusts the box's HTTPS).
"""

from __future__ import annotations

import io

import segno
from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import get_locale

from appliance.i18n import _
from appliance.errors import NotFound

from .access import PUBLIC, access

bp = Blueprint("ca", __name__)


def ca_path(box):
    return box.config.data_dir / "tls" / "ca.crt"


@bp.get("/ca.crt")
@access(PUBLIC)
def ca_certificate():
    path = ca_path(current_app.config["BOX"])
    if not path.exists():
        raise NotFound(_("HTTPS is not switched on for this box (web.https_port)"))
    return path.read_bytes(), 200, {
        "Content-Type": "application/x-x509-ca-cert",
        "Content-Disposition": 'attachment; filename="tillbox-ca.crt"'}


@bp.get("/ca")
@access(PUBLIC)
def ca_page():
    box = current_app.config["BOX"]
    if not ca_path(box).exists():
        raise NotFound(_("HTTPS is not switched on for this box (web.https_port)"))
    # Always the plain-HTTP address: the phone does not trust HTTPS yet.
    host = request.host.split(":")[0]
    http_port = box.config.web.port
    cert_url = f"http://{host}{'' if http_port == 80 else f':{http_port}'}" + \
        url_for("ca.ca_certificate")
    out = io.BytesIO()
    segno.make(cert_url, error="m").save(out, kind="svg", scale=6, border=2)
    https_port = box.config.web.https_port
    secure_url = f"https://{host}{'' if https_port == 443 else f':{https_port}'}/"
    return render_template("ca.html", shop_name=box.master.settings.get("shop.name"),
                           locale=str(get_locale()), strings={}, business_day="", timezone="",
                           cert_url=cert_url,
                           secure_url=secure_url, qr_svg=out.getvalue().decode("utf-8"))
