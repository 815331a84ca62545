"""Pages for people: the start page, PIN sign-in, the phone order entry, the counter and the
customer display. Pages are thin: they render translated text and load one small script that
talks to /api/v1. Every string a script shows comes from :func:`script_strings`, so it goes
through the same translation catalog as the templates.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_babel import get_locale
from flask_babel import gettext as _

from .access import LOGIN, PUBLIC, access

bp = Blueprint("pages", __name__)


def script_strings() -> dict:
    return {
        "add": _("Add"), "added": _("Added"), "amount": _("Amount"), "cancel": _("Cancel"),
        "cancel_order": _("Cancel order"), "cancel_reason": _("Why is it cancelled?"),
        "cart_empty": _("No items yet: search, pick a category or scan."),
        "change_due": _("Change due"), "choose_spec": _("Choose a spec"),
        "customer": _("Customer"), "due": _("Due"), "error": _("Something went wrong"),
        "logout": _("Sign out"), "method_alipay": _("Alipay"), "method_card": _("Card"),
        "method_cash": _("Cash"), "method_cheque": _("Cheque"),
        "method_transfer": _("Bank transfer"), "method_wechat": _("WeChat Pay"),
        "new_order": _("New order"), "no_orders": _("No orders here."),
        "note": _("Note"), "offline": _("Connection lost: retrying…"),
        "paid": _("Paid"), "park": _("Park for the counter"), "parked": _("Parked"),
        "pay": _("Take payment"), "phone": _("Phone"), "qty": _("Qty"),
        "recall": _("Recall"), "reference": _("Reference"),
        "reference_needed": _("Enter the payment reference"), "scan": _("Scan"),
        "scan_unavailable": _("This browser cannot scan here: type the barcode."),
        "search": _("Search name, code or barcode"), "stock": _("Stock"),
        "subtotal": _("Subtotal"), "status_open": _("Open"), "status_paid": _("Paid"),
        "status_parked": _("Parked"), "status_cancelled": _("Cancelled"),
        "total": _("Total"), "wrong_pin": _("Wrong PIN"), "receipt": _("Receipt"),
        "completed": _("Sale completed"), "all": _("All"), "round_off": _("Round-off"),
        "new_product": _("New product"), "saved": _("Saved"),
        "reprint_queued": _("A copy of the receipt is queued for the printer"),
        "signed_in_as": _("Signed in as %(name)s", name="{name}"),
    }


def _page(template: str, **kw):
    box = current_app.config["BOX"]
    return render_template(template, shop_name=box.master.settings.get("shop.name"),
                           locale=str(get_locale()), strings=script_strings(),
                           business_day=box.orders.today(), **kw)


@bp.get("/")
@access(PUBLIC)  # customers share the Wi-Fi: nothing about takings on a public page
def index():
    box = current_app.config["BOX"]
    return _page("index.html", day=box.orders.today(),
                 products=box.master.catalog.counts()["products"],
                 device_id=box.ledger.device_id, https=bool(box.config.web.https_port))


@bp.get("/login")
@access(PUBLIC)
def login():
    return _page("login.html")


@bp.get("/phone")
@access("order.edit")
def phone():
    return _page("phone.html")


@bp.get("/counter")
@access("payment.take")
def counter():
    return _page("counter.html")


@bp.get("/display")
@access(LOGIN)
def display():
    return _page("display.html")
