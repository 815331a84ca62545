"""The e-receipt page a customer opens from the QR code on the paper receipt (issue 10
point 1; docs/ereceipt.md). Public: the link is unguessable (signed per order) and carries no
personal data; the page shows none either.

``/r/<token>`` shows the receipt, its payment status (refunds), delivery tracking, the
after-sales requests and two plain HTML forms (they work without JavaScript), posted to
``/r/<token>/feedback`` and ``/r/<token>/request`` with a per-link form key instead of a
session's CSRF token. A good post is answered 303 back to the page with a thank-you note; a
bad one shows the page again with the message next to the form.

Unknown, forged and unpaid links all get the same 404 page, and the signature is checked
before anything is looked up. Bad links are counted per client address (guessing is slow),
posts per address and per link. Head office serves the same page through
appliance/headoffice/ereceipt.py with :func:`render`.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from flask import (Blueprint, current_app, make_response, redirect, render_template, request,
                   url_for)
from flask_babel import get_locale
from flask_babel import gettext as _

from appliance import ereceipt as service
from appliance.clock import parse_ts
from appliance.errors import Conflict, NotFound, ValidationError

from .access import PUBLIC, access

log = logging.getLogger(__name__)

bp = Blueprint("ereceipt", __name__)

#: Answers of the page: never cached, never indexed, and the link (a secret) never sent on.
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
           "X-Robots-Tag": "noindex, nofollow", "X-Content-Type-Options": "nosniff"}


def page_strings() -> dict:
    return {}


def labels() -> dict:
    """Every state the page names, in the page's language."""
    return {
        "state": {"paid": _("Paid"), "partly_refunded": _("Partly refunded"),
                  "refunded": _("Refunded")},
        "delivery_kind": {"delivery": _("Delivery"), "pickup": _("Pick-up in the shop")},
        "step": {"pending": _("Order received"), "packed": _("Packed"),
                 "shipped": _("Shipped"), "delivered": _("Delivered"),
                 "ready": _("Ready for pick-up"), "collected": _("Collected"),
                 "cancelled": _("Delivery cancelled")},
        "ticket_kind": {"return_request": _("Return request"), "complaint": _("Complaint"),
                        "repair": _("Repair"), "warranty": _("Warranty claim")},
        "ticket_status": {"open": _("Request received"), "in_progress": _("In progress"),
                          "resolved": _("Resolved"), "closed": _("Closed")},
    }


def _when(timezone: str):
    tz = ZoneInfo(timezone)

    def when(ts: str | None) -> str:
        if not ts:
            return ""
        try:
            return parse_ts(ts).astimezone(tz).strftime("%Y-%m-%d %H:%M")
        except (TypeError, ValueError):
            return ""
    return when


def render(view: dict | None, *, shop_name: str, timezone: str, urls: dict | None = None,
           key: str = "", status: int = 200, error: str = "", error_form: str = "",
           values: dict | None = None, retry_after: float = 0.0):
    """The page (``view`` from appliance.ereceipt.page_view or head office's reader), or the
    not-found page (``view`` None): the same for every bad link. ``urls``: page, feedback,
    request; ``key``: the forms' key."""
    sent = request.args.get("sent") if view is not None and status == 200 else None
    body = render_template(
        "ereceipt.html", view=view, urls=urls or {}, form_key=key, error=error,
        error_form=error_form, values=values or {}, sent=sent if sent in (
            "feedback", "request", "relayed") else None, ticket=request.args.get("ticket", "")[:20],
        labels=labels(), when=_when(timezone), comment_max=service.COMMENT_MAX,
        shop_name=shop_name, locale=str(get_locale()), strings=page_strings(),
        business_day="", timezone=timezone)
    resp = make_response(body, status)
    resp.headers.update(HEADERS)
    if retry_after:
        resp.headers["Retry-After"] = str(int(retry_after) + 1)
    return resp


def client_address() -> str:
    return request.remote_addr or "-"


def missing(shop_name: str, timezone: str):
    return render(None, shop_name=shop_name, timezone=timezone, status=404)


def too_many(shop_name: str, timezone: str, wait: float):
    return render(None, shop_name=shop_name, timezone=timezone, status=429,
                  error=_("Too many tries from this network. Please wait a few minutes."),
                  retry_after=wait)


# -- the box's page -----------------------------------------------------------------------------

def _limits() -> service.Limits:
    return current_app.extensions.setdefault("tillbox_ereceipt_limits", service.Limits())


def _box():
    # Always the real box: a customer has no session, and training sales have no link.
    return current_app.config["BOX"]


def _shop(box) -> dict:
    return {"shop_name": box.master.settings.get("shop.name"),
            "timezone": box.config.shop.timezone}


def _order_of(box, token: str):
    """The paid order a link names (signature first), or None; counts bad links."""
    try:
        return service.load_paid_order(box, service.order_id_of(box.receipt_key, token))
    except NotFound:
        _limits().bad_link(client_address())
        return None


def _urls(token: str) -> dict:
    return {"page": url_for("ereceipt.page", token=token),
            "feedback": url_for("ereceipt.feedback", token=token),
            "request": url_for("ereceipt.customer_request", token=token)}


def _show(box, order, token: str, **kw):
    return render(service.page_view(box, order), urls=_urls(token),
                  key=service.form_key(box.receipt_key, token), **_shop(box), **kw)


@bp.get("/r/<token>")
@access(PUBLIC)  # the link on the receipt's QR code; unguessable (signed per order)
def page(token: str):
    box = _box()
    wait = _limits().blocked(client_address())
    if wait:
        return too_many(**_shop(box), wait=wait)
    order = _order_of(box, token)
    if order is None:
        return missing(**_shop(box))
    return _show(box, order, token)


def _posted(token: str, form: str, handle):
    """The common part of both forms: link, form key, rate limits, then ``handle(box, order,
    form)`` -> redirect query; bad input shows the page again with the message."""
    box = _box()
    address = client_address()
    wait = _limits().blocked(address)
    if wait:
        return too_many(**_shop(box), wait=wait)
    order = _order_of(box, token)
    if order is None:
        return missing(**_shop(box))
    values = request.form.to_dict()
    if not service.form_key_ok(box.receipt_key, token, request.form.get("form_key")):
        return _show(box, order, token, status=403, error_form=form, values=values,
                     error=_("This form is out of date: reload the page and send it again."))
    wait = _limits().post(address, token)
    if wait:
        return _show(box, order, token, status=429, error_form=form, values=values,
                     retry_after=wait,
                     error=_("You have sent a lot from this page. Please try again later."))
    try:
        query = handle(box, order, request.form)
    except (ValidationError, Conflict) as exc:
        return _show(box, order, token, status=exc.status, error_form=form, values=values,
                     error=exc.message)
    return redirect(url_for("ereceipt.page", token=token, **query) + f"#{form}", code=303)


def _feedback(box, order, form) -> dict:
    rating = service.parse_rating(form.get("rating"))
    comment = service.parse_comment(form.get("comment"), required=False)
    service.record_feedback(box, order, rating, comment, "box")
    return {"sent": "feedback"}


def _request(box, order, form) -> dict:
    kind = service.parse_kind(form.get("kind"))
    comment = service.parse_comment(form.get("comment"), required=True)
    ticket = service.open_request(box, order, kind, comment, "box")
    return {"sent": "request", "ticket": ticket.get("number", "")}


@bp.post("/r/<token>/feedback")
@access(PUBLIC)  # the page's form: the link and the per-link form key are the credentials
def feedback(token: str):
    return _posted(token, "feedback", _feedback)


@bp.post("/r/<token>/request")
@access(PUBLIC)  # the page's form: the link and the per-link form key are the credentials
def customer_request(token: str):
    return _posted(token, "request", _request)
