"""GET /healthz: 200 with every component's status when all are fine, 503 otherwise."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify

from appliance import __version__

from .access import PUBLIC, access

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.get("/healthz")
@access(PUBLIC)
def healthz():
    box = current_app.config["BOX"]
    components = {}
    try:
        seq, head = box.ledger.head()
        components["ledger"] = {"ok": True, "head_seq": seq, "head_hash": head}
    except Exception as exc:  # noqa: BLE001 - report, do not crash the health check
        log.exception("ledger health check failed")
        components["ledger"] = {"ok": False, "error": str(exc)}
    try:
        components["master"] = {"ok": True, **box.master.catalog.counts(),
                                "staff": len(box.master.staff.list())}
    except Exception as exc:  # noqa: BLE001
        log.exception("master data health check failed")
        components["master"] = {"ok": False, "error": str(exc)}
    ok = all(c["ok"] for c in components.values())
    body = {"status": "ok" if ok else "degraded", "version": __version__,
            "device_id": box.ledger.device_id, "components": components}
    return jsonify(body), 200 if ok else 503
