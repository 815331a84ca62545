"""The office's notifications page (issue 10 point 5; docs/notifications.md): what customers
were told or are about to be, with its state and delivery; a manager retries or cancels one
and sends a test message (js/office_notify.js over /api/v1/notifications)."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from ..access import access
from . import bp, office_page


def event_labels() -> dict:
    return {"order_ready": _("Order ready for pick-up"), "order_shipped": _("Order shipped"),
            "aftersales": _("After-sales update"), "member_welcome": _("Member welcome"),
            "points_changed": _("Points changed"), "balance_changed": _("Balance changed"),
            "test": _("Test message")}


def state_labels() -> dict:
    return {"queued": _("Waiting"), "sending": _("Sending"), "sent": _("Sent"),
            "failed": _("Failed"), "cancelled": _("Cancelled")}


def channel_labels() -> dict:
    return {"email": _("E-mail"), "sms": _("SMS"), "wechat": _("WeChat")}


def script_strings() -> dict:
    return {"nt_none": _("No notifications for these filters."),
            "nt_attempts": _("attempts: %(n)s", n="{n}"),
            "nt_retry": _("Send again"), "nt_cancel": _("Cancel"),
            "nt_delivered": _("delivered"), "nt_undelivered": _("not delivered"),
            "nt_pending": _("waiting for the delivery report"),
            "nt_queued_test": _("Test message queued"),
            "nt_via_relay": _("through head office"),
            "nt_events": event_labels(), "nt_states": state_labels(),
            "nt_channels": channel_labels()}


@bp.get("/office/notifications")
@access("notify.view")
def notifications():
    cfg = current_app.config["BOX"].config.notify
    routes = {"email": cfg.email, "sms": cfg.sms, "wechat": cfg.wechat}
    return office_page("office_notifications.html", "office.notifications", routes=routes,
                       events=event_labels(), states=state_labels(),
                       channels=channel_labels())
