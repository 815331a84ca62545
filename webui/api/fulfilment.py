"""/api/v1 routes of issue 10 point 4 (docs/delivery.md): delivery and pick-up of orders, the
deliveries board, pick slips, and head office's online orders (``cmd/order.create`` through
uplinkd: POST /api/v1/device/orders).

Every change publishes the ``order`` event (so the counter and phones refresh the order) and
a ``fulfilment`` event (so the deliveries page refreshes its lists).
"""

from __future__ import annotations

import logging

from flask import g, jsonify

from appliance.i18n import _

from ..access import DEVICE, access
from . import body, box, bp, field_str, publish

log = logging.getLogger(__name__)


def _tell(order_id: str) -> None:
    order = box().orders.get_order(order_id)
    publish("order", {"id": order.id, "number": order.number, "status": order.status,
                      "version": order.version, "terminal": order.terminal})
    publish("fulfilment", {"order_id": order_id})


@bp.get("/fulfilment")
@access("fulfilment.edit")
def fulfilment_board():
    """The deliveries page's lists, and the carriers to choose from."""
    return jsonify({**box().fulfilment.board(), "carriers": box().fulfilment.carriers()})


@bp.get("/orders/<order_id>/fulfilment")
@access("fulfilment.edit")
def fulfilment_get(order_id: str):
    return jsonify(box().fulfilment.get(order_id))


@bp.put("/orders/<order_id>/fulfilment")
@access("fulfilment.edit")
def fulfilment_set(order_id: str):
    data = body()
    out = box().fulfilment.set(
        g.actor, order_id, kind=field_str(data, "kind", required=True),
        recipient=field_str(data, "recipient", default=""),
        phone=field_str(data, "phone", default=""),
        address=field_str(data, "address", default=""), note=field_str(data, "note", default=""))
    _tell(order_id)
    return jsonify(out)


@bp.post("/orders/<order_id>/fulfilment/status")
@access("fulfilment.edit")
def fulfilment_status(order_id: str):
    data = body()
    out = box().fulfilment.update(
        g.actor, order_id, field_str(data, "status", required=True),
        carrier=field_str(data, "carrier", default=""),
        carrier_name=field_str(data, "carrier_name", default=""),
        tracking=field_str(data, "tracking", default=""),
        note=field_str(data, "note", default=""))
    _tell(order_id)
    return jsonify(out)


@bp.post("/orders/<order_id>/pick-slip")
@access("fulfilment.edit")
def fulfilment_pick_slip(order_id: str):
    """Print (again) the pick slip of an order marked for delivery or pick-up."""
    box().fulfilment.get(order_id)   # NotFound unless it is marked
    job_id = box().printing.add_report({"document": "pick_slip", "order_id": order_id},
                                       prefix="pick")
    return jsonify({"job_id": job_id}), 201


@bp.post("/device/orders")
@access(DEVICE)
def device_online_order():
    """cmd/order.create from head office, handed over by uplinkd: make the order (or answer
    the one made for this external_ref before). ``detail`` goes back in the cmd_ack."""
    real = box()
    order, created = real.fulfilment.create_from_head_office(body(), printing=real.printing)
    if created:
        _tell(order.id)
    detail = (_("order {number} made ({status})", number=order.number, status=_(order.status))
              if created else
              _("order {number} was made for this reference before ({status})",
                number=order.number, status=_(order.status)))
    return jsonify({"order_id": order.id, "number": order.number, "status": order.status,
                    "created": created, "detail": detail}), 201 if created else 200
