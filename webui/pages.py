"""Pages for people. The start page shows the shop's state at a glance."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_babel import get_locale

from appliance.money import format_amount

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    box = current_app.config["BOX"]
    today = box.orders.today()
    summary = box.orders.day_summary(today)
    seq, _ = box.ledger.head()
    return render_template(
        "index.html", shop_name=box.master.settings.get("shop.name"), day=today,
        sales_total=format_amount(summary["net_sales"]), receipts=summary["receipts"],
        parked=summary["parked"], products=box.master.catalog.counts()["products"],
        journal_seq=seq, device_id=box.ledger.device_id, locale=str(get_locale()))
