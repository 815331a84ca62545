"""/api/v1/customer-data: a customer's personal data on request (issue 10 point 6;
docs/customer-data.md). The phone number travels in the JSON body, never in the address,
so it stays out of access logs and browser history."""

from __future__ import annotations

from flask import g, jsonify

from ..access import access
from . import body, box, bp, field_str


@bp.post("/customer-data/lookup")
@access("customer.data")
def customer_lookup():
    data = body()
    return jsonify(box().customers.lookup(g.actor, field_str(data, "phone", required=True)))


@bp.post("/customer-data/export")
@access("customer.data")
def customer_export():
    data = body()
    doc = box().customers.export(g.actor, field_str(data, "phone", required=True))
    resp = jsonify(doc)
    resp.headers["Content-Disposition"] = 'attachment; filename="customer-data.json"'
    return resp


@bp.post("/customer-data/erase")
@access("customer.data")
def customer_erase():
    data = body()
    return jsonify(box().customers.erase(g.actor, field_str(data, "phone", required=True),
                                         field_str(data, "reason", required=True)))
