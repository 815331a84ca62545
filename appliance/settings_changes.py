"""Changing shop settings as a journalled, audited act (issue 9; docs/staff-audit.md).

Settings live in master data; a ``settings.changed`` record {changes: {key: {from, to}}}
puts each change on the audit page and sends it to head office. Like staff changes, the
master-data write happens inside the ledger transaction before the record is appended, and
is undone if the record does not commit.
"""

from __future__ import annotations

import importlib
import logging

from .errors import ValidationError
from .i18n import _
from .master.settings import SETTINGS_SCHEMA, validate_setting
from .orders.permissions import Actor, require

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")

#: Settings that are amounts in fen (ints in the API too: see docs/api.md).
FEN_SETTINGS = ("orders.cashier_refund_limit", "members.fen_per_point",
                "members.max_change_to_card", "shifts.over_short_limit",
                "shifts.default_float")


def describe() -> dict:
    """Every setting's type, default and description, for a settings screen."""
    names = {str: "text", int: "integer", bool: "boolean", list: "list"}
    return {key: {"type": names[spec.type], "default": spec.default,
                  "description": spec.description,
                  "unit": "fen" if key in FEN_SETTINGS else None}
            for key, spec in SETTINGS_SCHEMA.items()}


#: Pre-change checks: ``check(tx, master, changes)`` runs inside the change's transaction,
#: before anything is written, with ``changes`` {key: {"from", "to"}} of what would change;
#: it raises (Conflict, ValidationError, ...) to refuse the whole change. Listed here as
#: "module:function" (imported when first needed: the owners import this module's
#: neighbours, so no import cycle), plus any added with :func:`register_check`.
PRE_CHANGE_CHECKS = ("appliance.modules:refuse_switching_off_open_work",
                     "appliance.printing.logo:refuse_logo_not_kept")
_registered: list = []


def register_check(check):
    """Add a pre-change check (usable as a decorator); registering one twice is a no-op."""
    if check not in _registered:
        _registered.append(check)
    return check


def _pre_change_checks() -> list:
    found = []
    for name in PRE_CHANGE_CHECKS:
        module, function = name.split(":")
        found.append(getattr(importlib.import_module(module), function))
    return found + _registered


def change_settings(ledger, master, actor: Actor, values) -> dict:
    """Set several settings at once, all or nothing; returns {key: {"from", "to"}} of those
    that changed (none: no record)."""
    require(actor, "settings.edit", what="changing settings")
    if not isinstance(values, dict) or not values:
        raise ValidationError(_("give at least one setting to change, as key: value"))
    settings = master.settings
    checked = {key: validate_setting(key, value) for key, value in values.items()}
    checks = _pre_change_checks()
    changes: dict = {}
    written = False
    try:
        # The ledger's lock also keeps two changes from reading the same old values (take
        # no master-data lock first: staff changes take the two in the other order).
        with ledger.transaction() as tx:
            for key, value in checked.items():
                old = settings.get(key)
                if value != old:
                    changes[key] = {"from": old, "to": value}
            if not changes:
                return {}
            for check in checks:
                check(tx, master, changes)
            written = True
            settings.update({key: c["to"] for key, c in changes.items()})
            tx.append("settings.changed", actor.journal(ledger.device_id),
                      {"changes": changes})
    except BaseException:
        if written:
            log.error("settings change not journalled: putting the old values back")
            settings.update({key: c["from"] for key, c in changes.items()})
        raise
    audit.info("settings changed keys=%s by=%s", ",".join(sorted(changes)), actor.staff_id)
    return changes
