"""/api/v1 for the receipt logo and the receipt preview of the settings page (issue 11;
docs/settings.md "Shop and receipt").

The logo is uploaded as the request body itself (``Content-Type: image/png`` or
``image/jpeg``; the page downsizes big photos first, so it fits web.max_request_kb), checked
and kept by appliance/printing/logo.py, and set as ``receipt.logo`` through
change_settings: a ``settings.changed`` record with the old and new hashes. The preview is
the 1-bit strip exactly as it prints.
"""

from __future__ import annotations

import threading
from dataclasses import asdict

from flask import Response, g, jsonify, request

from appliance.errors import NotFound, ValidationError
from appliance.i18n import _, language
from appliance.printing import logo as receipt_logo
from appliance.settings_changes import change_settings
from drivers.printer.layout import COLUMNS, Receipt, lay_out

from ..access import LOGIN, access
from . import box, bp, publish
from .settings import _all


#: One logo change at a time: two owners' uploads must not delete each other's file.
_changing = threading.Lock()


def _set_logo(digest: str, data: bytes | None = None) -> tuple[str, dict]:
    """Keep ``data`` (an upload) or set ``digest`` ("": none); the hash and the changes."""
    real = box()
    with _changing:
        if data is not None:
            digest = receipt_logo.store(real.master, data)
        changes = change_settings(real.ledger, real.master, g.actor, {"receipt.logo": digest})
        receipt_logo.remove_unused(real.master, digest)
    if changes:
        publish("settings", {"keys": sorted(changes)})
    return digest, changes


@bp.post("/settings/logo")
@access("settings.edit")
def upload_logo():
    if (request.mimetype or "").startswith("application/json") or \
            request.mimetype == "multipart/form-data":
        raise ValidationError(_("send the logo image itself as the request body "
                                "(Content-Type image/png or image/jpeg)"), field="logo")
    digest, changes = _set_logo("", request.get_data(cache=False))
    return jsonify({**_all(), "changed": changes, "logo": digest})


@bp.delete("/settings/logo")
@access("settings.edit")
def remove_logo():
    _digest, changes = _set_logo("")
    return jsonify({**_all(), "changed": changes, "logo": ""})


def _paper() -> int:
    value = request.args.get("width_mm")
    if value is None:
        return box().master.settings.get("receipt.width_mm")
    if value not in ("58", "80"):
        raise ValidationError(_("width_mm must be 58 or 80"), field="width_mm")
    return int(value)


@bp.get("/settings/logo/preview.png")
@access(LOGIN)
def logo_preview():
    """The logo as it prints on this paper (``?width_mm=58|80``, default the setting's)."""
    paper = _paper()
    digest = box().master.settings.get("receipt.logo")
    if not digest:
        raise NotFound(_("no receipt logo is set"))
    png = receipt_logo.dithered_png(box().master, digest, paper)
    resp = Response(png, mimetype="image/png")
    resp.headers["Cache-Control"] = "no-cache"
    resp.headers["ETag"] = f'"{digest[:16]}-{paper}"'
    return resp


def sample_receipt(settings) -> Receipt:
    """A made-up sale laid out with the shop's settings (amounts in fen)."""
    return Receipt(
        shop_name=settings.get("shop.name"), header=settings.get("receipt.header"),
        address=settings.get("shop.address"), phone=settings.get("shop.phone"),
        tax_id=settings.get("shop.tax_id"),
        footer=settings.get("receipt.footer"), order_number="20261127-0001", receipt_no=1,
        time="2026-11-27 10:30", cashier=_("Sample"),
        lines=[{"name": _("Sample item"), "spec": "", "qty": 2, "unit_price": 1250,
                "amount": 2500}],
        subtotal=2500, adjustments=[], total=2500,
        tenders=[{"method": "cash", "amount": 3000, "reference": ""}], change=500)


@bp.get("/settings/receipt-preview")
@access(LOGIN)
def receipt_preview():
    """A sample receipt's lines with the current settings (``?width_mm=`` to try a width)."""
    paper = _paper()
    settings = box().master.settings
    with language(settings.get("receipt.language")):
        lines = lay_out(sample_receipt(settings), paper)
    return jsonify({"paper_mm": paper, "columns": COLUMNS[paper],
                    "logo": bool(settings.get("receipt.logo")),
                    "lines": [asdict(ln) for ln in lines]})
