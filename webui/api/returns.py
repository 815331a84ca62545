"""/api/v1 routes of issue 10 point 2: returns without a receipt, exchanges, store credit
(docs/returns.md). Money in JSON is a decimal string; a manager approves with
``approver_pin`` like every other route."""

from __future__ import annotations

from flask import jsonify, request, g

from appliance.errors import ValidationError
from appliance.i18n import _
from appliance.money import format_amount

from ..access import access
from . import approver, body, box, bp, field_amount, field_bool, field_int, field_str, publish
from .orders import _publish, _refund_lines, _refund_tenders, order_json


def _lines(data):
    lines = _refund_lines(data)
    if not lines:
        raise ValidationError(_("choose at least one line to return"), field="lines")
    return lines


def _items(data, name="items"):
    items = data.get(name, [])
    if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
        raise ValidationError(_("items must be a list of {\"barcode\" or \"product_id\","
                                " \"qty\"}"), field=name)
    return [{"barcode": field_str(x, "barcode"), "product_id": field_str(x, "product_id"),
             "variant_id": field_str(x, "variant_id"), "qty": field_int(x, "qty", default=1),
             "serials": x.get("serials")} for x in items]


def _payments(data):
    pays = data.get("payments")
    if pays is None:
        return None
    if not isinstance(pays, list) or not all(isinstance(x, dict) for x in pays):
        raise ValidationError(_("payments must be a list of {\"method\", \"amount\","
                                " \"reference\"}"), field="payments")
    return [(field_str(x, "method", required=True), field_amount(x, "amount"),
             field_str(x, "reference", default="")) for x in pays]


def _tenders(data, name):
    return _refund_tenders({"tenders": data.get(name)})


@bp.get("/returns/sales")
@access("order.find")
def returns_find_sales():
    a = request.args
    sales = box().returns.find_sales(g.actor, phone=a.get("phone") or None,
                                     day=a.get("day") or None,
                                     product=a.get("product") or None,
                                     number=a.get("number") or None)
    return jsonify({"sales": sales})


@bp.post("/returns/quote")
@access("order.find")
def returns_quote():
    data = body()
    order_id = field_str(data, "order_id", required=True)
    return jsonify(box().returns.quote(g.actor, order_id, lines=_lines(data),
                                       items=_items(data)))


@bp.post("/returns/refund")
@access("order.find")  # the refund itself needs "refund" (the engine checks it)
def returns_refund():
    data = body()
    order_id = field_str(data, "order_id", required=True)
    r = box().returns.refund(
        g.actor, order_id, lines=_lines(data), reason=field_str(data, "reason", required=True),
        reason_note=field_str(data, "reason_text", default=""),
        tenders=_tenders(data, "tenders"),
        store_credit=field_bool(data, "store_credit", False), approver=approver(data),
        restock=field_bool(data, "restock", True))
    order = box().orders.get_order(order_id)
    _publish(order)
    if order.member_id:
        publish("member", {"id": order.member_id})
    return jsonify({"refund": _refund_json(r), "order": order_json(order)}), 201


@bp.post("/returns/exchange")
@access("order.exchange")
def returns_exchange():
    data = body()
    order_id = field_str(data, "order_id", required=True)
    res = box().returns.exchange(
        g.actor, order_id, lines=_lines(data), items=_items(data),
        reason=field_str(data, "reason", required=True),
        reason_note=field_str(data, "reason_text", default=""), payments=_payments(data),
        refund_tenders=_tenders(data, "refund_tenders"), approver=approver(data),
        restock=field_bool(data, "restock", True))
    for order in (res["original"], res["new"]):
        _publish(order)
    if res["new"].member_id:
        publish("member", {"id": res["new"].member_id})
    return jsonify({"original": order_json(res["original"]), "new": order_json(res["new"]),
                    "refund": _refund_json(res["refund"]),
                    "returned": format_amount(res["returned"]),
                    "new_total": format_amount(res["new_total"]),
                    "difference": format_amount(res["difference"]),
                    "change": format_amount(res["change"])}), 201


@bp.get("/credit-notes/<credit_code>")
@access("payment.take")
def credit_note_balance(credit_code: str):
    return jsonify(box().returns.credit_note(credit_code))


def _refund_json(r) -> dict:
    """The refund, with the credit note codes it issued (to show and print)."""
    out = r.to_json()
    out["credit_notes"] = box().returns.credit_notes_of(r.id)
    return out


def script_strings() -> dict:
    """Strings js/returns.js and the counter's tenders show (webui/pages.py script_strings)."""
    return {
        "method_credit_note": _("Credit note"), "method_store_credit": _("Store credit"),
        "method_exchange": _("Exchange"),
        "rt_give_filter": _("Give a phone, a date, a product or an order number"),
        "rt_none_found": _("No paid sale matches."),
        "rt_serials": _("Serial numbers, one per unit"),
        "rt_refunded": _("{amount} already refunded"),
        "rt_sale_head": _("Order {number}, {when}, total ￥{total}"),
        "rt_outside_window": _("Sold {days} days ago, outside the return window: a manager approves."),
        "rt_qty_of": _("Quantity of {name} to return"),
        "rt_do_refund": _("Refund"), "rt_do_exchange": _("Exchange"),
        "rt_to_pay": _("Customer pays"), "rt_to_give_back": _("To give back"),
        "rt_even": _("Even exchange"),
        "rt_exchanged": _("Exchanged: new order {number}"),
        "rt_refunded_done": _("Refunded ￥{amount}"),
        "rt_credit_note_issued": _("Credit note {code} for ￥{amount}: the slip is printing"),
    }
