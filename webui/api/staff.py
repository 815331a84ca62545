"""/api/v1 for staff (issue 9; docs/staff-audit.md): the owner adds people, changes roles,
resets PINs, deactivates and reactivates (each a ``staff.changed`` journal record; never a
PIN in a record, a log or an answer); and per-staff sales for the staff page."""

from __future__ import annotations

from flask import current_app, g, jsonify, request

from appliance.money import format_amount
from appliance.staffing import StaffAdmin

from ..access import access
from . import body, box, bp, field_str, publish


def _admin() -> StaffAdmin:
    return StaffAdmin(box().ledger, box().master)


def _changed(person, status: int = 200):
    publish("staff", {"id": person.id})
    return jsonify(person.to_public()), status


@bp.get("/staff")
@access("staff.manage")
def list_staff():
    return jsonify({"staff": [s.to_public() for s in _admin().list(g.actor)]})


@bp.post("/staff")
@access("staff.manage")
def add_staff():
    data = body()
    person = _admin().add(g.actor, field_str(data, "name", required=True),
                          field_str(data, "role", required=True),
                          field_str(data, "pin", required=True))
    return _changed(person, 201)


@bp.patch("/staff/<staff_id>")
@access("staff.manage")
def change_role(staff_id: str):
    return _changed(_admin().set_role(g.actor, staff_id,
                                      field_str(body(), "role", required=True)))


@bp.post("/staff/<staff_id>/pin")
@access("staff.manage")
def reset_pin(staff_id: str):
    return _changed(_admin().reset_pin(g.actor, staff_id,
                                       field_str(body(), "pin", required=True)))


@bp.post("/staff/<staff_id>/deactivate")
@access("staff.manage")
def deactivate_staff(staff_id: str):
    person = _admin().deactivate(g.actor, staff_id)
    # Signed out everywhere at once, not at their next request's check.
    current_app.config["SESSIONS"].end_for_staff(person.id)
    return _changed(person)


@bp.post("/staff/<staff_id>/reactivate")
@access("staff.manage")
def reactivate_staff(staff_id: str):
    return _changed(_admin().reactivate(g.actor, staff_id,
                                        field_str(body(), "pin", required=True)))


@bp.get("/staff/sales")
@access("staff.manage")
def staff_sales():
    """Per-staff sales of ?from=&to= (days; default today): who opened and who settled."""
    today = box().finance.today()
    first, last = request.args.get("from") or today, request.args.get("to") or today
    rows = box().reports.staff(first, last)
    return jsonify({"from": first, "to": last, "staff": [
        {**r, "opened_sales": format_amount(r["opened_sales"]),
         "settled_sales": format_amount(r["settled_sales"])} for r in rows]})
