"""The office's deliveries page (issue 10 point 4; docs/delivery.md), phone-first: what to
pack, what to ship, what waits for pick-up, and the recent ones; the next status of each,
carrier and tracking number (typed or scanned with the phone's camera), pick slips
(js/deliveries.js). The delivery panel of the phone and the counter (js/delivery_panel.js)
uses the same strings."""

from __future__ import annotations

from flask_babel import gettext as _

from ..access import access
from . import bp, office_page


def status_labels() -> dict:
    return {"pending": _("Pending"), "packed": _("Packed"), "shipped": _("Shipped"),
            "delivered": _("Delivered"), "ready": _("Ready for pick-up"),
            "collected": _("Collected"), "cancelled": _("Cancelled")}


def script_strings() -> dict:
    return {
        **{f"dl_status_{k}": v for k, v in status_labels().items()},
        "dl_kind_delivery": _("Delivery"), "dl_kind_pickup": _("Pick-up in store"),
        "dl_kind_none": _("Taken now"),
        "dl_title": _("Delivery or pick-up"), "dl_save": _("Save delivery"),
        "dl_saved": _("Delivery saved"), "dl_recipient": _("Recipient"),
        "dl_phone": _("Recipient's phone"), "dl_address": _("Address"),
        "dl_note": _("Delivery note"), "dl_locked": _("Shipped: the address can no longer change"),
        "dl_to_pack": _("To pack"), "dl_to_ship": _("To ship"),
        "dl_ready": _("Ready for pick-up"), "dl_shipped": _("On the way"),
        "dl_recent": _("Recent"), "dl_empty": _("Nothing here."),
        "dl_go_packed": _("Packed"), "dl_go_ready": _("Ready for pick-up"),
        "dl_go_shipped": _("Ship"), "dl_go_delivered": _("Delivered"),
        "dl_go_collected": _("Collected"), "dl_go_cancelled": _("Cancel delivery"),
        "dl_confirm_cancel": _("Cancel the delivery of order %(number)s?", number="{number}"),
        "dl_pick_slip": _("Print pick slip"), "dl_slip_queued": _("Pick slip sent to the printer"),
        "dl_online": _("Online"), "dl_online_title": _("Online order from head office"),
        "dl_moved": _("Order %(number)s: %(status)s", number="{number}", status="{status}"),
        "dl_unpaid": _("not paid"), "dl_paid": _("paid"),
        "dl_scan": _("Scan"), "dl_scan_unavailable": _("The camera needs HTTPS: type the number"),
        "dl_carrier_other": _("Other carrier…"),
    }


@bp.get("/office/deliveries")
@access("fulfilment.edit")
def deliveries():
    return office_page("office_deliveries.html", "office.deliveries")
