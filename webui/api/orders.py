"""Orders: open, lines, customer, park/recall, cancel, payments, voids, refunds.

Every write publishes an ``order`` event so every screen (phones, counter, customer display)
refreshes that order at once.
"""

from __future__ import annotations

import re

from flask import g, jsonify, request

from appliance.i18n import _
from appliance.errors import ValidationError
from appliance.money import format_amount

from ..access import access
from . import (approver, body, box, bp, field_amount, field_bool, field_int, field_str,
               publish, require_key)


def order_json(order) -> dict:
    """The order as screens see it; a live order carries its current pricing too, and the
    member's points and balance as they are now."""
    if order.status not in ("open", "parked") or not order.lines or order.frozen:
        body = order.to_json()
    else:
        quote = box().orders.quote(order)
        body = order.to_json(due=quote.total)
        body.update(discount=format_amount(quote.discount),
                    rounding=format_amount(quote.rounding),
                    adjustments=[{**a.to_json(), "amount": format_amount(a.amount)}
                                 for a in quote.adjustments])
    body["member"] = _member_summary(order.member_id)
    # issue 10: delivery or pick-up, and whether head office sent it (the counter's 网店 badge)
    body["fulfilment"] = box().fulfilment.brief(order.id)
    return body


def _member_summary(member_id: str | None) -> dict | None:
    if not member_id:
        return None
    m = box().members.summary(member_id)
    if m is None:
        return None
    return {"id": m.id, "name": m.name, "phone": m.phone, "card_code": m.card_code,
            "level_id": m.level_id, "level_name": m.level_name, "points": m.points,
            "balance": format_amount(m.balance),
            # what one point pays, for the points tender (an amount like every other)
            "point_value": format_amount(box().master.settings.get("members.fen_per_point"))}


def _publish(order) -> None:
    publish("order", {"id": order.id, "number": order.number, "status": order.status,
                      "version": order.version, "terminal": order.terminal})


def _changed(order, status: int = 200):
    """Tell every screen, and answer with the order."""
    _publish(order)
    return jsonify(order_json(order)), status


@bp.post("/orders")
@access("order.edit")
def open_order():
    data = body()
    order = box().orders.open_order(
        g.actor, customer_name=field_str(data, "customer_name", default=""),
        customer_phone=field_str(data, "customer_phone", default=""),
        note=field_str(data, "note", default=""))
    return _changed(order, 201)


@bp.get("/orders")
@access("order.edit")
def list_orders():
    status = request.args.get("status") or None
    day = request.args.get("day") or None
    if day is not None and not (len(day) == 8 and day.isdigit()):
        raise ValidationError(_("day must be YYYYMMDD"), field="day")
    orders = box().orders.list_orders(status=status, business_day=day)
    return jsonify({"orders": [order_json(o) for o in orders]})


@bp.get("/orders/<order_id>")
@access("order.edit")
def get_order(order_id: str):
    return jsonify(order_json(box().orders.get_order(order_id)))


@bp.get("/orders/by-number/<number>")
@access("order.edit")
def get_order_by_number(number: str):
    return jsonify(order_json(box().orders.find_by_number(number)))


@bp.patch("/orders/<order_id>")
@access("order.edit")
def set_customer(order_id: str):
    data = body()
    order = box().orders.set_customer(
        g.actor, order_id, customer_name=field_str(data, "customer_name"),
        customer_phone=field_str(data, "customer_phone"), note=field_str(data, "note"),
        expected_version=field_int(data, "expected_version"))
    return _changed(order)


@bp.post("/orders/<order_id>/lines")
@access("order.edit")
def add_line(order_id: str):
    data = body()
    order = box().orders.add_line(
        g.actor, order_id, barcode=field_str(data, "barcode"),
        product_id=field_str(data, "product_id"), variant_id=field_str(data, "variant_id"),
        qty=field_int(data, "qty", default=1),
        unit_price=field_amount(data, "unit_price", required=False),
        approver=approver(data), expected_version=field_int(data, "expected_version"))
    return _changed(order, 201)


@bp.patch("/orders/<order_id>/lines/<line_id>")
@access("order.edit")
def change_line(order_id: str, line_id: str):
    data = body()
    order = box().orders.change_line(
        g.actor, order_id, line_id, qty=field_int(data, "qty"),
        unit_price=field_amount(data, "unit_price", required=False), approver=approver(data),
        expected_version=field_int(data, "expected_version"))
    return _changed(order)


@bp.delete("/orders/<order_id>/lines/<line_id>")
@access("order.edit")
def remove_line(order_id: str, line_id: str):
    version = request.args.get("expected_version")
    if version is not None and not re.fullmatch(r"[0-9]{1,9}", version):
        raise ValidationError(_("expected_version must be a whole number"),
                              field="expected_version")
    order = box().orders.remove_line(g.actor, order_id, line_id,
                                     expected_version=int(version) if version else None)
    return _changed(order)


@bp.post("/orders/<order_id>/park")
@access("order.park")
def park(order_id: str):
    data = body()
    return _changed(box().orders.park(g.actor, order_id,
                                      expected_version=field_int(data, "expected_version")))


@bp.post("/orders/<order_id>/recall")
@access("order.recall")
def recall(order_id: str):
    return _changed(box().orders.recall(g.actor, order_id))


@bp.post("/orders/<order_id>/cancel")
@access("order.edit")  # the engine allows cashiers, or the assistant who opened it
def cancel(order_id: str):
    data = body()
    return _changed(box().orders.cancel(g.actor, order_id,
                                        field_str(data, "reason", required=True),
                                        expected_version=field_int(data, "expected_version")))


@bp.put("/orders/<order_id>/member")
@access("order.edit")
def set_member(order_id: str):
    data = body()
    require_key(data, "member_id")   # null takes the member off
    order = box().orders.set_member(g.actor, order_id, field_str(data, "member_id"),
                                    expected_version=field_int(data, "expected_version"))
    return _changed(order)


@bp.post("/orders/<order_id>/coupons")
@access("order.edit")
def add_coupon(order_id: str):
    data = body()
    order = box().orders.add_coupon(g.actor, order_id, field_str(data, "code", required=True),
                                    expected_version=field_int(data, "expected_version"))
    return _changed(order, 201)


@bp.delete("/orders/<order_id>/coupons/<code>")
@access("order.edit")
def remove_coupon(order_id: str, code: str):
    return _changed(box().orders.remove_coupon(g.actor, order_id, code))


@bp.post("/orders/<order_id>/payments")
@access("payment.take")
def add_payment(order_id: str):
    data = body()
    res = box().orders.add_payment(
        g.actor, order_id, field_str(data, "method", required=True),
        field_amount(data, "amount"), reference=field_str(data, "reference", default=""),
        idempotency_key=field_str(data, "idempotency_key"),
        change_to_card=field_bool(data, "change_to_card", False))
    _publish(res.order)
    if res.order.member_id:
        publish("member", {"id": res.order.member_id})
    return jsonify({"payment_id": res.payment_id, "applied": format_amount(res.applied),
                    "change": format_amount(res.change), "completed": res.completed,
                    "order": order_json(res.order)}), 201


@bp.post("/orders/<order_id>/payments/<payment_id>/void")
@access("payment.take")  # voiding itself needs a manager, or a manager's approver_pin
def void_payment(order_id: str, payment_id: str):
    data = body()
    order = box().orders.void_payment(g.actor, order_id, payment_id,
                                      field_str(data, "reason", required=True),
                                      approver=approver(data))
    return _changed(order)


def _refund_lines(data):
    lines = data.get("lines")
    if lines is None:
        return None
    if not isinstance(lines, list) or not all(isinstance(x, dict) for x in lines):
        raise ValidationError(_("lines must be a list of {\"line_id\", \"qty\"}"), field="lines")
    return [(field_str(x, "line_id", required=True), field_int(x, "qty", required=True))
            for x in lines]


def _refund_tenders(data):
    tenders = data.get("tenders")
    if tenders is None:
        return None
    if not isinstance(tenders, list) or not all(isinstance(x, dict) for x in tenders):
        raise ValidationError(_("tenders must be a list of {\"method\", \"amount\", \"reference\"}"),
                              field="tenders")
    return [(field_str(x, "method", required=True), field_amount(x, "amount"),
             field_str(x, "reference", default="")) for x in tenders]


@bp.post("/orders/<order_id>/refunds")
@access("refund")
def refund(order_id: str):
    data = body()
    restock = field_bool(data, "restock", True)
    r = box().orders.refund(g.actor, order_id, reason=field_str(data, "reason", required=True),
                            lines=_refund_lines(data), tenders=_refund_tenders(data),
                            approver=approver(data), restock=restock)
    _publish(box().orders.get_order(order_id))
    return jsonify(r.to_json()), 201


@bp.post("/orders/<order_id>/reprint")
@access("payment.take")
def reprint(order_id: str):
    job_id = box().orders.reprint_receipt(g.actor, order_id)
    return jsonify({"job_id": job_id}), 201


@bp.get("/orders/<order_id>/qr.svg")
@access("order.edit")
def order_qr(order_id: str):
    """The order number as a QR code, for the counter's scanner to recall it from a phone."""
    import io

    import segno
    order = box().orders.get_order(order_id)
    out = io.BytesIO()
    segno.make(order.number, error="m").save(out, kind="svg", scale=8, border=2)
    return out.getvalue(), 200, {"Content-Type": "image/svg+xml",
                                 "Cache-Control": "private, max-age=3600"}
