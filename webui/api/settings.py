"""/api/v1 for shop settings (docs/api.md): read them with their descriptions; change
several at once, all or nothing, as one ``settings.changed`` journal record (so the change
is on the audit page and reaches head office). Amount settings are ints in fen here, as in
master data (``unit: "fen"`` in the description)."""

from __future__ import annotations

from flask import g, jsonify

from appliance.settings_changes import change_settings, describe

from ..access import LOGIN, access
from . import body, box, bp, publish


def _all() -> dict:
    return {"settings": box().master.settings.all(), "schema": describe()}


@bp.get("/settings")
@access(LOGIN)
def get_settings():
    return jsonify(_all())


@bp.patch("/settings")
@access("settings.edit")
def change_shop_settings():
    changes = change_settings(box().ledger, box().master, g.actor, body())
    if changes:
        publish("settings", {"keys": sorted(changes)})
    return jsonify({**_all(), "changed": changes})
