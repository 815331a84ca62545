"""Pages for people. The start page shows the shop's state at a glance."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_babel import get_locale

from .access import PUBLIC, access

bp = Blueprint("pages", __name__)


@bp.get("/")
@access(PUBLIC)  # customers share the Wi-Fi: nothing about takings on a public page
def index():
    box = current_app.config["BOX"]
    seq, _ = box.ledger.head()
    return render_template(
        "index.html", shop_name=box.master.settings.get("shop.name"), day=box.orders.today(),
        products=box.master.catalog.counts()["products"], journal_seq=seq,
        device_id=box.ledger.device_id, locale=str(get_locale()))
