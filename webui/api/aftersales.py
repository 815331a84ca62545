"""/api/v1 routes of issue 10 point 3 (docs/aftersales.md): after-sales tickets, serial
numbers captured at the sale, and finding a sale by serial number.

Every ticket change publishes a ``ticket`` event (the after-sales page refreshes); setting
serial numbers publishes ``order`` (the counter refreshes the order's prompt).
"""

from __future__ import annotations

from flask import g, jsonify, request

from ..access import access
from . import approver, body, box, bp, field_str, publish


def _tell(ticket: dict) -> None:
    publish("ticket", {"id": ticket["id"], "number": ticket["number"],
                       "status": ticket["status"]})


@bp.get("/tickets")
@access("aftersales.view")
def list_tickets():
    args = request.args
    limit = args.get("limit", "100")
    return jsonify({"tickets": box().aftersales.list(
        status=args.get("status") or None, kind=args.get("kind") or None,
        q=args.get("q") or None, limit=int(limit) if limit.isdigit() else 100)})


@bp.post("/tickets")
@access("aftersales.open")
def open_ticket():
    data = body()
    ticket = box().aftersales.open(
        g.actor, kind=field_str(data, "kind", required=True),
        summary=field_str(data, "summary", required=True),
        order_id=field_str(data, "order_id") or None,
        order_number=field_str(data, "order_number") or None,
        line_id=field_str(data, "line_id") or None, serial=field_str(data, "serial"),
        customer_name=field_str(data, "customer_name"),
        customer_phone=field_str(data, "customer_phone"),
        member_id=field_str(data, "member_id") or None, approver=approver(data))
    _tell(ticket)
    return jsonify(ticket), 201


@bp.get("/tickets/<ticket_id>")
@access("aftersales.view")
def get_ticket(ticket_id: str):
    return jsonify(box().aftersales.get(ticket_id))


@bp.get("/tickets/by-number/<number>")
@access("aftersales.view")
def get_ticket_by_number(number: str):
    return jsonify(box().aftersales.get_by_number(number))


@bp.post("/tickets/<ticket_id>/updates")
@access("aftersales.open")   # a plain note; moving the status on needs aftersales.update
def update_ticket(ticket_id: str):
    data = body()
    ticket = box().aftersales.update(g.actor, ticket_id,
                                     status=field_str(data, "status") or None,
                                     note=field_str(data, "note", default=""))
    _tell(ticket)
    return jsonify(ticket)


@bp.post("/tickets/<ticket_id>/print")
@access("aftersales.view")
def print_ticket(ticket_id: str):
    """Print the ticket slip for the customer (again)."""
    box().aftersales.get(ticket_id)   # NotFound for an unknown ticket
    job_id = box().printing.add_report({"document": "ticket", "ticket_id": ticket_id},
                                       prefix="ticket")
    return jsonify({"job_id": job_id}), 201


@bp.get("/orders/<order_id>/serials")
@access("order.edit")
def order_serials(order_id: str):
    """Every line of the order that is serialised or has serial numbers, and what is missing
    before payment."""
    real = box()
    order = real.orders.get_order(order_id)
    from appliance.aftersales import serials
    with real.ledger.reading() as conn:
        have = serials.serials_of(conn, order_id)
    lines = [{"line_id": ln.line_id, "name": ln.name, "spec": ln.spec, "qty": ln.qty,
              "serialised": serials.is_serialised(real.master, ln.product_id),
              "serials": have.get(ln.line_id, [])} for ln in order.lines]
    lines = [ln for ln in lines if ln["serialised"] or ln["serials"]]
    return jsonify({"order_id": order_id, "lines": lines,
                    "missing": real.aftersales.missing_serials(order_id)})


@bp.put("/orders/<order_id>/lines/<line_id>/serials")
@access("order.edit")
def set_serials(order_id: str, line_id: str):
    data = body()
    real = box()
    got = real.aftersales.set_serials(g.actor, order_id, line_id, data.get("serials"))
    order = real.orders.get_order(order_id)
    publish("order", {"id": order.id, "number": order.number, "status": order.status,
                      "version": order.version, "terminal": order.terminal})
    return jsonify({"order_id": order_id, "line_id": line_id, "serials": got,
                    "missing": real.aftersales.missing_serials(order_id)})


@bp.get("/serials/<serial>")
@access("aftersales.view")
def find_serial(serial: str):
    return jsonify(box().aftersales.find_serial(serial))
