"""Suppliers, contracts, purchase orders, reorder suggestions and receiving (docs/purchasing.md).

Costs are decimal strings; quantities whole numbers. Staff who may receive goods but not buy
(assistants) see purchase orders without their costs. Every write publishes a
``purchase_order`` event (receiving also a ``stock`` event with the products it moved).
"""

from __future__ import annotations

from flask import g, jsonify, request

from appliance.errors import ValidationError
from appliance.i18n import _
from appliance.money import format_amount, parse_amount
from appliance.orders.permissions import allowed

from ..access import access
from . import approver, body, box, bp, field_bool, field_int, field_str, publish

SUPPLIER_FIELDS = ("name", "contact", "phone", "email", "address", "note")
CONTRACT_FIELDS = ("supplier_id", "title", "terms", "starts_on", "ends_on")


def _amount(fen):
    return None if fen is None else format_amount(fen)


def supplier_json(s) -> dict:
    return {"id": s.id, "name": s.name, "contact": s.contact, "phone": s.phone,
            "email": s.email, "address": s.address, "note": s.note, "active": s.active}


def contract_json(c) -> dict:
    return {"id": c.id, "supplier_id": c.supplier_id, "title": c.title, "terms": c.terms,
            "starts_on": c.starts_on, "ends_on": c.ends_on, "remind_days": c.remind_days,
            "active": c.active}


def po_json(po: dict) -> dict:
    costs = allowed(g.actor, "purchasing")
    lines = [{"line_id": ln["line_id"], "product_id": ln["product_id"],
              "variant_id": ln["variant_id"], "name": ln["name"], "qty": ln["qty"],
              "received_qty": ln["received_qty"],
              "outstanding": max(ln["qty"] - ln["received_qty"], 0),
              "unit_cost": _amount(ln["unit_cost"]) if costs else None}
             for ln in po["lines"]]
    return {"id": po["id"], "number": po["number"], "supplier_id": po["supplier_id"],
            "supplier_name": po["supplier_name"], "status": po["status"], "note": po["note"],
            "expected_on": po["expected_on"], "created_at": po["created_at"],
            "created_by": po["created_by"], "updated_at": po["updated_at"], "lines": lines,
            "total": _amount(po["total"]) if costs else None, "receipts": po["receipts"]}


def receipt_json(r: dict) -> dict:
    costs = allowed(g.actor, "purchasing")
    return {**r, "total": _amount(r["total"]) if costs else None,
            "lines": [{**ln, "unit_cost": _amount(ln["unit_cost"]) if costs else None}
                      for ln in r["lines"]]}


def _fields(data: dict, names) -> dict:
    out = {name: field_str(data, name) for name in names}
    out = {k: v for k, v in out.items() if v is not None}
    if "active" in data:
        out["active"] = field_bool(data, "active", True)
    return out


def _lines(data: dict, *, cost_required: bool) -> list[dict]:
    """API lines (costs as decimal strings) -> service lines (costs in fen)."""
    lines = data.get("lines")
    if not isinstance(lines, list) or not lines:
        raise ValidationError(_("give at least one line"), field="lines")
    out = []
    for ln in lines:
        if not isinstance(ln, dict):
            raise ValidationError(_("each line must be an object"), field="lines")
        item = {k: ln[k] for k in ("product_id", "variant_id", "barcode", "qty") if k in ln}
        if ln.get("unit_cost") is not None:
            item["unit_cost"] = parse_amount(ln["unit_cost"], field="unit_cost")
        elif cost_required:
            raise ValidationError(_("{name} is required (a decimal string like \"12.50\")",
                                    name="unit_cost"), field="unit_cost")
        out.append(item)
    return out


def _po_changed(po: dict, status: int = 200):
    publish("purchase_order", {"id": po["id"], "status": po["status"]})
    return jsonify(po_json(po)), status


# -- suppliers -----------------------------------------------------------------------------

@bp.get("/suppliers")
@access("stock.receive")
def list_suppliers():
    everyone = request.args.get("all") == "1"
    return jsonify({"suppliers": [supplier_json(s) for s in
                                  box().purchasing.suppliers(g.actor, everyone)]})


@bp.post("/suppliers")
@access("purchasing")
def create_supplier():
    data = body()
    field_str(data, "name", required=True)
    s = box().purchasing.save_supplier(g.actor, _fields(data, SUPPLIER_FIELDS))
    publish("purchase_order", {"supplier_id": s.id})
    return jsonify(supplier_json(s)), 201


@bp.get("/suppliers/<supplier_id>")
@access("purchasing")
def get_supplier(supplier_id: str):
    p = box().purchasing
    s = p.supplier(g.actor, supplier_id)
    return jsonify({**supplier_json(s),
                    "contracts": [contract_json(c) for c in p.contracts(g.actor, s.id)]})


@bp.put("/suppliers/<supplier_id>")
@access("purchasing")
def edit_supplier(supplier_id: str):
    s = box().purchasing.save_supplier(g.actor, _fields(body(), SUPPLIER_FIELDS), supplier_id)
    publish("purchase_order", {"supplier_id": s.id})
    return jsonify(supplier_json(s))


# -- contracts -----------------------------------------------------------------------------

def _contract_fields(data: dict) -> dict:
    fields = _fields(data, CONTRACT_FIELDS)
    if "remind_days" in data:   # null: the shop's default
        fields["remind_days"] = field_int(data, "remind_days")
    return fields


@bp.get("/contracts")
@access("purchasing")
def list_contracts():
    supplier_id = request.args.get("supplier_id") or None
    return jsonify({"contracts": [contract_json(c) for c in
                                  box().purchasing.contracts(g.actor, supplier_id)]})


@bp.get("/contracts/due")
@access("purchasing")
def contracts_due():
    p = box().purchasing
    due = []
    for d in p.contracts_due(g.actor):
        c = d["contract"]
        due.append({**contract_json(c), "supplier_name": d["supplier_name"],
                    "days_left": d["days_left"], "ended": d["ended"],
                    "reminds_from_days": d["remind_days"]})
    return jsonify({"contracts": due})


@bp.post("/contracts")
@access("purchasing")
def create_contract():
    data = body()
    for name in ("supplier_id", "title", "starts_on", "ends_on"):
        field_str(data, name, required=True)
    c = box().purchasing.save_contract(g.actor, _contract_fields(data))
    publish("purchase_order", {"contract_id": c.id})
    return jsonify(contract_json(c)), 201


@bp.put("/contracts/<contract_id>")
@access("purchasing")
def edit_contract(contract_id: str):
    c = box().purchasing.save_contract(g.actor, _contract_fields(body()), contract_id)
    publish("purchase_order", {"contract_id": c.id})
    return jsonify(contract_json(c))


# -- purchase orders -----------------------------------------------------------------------

@bp.get("/purchase-orders")
@access("stock.receive")
def list_purchase_orders():
    pos = box().purchasing.purchase_orders(g.actor, request.args.get("status") or None,
                                           request.args.get("supplier_id") or None)
    return jsonify({"purchase_orders": [po_json(po) for po in pos]})


@bp.post("/purchase-orders")
@access("purchasing")
def create_purchase_order():
    data = body()
    po = box().purchasing.create_po(
        g.actor, field_str(data, "supplier_id", required=True),
        _lines(data, cost_required=False), note=field_str(data, "note", default=""),
        expected_on=field_str(data, "expected_on", default=""))
    return _po_changed(po, 201)


@bp.get("/purchase-orders/suggestions")
@access("purchasing")
def reorder_suggestions():
    groups = box().purchasing.suggestions(g.actor, request.args.get("supplier_id") or None)
    return jsonify({"suppliers": [
        {**grp, "lines": [{**ln, "unit_cost": _amount(ln["unit_cost"])} for ln in grp["lines"]]}
        for grp in groups]})


@bp.get("/purchase-orders/<po_id>")
@access("stock.receive")
def get_purchase_order(po_id: str):
    return jsonify(po_json(box().purchasing.purchase_order(g.actor, po_id)))


@bp.put("/purchase-orders/<po_id>")
@access("purchasing")
def change_purchase_order(po_id: str):
    data = body()
    po = box().purchasing.change_po(g.actor, po_id, _lines(data, cost_required=False),
                                    note=field_str(data, "note"),
                                    expected_on=field_str(data, "expected_on"))
    return _po_changed(po)


@bp.post("/purchase-orders/<po_id>/cancel")
@access("purchasing")
def cancel_purchase_order(po_id: str):
    po = box().purchasing.cancel_po(g.actor, po_id,
                                    field_str(body(), "reason", required=True))
    return _po_changed(po)


@bp.post("/purchase-orders/<po_id>/close")
@access("purchasing")
def close_purchase_order(po_id: str):
    po = box().purchasing.close_po(g.actor, po_id, field_str(body(), "reason", required=True))
    return _po_changed(po)


# -- receiving -----------------------------------------------------------------------------

@bp.post("/receiving")
@access("stock.receive")
def receive_goods():
    data = body()
    receipt = box().purchasing.receive(
        g.actor, _lines(data, cost_required=False), po_id=field_str(data, "po_id"),
        supplier_id=field_str(data, "supplier_id"), note=field_str(data, "note", default=""),
        over=field_bool(data, "over", False), approver=approver(data))
    if receipt["po_id"]:
        po = box().purchasing.purchase_order(g.actor, receipt["po_id"])
        publish("purchase_order", {"id": po["id"], "status": po["status"]})
    publish("stock", {"product_ids": sorted({ln["product_id"] for ln in receipt["lines"]}),
                      "receipt_id": receipt["id"]})
    return jsonify(receipt_json(receipt)), 201


@bp.get("/receiving/<receipt_id>")
@access("stock.receive")
def get_receipt(receipt_id: str):
    return jsonify(receipt_json(box().purchasing.receipt(g.actor, receipt_id)))
