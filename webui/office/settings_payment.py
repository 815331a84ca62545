"""The settings page's "Payment" section (issue 11; docs/settings.md "Payment"):
round-off, the tenders offered at the counter and their order, and the shop's own WeChat Pay
and Alipay collection codes (收款码). Template _settings_payment.html, script
js/settings_payment.js; every change is one PATCH /api/v1/settings (one journal record)."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from appliance.master.settings import MERCHANT_QR_MAX, TENDER_METHODS


def method_labels() -> dict:
    """Each tender's name for people (the counter's buttons say the same)."""
    return {"cash": _("Cash"), "card": _("Card"), "transfer": _("Bank transfer"),
            "cheque": _("Cheque"), "wechat": _("WeChat Pay"), "alipay": _("Alipay"),
            "member_balance": _("Stored value"), "points": _("Points"),
            "credit_note": _("Credit note")}


def script_strings() -> dict:
    """Strings js/settings_payment.js shows; keys start with ``st_payment_``."""
    return {
        "st_payment_saved": _("Payment settings saved"),
        "st_payment_unchanged": _("Nothing changed"),
        "st_payment_up": _("Move up"), "st_payment_down": _("Move down"),
        "st_payment_none_on": _("Switch on at least one way to pay"),
        "st_payment_qr_saved": _("Collection code saved: check it with your own phone"),
        "st_payment_qr_removed": _("Collection code removed"),
        "st_payment_qr_read": _("Code read from the picture: check it and save"),
        "st_payment_qr_unreadable": _("No QR code found in the picture: take a sharper, straight photo of the code alone, or paste its text"),
        "st_payment_qr_no_camera": _("This browser cannot use the camera here (it needs HTTPS): upload a picture instead"),
    }


def context() -> dict:
    """The round-off, the tenders (switched-on ones first, in their order) and the codes."""
    settings = current_app.config["BOX"].master.settings
    enabled = settings.get("tenders.enabled")
    labels = method_labels()
    order = list(enabled) + [m for m in TENDER_METHODS if m not in enabled]
    return {
        "payment_round_off_unit": settings.get("money.round_off_unit"),
        "payment_round_off_mode": settings.get("money.round_off_mode"),
        "payment_round_off_units": (("none", _("No round-off")),
                                    ("0.1", _("To 0.1 yuan (角)")),
                                    ("1", _("To 1 yuan (元)"))),
        "payment_round_off_modes": (("down", _("Always down (抹零)")),
                                    ("half_up", _("To the nearest (四舍五入)"))),
        "payment_tenders": [(m, labels.get(m, m), m in enabled) for m in order],
        "payment_codes": [("wechat", _("WeChat Pay collection code"),
                           settings.get("payment.qr_wechat"), "wxp://… / https://…"),
                          ("alipay", _("Alipay collection code"),
                           settings.get("payment.qr_alipay"), "https://qr.alipay.com/…")],
        "payment_qr_max": MERCHANT_QR_MAX,
    }
