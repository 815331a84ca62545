"""Promotion rules for managers: list, create, edit, switch off, and preview on a cart.

Amounts and percentages are decimal strings both ways (appliance.promotions.rules). Every
change is a journal record, and every screen hears a ``promotions`` event so open carts are
priced again.
"""

from __future__ import annotations

from flask import g, jsonify, request

from appliance.errors import ValidationError
from appliance.i18n import _
from appliance.money import format_amount

from ..access import access
from . import body, box, bp, field_bool, field_int, field_str, publish, require_key


def promotion_json(rule: dict, now_live: bool | None = None) -> dict:
    from appliance.promotions.rules import rule_to_json
    out = {**rule_to_json(rule), "source": rule["source"], "active": rule["active"]}
    if now_live is not None:
        out["live"] = now_live
    return out


def _with_live(rules: list[dict]) -> list[dict]:
    from appliance.promotions.rules import is_live
    now, tz = box().ledger.now(), box().orders.tz
    return [promotion_json(r, r["active"] and is_live(r, now, tz)) for r in rules]


def _changed(rule: dict, status: int = 200):
    publish("promotions", {"id": rule["id"], "source": rule["source"]})
    return jsonify(_with_live([rule])[0]), status


@bp.get("/promotions")
@access("member.view")
def list_promotions():
    return jsonify({"promotions": _with_live(box().promotions.list())})


@bp.get("/promotions/<rule_id>")
@access("member.view")
def get_promotion(rule_id: str):
    return jsonify(_with_live([box().promotions.get(rule_id)])[0])


@bp.post("/promotions")
@access("promotion.edit")
def create_promotion():
    return _changed(box().promotions.save(g.actor, body()), 201)


@bp.put("/promotions/<rule_id>")
@access("promotion.edit")
def edit_promotion(rule_id: str):
    return _changed(box().promotions.save(g.actor, body(), rule_id))


@bp.post("/promotions/<rule_id>/switch")
@access("promotion.edit")
def switch_promotion(rule_id: str):
    data = body()
    require_key(data, "active")
    return _changed(box().promotions.switch(g.actor, rule_id, field_bool(data, "active", False)))


@bp.get("/promotions/gifts")
@access("member.view")
def gifts():
    """Gifts members can take for points, live now (for ``member_id``'s level if given),
    with the product's name."""
    catalog = box().master.catalog
    out = []
    for rule in box().members.gifts(g.actor, request.args.get("member_id") or None):
        product = catalog.find_product(rule["product_id"])
        out.append({"rule_id": rule["id"], "name": rule["name"], "points": rule["points"],
                    "product_id": rule["product_id"], "variant_id": rule["variant_id"],
                    "product_name": product.name if product else ""})
    return jsonify({"gifts": out})


def _preview_lines(data) -> list[tuple[str, str, int]]:
    lines = data.get("lines")
    if not isinstance(lines, list) or not lines or not all(isinstance(x, dict) for x in lines):
        raise ValidationError(_("lines must be a non-empty list of {\"product_id\", \"qty\"}"),
                              field="lines")
    if len(lines) > 100:
        raise ValidationError(_("at most 100 lines can be previewed"), field="lines")
    return [(field_str(x, "product_id", required=True), field_str(x, "variant_id", default=""),
             field_int(x, "qty", default=1)) for x in lines]


@bp.post("/promotions/preview")
@access("promotion.edit")
def preview():
    """Price a made-up cart with the live rules, plus a draft rule if given (not saved)."""
    data = body()
    draft = data.get("rule")
    if draft is not None and not isinstance(draft, dict):
        raise ValidationError(_("rule must be a JSON object"), field="rule")
    coupons = data.get("coupons") or []
    if not isinstance(coupons, list) or not all(isinstance(c, str) for c in coupons):
        raise ValidationError(_("coupons must be a list of codes"), field="coupons")
    priced = box().orders.preview(_preview_lines(data), draft=draft,
                                  member_id=field_str(data, "member_id"), coupons=coupons)
    return jsonify({
        "subtotal": format_amount(priced.subtotal), "discount": format_amount(priced.discount),
        "rounding": format_amount(priced.rounding), "total": format_amount(priced.total),
        "adjustments": [{**a.to_json(), "amount": format_amount(a.amount)}
                        for a in priced.adjustments],
        "lines": {i: {"discount": format_amount(v["discount"]), "net": format_amount(v["net"])}
                  for i, v in priced.lines.items()}})
