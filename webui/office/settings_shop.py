"""The settings page's "Shop and receipt" section (issue 11; docs/settings.md): the shop's
name, address, phone and tax id, the receipt's header, footer, paper width and language, the
receipt logo (uploaded, dithered, previewed exactly as it prints) and a sample receipt laid
out with the current settings. Template _settings_shop.html, script js/settings_shop.js; the
API is /api/v1/settings and webui/api/settings_logo.py."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

#: The settings this section edits, in the order of the form.
KEYS = ("shop.name", "shop.address", "shop.phone", "shop.tax_id", "receipt.header",
        "receipt.footer", "receipt.width_mm", "receipt.language")


def script_strings() -> dict:
    """Strings js/settings_shop.js shows; keys start with ``st_shop_``."""
    return {
        "st_shop_saved": _("Saved: the next receipt uses it"),
        "st_shop_unchanged": _("Nothing changed"),
        "st_shop_saving": _("Saving…"),
        "st_shop_fix": _("Check the marked field"),
        "st_shop_logo_sending": _("Sending the logo…"),
        "st_shop_logo_saved": _("Logo saved: receipts print it from now on"),
        "st_shop_logo_removed": _("Logo removed"),
        "st_shop_logo_confirm": _("Remove the logo from the receipts?"),
        "st_shop_logo_unreadable": _("This file cannot be read as an image: choose a PNG or "
                                     "JPEG"),
        "st_shop_logo_too_big": _("This image is too big to send even after shrinking it: "
                                  "choose a smaller one"),
        "st_shop_logo_size": _("%(w)s × %(h)s dots as printed", w="{w}", h="{h}"),
        "st_shop_logo_none": _("No logo: receipts start with the shop name."),
    }


def context() -> dict:
    """What _settings_shop.html needs: the current values and the upload limit."""
    box = current_app.config["BOX"]
    settings = box.master.settings
    return {"shop_settings": {key: settings.get(key) for key in KEYS},
            "shop_logo": settings.get("receipt.logo"),
            "shop_upload_limit": box.config.web.max_request_kb * 1024}
