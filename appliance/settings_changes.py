"""Changing shop settings as a journalled, audited act (issue 9; docs/staff-audit.md).

Settings live in master data; a ``settings.changed`` record {changes: {key: {from, to}}}
puts each change on the audit page and sends it to head office. Like staff changes, the
master-data write happens inside the ledger transaction before the record is appended, and
is undone if the record does not commit.
"""

from __future__ import annotations

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


def change_settings(ledger, master, actor: Actor, values) -> dict:
    """Set several settings at once, all or nothing; returns {key: {"from", "to"}} of those
    that changed (none: no record)."""
    require(actor, "settings.edit", what="changing settings")
    if not isinstance(values, dict) or not values:
        raise ValidationError(_("give at least one setting to change, as key: value"))
    settings = master.settings
    checked = {key: validate_setting(key, value) for key, value in values.items()}
    changes: dict = {}
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
            settings.update({key: c["to"] for key, c in changes.items()})
            tx.append("settings.changed", actor.journal(ledger.device_id),
                      {"changes": changes})
    except BaseException:
        if changes:
            log.error("settings change not journalled: putting the old values back")
            settings.update({key: c["from"] for key, c in changes.items()})
        raise
    audit.info("settings changed keys=%s by=%s", ",".join(sorted(changes)), actor.staff_id)
    return changes
