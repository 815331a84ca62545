"""Rebuilding a box from head office's journal over the MQTT link (issue 11; docs/api.md
"Rebuild from head office", docs/replacing-a-box.md, appliance/replace/received.py).

* ``POST /device/journal-restore`` (uplinkd, DEVICE): one part of ``cmd/journal.restore``,
  stored durably; nothing else happens in the request (the whole journal is checked in a
  background thread once every part is here).
* ``GET /rebuild`` (owner): what head office sent and its state, for the settings page.
* ``POST /rebuild`` (owner): "Rebuild now": writes the request tillbox-rebuild.path waits for.
"""

from __future__ import annotations

import logging

from flask import current_app, g, jsonify

from appliance.replace import received

from ..access import DEVICE, access
from . import body, bp

log = logging.getLogger(__name__)


def _real():
    return current_app.config["BOX"]     # never the training stack: this is the real ledger


def _head() -> int:
    return _real().ledger.head()[0]


@bp.post("/device/journal-restore")
@access(DEVICE)
def journal_restore_part():
    box = _real()
    result = received.receive_part(box.config, _head(), body())
    return jsonify({"detail": result["detail"],
                    "rebuild": received.public_status(result["status"])})


@bp.get("/rebuild")
@access("settings.edit")
def rebuild_status():
    status = received.resume(_real().config)
    return jsonify({"rebuild": received.public_status(status) if status else None,
                    "ledger_records": _head()})


@bp.post("/rebuild")
@access("settings.edit")
def rebuild_now():
    body()   # a body, if any, must be JSON; nothing in it is used
    status = received.request_rebuild(_real().config, g.actor.staff_id, _head())
    return jsonify({"rebuild": received.public_status(status), "ledger_records": 0}), 202
