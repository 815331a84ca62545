"""Modules switched off in the settings (issue 11; appliance/modules.py, docs/settings.md),
and the shop's own payment codes (收款码) as pictures for the screens.

Every route that starts a *new* use of a module is listed in :data:`MODULE_ENDPOINTS`; while
the module is off it answers 409 ``{"error": "<module> is switched off in the settings",
"code": "module_off", "module": name}``. Reading what is on record, and finishing what was
started (paying a member's balance out, shipping a delivery, approving an open count,
leaving training mode), keeps working. Paying by member balance or points is refused by the
order engine itself, and promotions off prices orders without the rules.
"""

from __future__ import annotations

import io

from flask import current_app, request

from appliance import modules
from appliance.errors import NotFound, ValidationError
from appliance.i18n import _

from ..access import LOGIN, access
from . import bp

#: Endpoint -> module it belongs to (new uses only; see the module docstring).
MODULE_ENDPOINTS = {
    # members: signing up, topping up, gifts for points, corrections, levels, the order's member
    "api.sign_up": "members", "api.top_up": "members", "api.redeem_gift": "members",
    "api.adjust_points": "members", "api.create_level": "members", "api.edit_level": "members",
    "api.set_member": "members",
    # promotions: rules and coupons
    "api.create_promotion": "promotions", "api.edit_promotion": "promotions",
    "api.switch_promotion": "promotions", "api.preview": "promotions",
    "api.add_coupon": "promotions",
    # stocktake: a new count and its entries, the count sheet
    "api.start_count": "stocktake", "api.add_entry": "stocktake",
    "api.print_count": "stocktake",
    # delivery and pick-up: marking an order
    "api.fulfilment_set": "delivery",
    # training mode and the quiz
    "api.training_session": "training", "api.start_quiz": "training",
}


def _finishing() -> bool:
    """Requests that only undo a module's use (allowed while it is off)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return False
    if request.endpoint == "api.set_member":
        return "member_id" in data and data["member_id"] is None   # taking the member off
    if request.endpoint == "api.training_session":
        return data.get("on") is False                              # leaving training mode
    return False


@bp.before_request
def _module_switched_off():
    name = MODULE_ENDPOINTS.get(request.endpoint or "")
    if name is None or _finishing():
        return
    # The real box's switches, also for a session in training mode (one shop, one setting).
    modules.require(current_app.config["BOX"].master.settings, name)


#: The tenders a shop can show its own collection code for, and the setting holding it.
QR_SETTINGS = {"wechat": "payment.qr_wechat", "alipay": "payment.qr_alipay"}


@bp.get("/payment-qr/<method>.svg")
@access(LOGIN)
def payment_qr(method: str):
    """The shop's own collection code for ``method`` re-drawn from its text (for the customer
    display while that payment is taken, and for the owner to check it on the settings
    page). 404 while none is set."""
    import segno
    key = QR_SETTINGS.get(method)
    if key is None:
        raise ValidationError(_("only {methods} have a collection code, not {method}",
                                methods=", ".join(QR_SETTINGS), method=repr(method)),
                              field="method")
    text = current_app.config["BOX"].master.settings.get(key)
    if not text:
        raise NotFound(_("no collection code is set for {method}: the owner adds it under"
                         " Settings, Payment", method=method))
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=8, border=2)
    # Never cached: the owner may have replaced the code a moment ago.
    return out.getvalue(), 200, {"Content-Type": "image/svg+xml",
                                 "Cache-Control": "no-store"}


#: Office pages that belong to a module: their tab is left out while it is off.
OFFICE_PAGES = {"office.training": "training", "office.deliveries": "delivery"}


@bp.app_context_processor
def _module_switches() -> dict:
    """Every page knows the switches (base.html puts ``module-off-<name>`` classes on the
    body, which tillbox.css uses to hide ``[data-module=<name>]``) and the tenders' order."""
    box = current_app.config.get("BOX")
    if box is None:
        return {}
    settings = box.master.settings
    switches = modules.switches(settings)
    return {"modules_on": switches, "tenders_enabled": settings.get("tenders.enabled"),
            "module_off_classes": "".join(f" module-off-{name}" for name, on in
                                          switches.items() if not on),
            "office_modules": OFFICE_PAGES}
