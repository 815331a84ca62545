"""Members: look-up, sign-up, history, top-ups, points, gifts; and the member levels.

Amounts are decimal strings; points are whole numbers. Every change publishes a ``member``
event so an open cart showing that member refreshes its points and balance.
"""

from __future__ import annotations

from flask import g, jsonify, request

from appliance.errors import ValidationError
from appliance.i18n import _
from appliance.money import format_amount

from ..access import access
from . import body, box, bp, field_amount, field_bool, field_int, field_str, publish


def member_json(member) -> dict:
    return {**member.to_json(), "balance": format_amount(member.balance)}


def _changed(member, status: int = 200):
    publish("member", {"id": member.id})
    return jsonify(member_json(member)), status


def _member_fields(data: dict) -> dict:
    fields = {name: field_str(data, name) for name in
              ("name", "phone", "birthday", "card_code", "level_id", "note", "email")}
    if "active" in data:
        fields["active"] = field_bool(data, "active", True)
    return {k: v for k, v in fields.items() if v is not None}


@bp.get("/members")
@access("member.view")
def find_members():
    q = request.args.get("q", "")
    if len(q) > 40:
        raise ValidationError(_("q is longer than 40 characters"), field="q")
    return jsonify({"members": [member_json(m) for m in box().members.find(g.actor, q)]})


@bp.get("/members/lookup")
@access("member.view")
def lookup_member():
    code = request.args.get("code", "")
    if not code.strip() or len(code) > 40:
        raise ValidationError(_("code must be a phone number or a member card code"),
                              field="code")
    return jsonify(member_json(box().members.lookup(g.actor, code)))


@bp.post("/members")
@access("member.create")
def sign_up():
    data = body()
    fields = _member_fields(data)
    fields.pop("active", None)
    fields["name"] = field_str(data, "name", required=True)
    fields["phone"] = field_str(data, "phone", required=True)
    return _changed(box().members.sign_up(g.actor, **fields), 201)


@bp.get("/members/<member_id>")
@access("member.view")
def get_member(member_id: str):
    members = box().members
    member = members.get(g.actor, member_id)
    history = members.history(g.actor, member_id)
    return jsonify({**member_json(member), **history})


@bp.patch("/members/<member_id>")
@access("member.edit")
def update_member(member_id: str):
    return _changed(box().members.update(g.actor, member_id, **_member_fields(body())))


@bp.post("/members/<member_id>/topups")
@access("member.topup")
def top_up(member_id: str):
    data = body()
    result = box().members.top_up(
        g.actor, member_id, field_amount(data, "amount"),
        field_str(data, "method", required=True), reference=field_str(data, "reference",
                                                                       default=""),
        tendered=field_amount(data, "tendered", required=False),
        idempotency_key=field_str(data, "idempotency_key"))
    publish("member", {"id": member_id})
    return jsonify({"topup_id": result.topup_id, "amount": format_amount(result.amount),
                    "bonus": format_amount(result.bonus),
                    "balance": format_amount(result.balance),
                    "change": format_amount(result.change),
                    "member": member_json(result.member)}), 201


@bp.post("/members/<member_id>/payouts")
@access("member.payout")
def pay_out(member_id: str):
    """Stored value paid back out (docs/members-promotions.md)."""
    data = body()
    result = box().members.pay_out(
        g.actor, member_id, field_amount(data, "amount"), field_str(data, "method",
                                                                    required=True),
        field_str(data, "reason", default=""),
        reference=field_str(data, "reference", default=""))
    publish("member", {"id": member_id})
    return jsonify({"payout_id": result["payout_id"], "amount": format_amount(result["amount"]),
                    "balance": format_amount(result["balance"]),
                    "member": member_json(result["member"])}), 201


@bp.post("/members/<member_id>/points")
@access("member.points")
def adjust_points(member_id: str):
    data = body()
    return _changed(box().members.adjust_points(
        g.actor, member_id, field_int(data, "delta", required=True),
        field_str(data, "reason", required=True), note=field_str(data, "note", default="")))


@bp.post("/members/<member_id>/gifts")
@access("member.gift")
def redeem_gift(member_id: str):
    return _changed(box().members.redeem_gift(g.actor, member_id,
                                              field_str(body(), "rule_id", required=True)))


# -- levels --------------------------------------------------------------------------------

def _level_json(level: dict) -> dict:
    from appliance.promotions.rules import level_to_json
    return level_to_json(level)


@bp.get("/member-levels")
@access("member.view")
def list_levels():
    return jsonify({"levels": [_level_json(lv) for lv in box().members.levels()]})


@bp.post("/member-levels")
@access("member.level")
def create_level():
    level = box().members.save_level(g.actor, body())
    publish("levels", {"id": level["id"]})
    return jsonify(_level_json(level)), 201


@bp.put("/member-levels/<level_id>")
@access("member.level")
def edit_level(level_id: str):
    level = box().members.save_level(g.actor, body(), level_id)
    publish("levels", {"id": level["id"]})
    return jsonify(_level_json(level))
