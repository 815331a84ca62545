"""Stock: levels, each product's history, low-stock alerts, stock rules, manual adjustments,
and the stock report (value and slow movers). See docs/stock.md.

Quantities are ints; costs and values decimal strings, shown only to those who may see
costs (``purchasing``: managers and up). Every change publishes a ``stock`` event.
"""

from __future__ import annotations

from flask import g, jsonify, request

from appliance import money
from appliance.errors import ValidationError
from appliance.i18n import _
from appliance.orders.permissions import allowed

from ..access import DEVICE, access
from . import body, box, bp, field_int, field_str, publish


def _sees_cost() -> bool:
    return allowed(g.actor, "purchasing")


def _flag(name: str) -> bool:
    value = request.args.get(name, "")
    if value not in ("", "0", "1", "true", "false"):
        raise ValidationError(_("{name} must be 1 or 0", name=name), field=name)
    return value in ("1", "true")


def blind_test():
    """Categories whose levels this person may not see now (an open blind stocktake); once
    per request."""
    from appliance.stock.counts import blind_to
    if "blind_to" not in g:
        with box().ledger.reading() as conn:
            g.blind_to = blind_to(conn, getattr(g, "actor", None))
    return g.blind_to


def _item_json(item, blind=None) -> dict:
    out = item.to_json(with_cost=_sees_cost())
    if (blind or blind_test())(item.category_id):
        # Counted blind: the number on record would be counted instead of the shelf.
        out.update(qty=None, negative=None, low=None, value=None, counting=True)
    return out


def _changed(product_id: str, variant_id: str) -> dict:
    item = box().stock.item(product_id, variant_id)
    # Every screen fetches what it may see; the event carries no level (blind counts).
    publish("stock", {"product_id": product_id, "variant_id": variant_id})
    return _item_json(item)


@bp.get("/stock")
@access("stock.view")
def stock_levels():
    q = request.args.get("q", "")
    if len(q) > 40:
        raise ValidationError(_("q is longer than 40 characters"), field="q")
    items = box().stock.levels(g.actor, q, request.args.get("category") or None,
                               low_only=_flag("low"), negative_only=_flag("negative"))
    blind = blind_test()
    return jsonify({"items": [_item_json(i, blind) for i in items]})


@bp.get("/stock/alerts")
@access("stock.view")
def stock_alerts():
    alerts, blind = box().stock.alerts(g.actor), blind_test()
    return jsonify({**alerts, "items": [_item_json(i, blind) for i in alerts["items"]]})


@bp.get("/stock/report")
@access("purchasing")
def stock_report():
    report = box().stock.report(g.actor)
    return jsonify({**report, "value": money.format_amount(report["value"]),
                    "slow_movers": [{**s, "value": money.format_amount(s["value"])}
                                    for s in report["slow_movers"]]})


@bp.get("/stock/<product_id>")
@access("stock.view")
def stock_item(product_id: str):
    variant_id = request.args.get("variant_id", "")
    stock = box().stock
    item = stock.item(product_id, variant_id)
    rule = stock.rule(product_id, variant_id)
    return jsonify({**_item_json(item), "rule": rule})


@bp.get("/stock/<product_id>/moves")
@access("stock.view")
def stock_moves(product_id: str):
    variant_id = request.args.get("variant_id")
    limit = request.args.get("limit", "100")
    if not limit.isdigit():
        raise ValidationError(_("limit must be a whole number"), field="limit")
    moves = box().stock.moves(g.actor, product_id, variant_id, int(limit))
    product = box().master.catalog.find_product(product_id)
    if blind_test()(product.category_id):
        for m in moves:          # what happened stays visible; the level it left does not
            m.update(after=None, negative=None)
    return jsonify({"moves": moves})


@bp.put("/stock/<product_id>/rule")
@access("purchasing")
def set_stock_rule(product_id: str):
    data = body()
    variant_id = field_str(data, "variant_id", default="")
    rule = box().stock.set_rule(
        g.actor, product_id, variant_id,
        low_level=field_int(data, "low_level", required=True),
        lead_time_days=field_int(data, "lead_time_days", default=0),
        supplier_id=field_str(data, "supplier_id"),
        pack_qty=field_int(data, "pack_qty", default=1))
    _changed(product_id, variant_id)
    return jsonify(rule)


@bp.post("/stock/<product_id>/adjust")
@access("stock.adjust")
def adjust_stock(product_id: str):
    data = body()
    variant_id = field_str(data, "variant_id", default="")
    box().orders.adjust_stock(g.actor, product_id, field_int(data, "delta", required=True),
                              field_str(data, "reason", required=True), variant_id=variant_id,
                              note=field_str(data, "note", default=""))
    return jsonify(_changed(product_id, variant_id))


@bp.get("/device/stock")
@access(DEVICE)
def device_stock():
    """For the box's daemons (uplinkd's heartbeat): how many items are low."""
    return jsonify({"low_stock": box().stock.low_stock_count()})
