"""The settings page's "Modules" section (issue 11; docs/settings.md "Modules"): switch
members, promotions, stocktake, delivery and training on or off (appliance/modules.py), so a
small shop sees a simple screen. Template _settings_modules.html, script
js/settings_modules.js; each switch is one PATCH /api/v1/settings (one journal record)."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from appliance import modules


def _about() -> dict:
    """What switching each module off does, in a sentence for the owner."""
    return {
        "members": _("Off: no sign-ups, top-ups or member prices, and no paying from a member's balance or points. Pay every stored-value balance out first: it cannot be switched off while a card holds money. Points stay on record and come back when it is switched on again."),
        "promotions": _("Off: no promotion rules, coupons or promotion discounts at the till. The rules are kept for when it is switched on again."),
        "stocktake": _("Off: the stocktake tab is hidden and no count can be started. Approve or cancel an open count first: it cannot be switched off while one is open."),
        "delivery": _("Off: the Deliveries page is hidden and orders can no longer be marked for delivery or pick-up. Finish or cancel those already marked first: it cannot be switched off while one is open."),
        "training": _("Off: nobody can start training mode or the product quiz."),
    }


def script_strings() -> dict:
    """Strings js/settings_modules.js shows; keys start with ``st_modules_``."""
    return {
        "st_modules_on": _("%(module)s switched on", module="{module}"),
        "st_modules_off": _("%(module)s switched off", module="{module}"),
    }


def context() -> dict:
    """Each module: (name, label, what off means, switched on)."""
    settings = current_app.config["BOX"].master.settings
    about = _about()
    return {"module_switches": [(name, modules.label(name), about[name],
                                 modules.enabled(settings, name))
                                for name in modules.MODULES]}
