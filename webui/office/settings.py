"""The owner's settings page (issue 11; docs/settings.md): one page, one section per part of
the shop (shop and receipt, payment, modules, devices, head office, backups). Each section is
a module here (``settings_<section>.py``: its strings and template context), a template
``_settings_<section>.html`` and a script ``js/settings_<section>.js``; every change goes
through /api/v1 and is a journal record."""

from __future__ import annotations

from ..access import access
from . import bp, office_page
from . import (settings_backup, settings_devices, settings_headoffice, settings_modules,
               settings_payment, settings_shop)

#: The page's sections, in the order shown.
SECTIONS = (("shop", settings_shop), ("payment", settings_payment),
            ("modules", settings_modules), ("devices", settings_devices),
            ("headoffice", settings_headoffice), ("backup", settings_backup))


def script_strings() -> dict:
    strings: dict = {}
    for _key, module in SECTIONS:
        strings.update(module.script_strings())
    return strings


@bp.get("/office/settings")
@access("settings.edit")
def settings():
    context: dict = {}
    for _key, module in SECTIONS:
        context.update(module.context())
    return office_page("office_settings.html", "office.settings",
                       sections=[key for key, _module in SECTIONS], **context)
