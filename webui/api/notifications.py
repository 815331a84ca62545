"""/api/v1 routes of issue 10 (notifications; docs/notifications.md).

The outbox for managers (list, retry, cancel, a test message) and for the box's own daemons
(notifyd for e-mail and the modem, uplinkd for head office's relay): claim the next due
message, report the result, report delivery. Nothing here sends: the daemons do.
"""

from __future__ import annotations

import logging

from flask import g, jsonify, request

from appliance.errors import ValidationError
from appliance.i18n import _

from ..access import DEVICE, access
from . import body, box, bp, field_str

log = logging.getLogger(__name__)

LONG_POLL_MAX = 25


@bp.get("/notifications")
@access("notify.view")
def list_notifications():
    args = request.args
    limit = args.get("limit", 100, type=int)
    if not 1 <= limit <= 500:
        raise ValidationError(_("limit must be between 1 and 500"), field="limit")
    return jsonify(box().notifications.list(
        g.actor, state=args.get("state") or None, event=args.get("event") or None,
        channel=args.get("channel") or None, order_id=args.get("order_id") or None,
        limit=limit))


@bp.post("/notifications/<notification_id>/retry")
@access("notify.manage")
def retry_notification(notification_id: str):
    return jsonify(box().notifications.retry(g.actor, notification_id))


@bp.post("/notifications/<notification_id>/cancel")
@access("notify.manage")
def cancel_notification(notification_id: str):
    return jsonify(box().notifications.cancel(g.actor, notification_id))


@bp.post("/notifications/test")
@access("notify.manage")
def test_notification():
    data = body()
    channel = field_str(data, "channel", required=True)
    address = field_str(data, "address", required=True)
    return jsonify(box().notifications.send_test(g.actor, channel, address)), 201


# -- the daemons ---------------------------------------------------------------------------

@bp.post("/device/notifications/claim")
@access(DEVICE)
def claim_notification():
    data = body()
    wait = data.get("wait", 0)
    if isinstance(wait, bool) or not isinstance(wait, (int, float)) or wait < 0:
        raise ValidationError(_("wait must be a number of seconds"), field="wait")
    found = box().notifications.claim(data.get("routes"), min(float(wait), LONG_POLL_MAX))
    if found is None:
        return "", 204
    return jsonify(found)


@bp.post("/device/notifications/<notification_id>/result")
@access(DEVICE)
def notification_result(notification_id: str):
    data = body()
    outcome = field_str(data, "outcome", required=True)
    n = box().notifications.result(notification_id, outcome,
                                   provider_ref=field_str(data, "provider_ref", default=""),
                                   error=field_str(data, "error", default=""))
    return jsonify({"id": n["id"], "state": n["state"], "attempts": n["attempts"],
                    "next_try": n["next_try"]})


@bp.post("/device/notifications/delivery")
@access(DEVICE)
def notification_delivery():
    data = body()
    route = field_str(data, "route", required=True)
    reference = field_str(data, "reference", required=True)
    status = field_str(data, "status", required=True)
    ids = box().notifications.delivery(route, reference, status)
    return jsonify({"ids": ids})
