"""/api/v1 routes of the e-receipt page (issue 10 point 1; docs/ereceipt.md): what customers
send from head office's copy of the page. Head office has no receipt key: it checks a link
against the order's ``order.paid`` record and relays the request as ``cmd/customer.request``;
uplinkd hands the command's ``args`` to this DEVICE route, which checks the link again with
the box's key and records the feedback or opens the after-sales ticket (source head_office).
"""

from __future__ import annotations

import logging

from flask import current_app, jsonify

from appliance import ereceipt as service
from appliance.errors import NotFound, ValidationError
from appliance.i18n import _

from ..access import DEVICE, access
from . import body, bp

log = logging.getLogger(__name__)


@bp.post("/device/customer-requests")
@access(DEVICE)
def customer_request():
    """cmd/customer.request: {order_id, token, kind: feedback|return_request|complaint,
    rating (feedback), comment}."""
    data = body()
    box = current_app.config["BOX"]   # never the training stack: these are real customers
    token = data.get("token")
    if not isinstance(token, str) or not token:
        raise ValidationError(_("token must be the e-receipt link's token"), field="token")
    try:
        order_id = service.order_id_of(box.receipt_key, token)
    except NotFound:
        raise NotFound(_("the e-receipt link is not valid on this box"), field="token") from None
    if data.get("order_id") != order_id:
        raise ValidationError(_("order_id does not match the link"), field="order_id")
    kind = service.parse_kind(data.get("kind"), service.RELAYED_KINDS)
    order = service.load_paid_order(box, order_id)
    request_id = data.get("command_id")   # set by uplinkd: head office's command id
    if request_id is not None and (not isinstance(request_id, str) or not request_id
                                   or len(request_id) > 64):
        raise ValidationError(_("command_id must be the command's id"), field="command_id")
    # One transaction: the check and the record together, so a command handed over twice
    # (uplinkd restarted before answering) is recorded once.
    with box.ledger.transaction() as tx:
        if request_id and service.already_recorded(tx.conn, request_id):
            return jsonify({"detail": "already recorded", "order_id": order_id}), 200
        if kind == "feedback":
            rating = service.parse_rating(data.get("rating"))
            comment = service.parse_comment(data.get("comment"), required=False)
            service.record_feedback(box, order, rating, comment, "head_office",
                                    request_id=request_id)
            return jsonify({"detail": "feedback recorded", "order_id": order_id}), 201
        comment = service.parse_comment(data.get("comment"), required=True)
        ticket = service.open_request(box, order, kind, comment, "head_office",
                                      request_id=request_id)
    return jsonify({"detail": f"ticket {ticket['number']} opened", "order_id": order_id,
                    "ticket": ticket}), 201
