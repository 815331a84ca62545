"""The e-receipt page a customer opens from the QR code on the paper receipt (issue 10
point 1; docs/ereceipt.md). Public: the link is unguessable (signed per order) and carries no
personal data."""

from __future__ import annotations

from flask import Blueprint, abort, current_app

from appliance.errors import TillboxError

from .access import PUBLIC, access

bp = Blueprint("ereceipt", __name__)


@bp.get("/r/<token>")
@access(PUBLIC)  # the link on the receipt's QR code; unguessable (signed per order)
def page(token: str):
    from appliance.printing.documents import order_for_token, receipt_lines
    from .pages import _page
    box = current_app.config["BOX"]
    try:
        order = box.orders.get_order(order_for_token(box.receipt_key, token))
    except TillboxError:
        abort(404)
    if order.status != "paid":
        abort(404)
    lines, doc = receipt_lines(box, order)
    return _page("ereceipt.html", lines=lines, paper_mm=doc["paper_mm"], number=order.number)
