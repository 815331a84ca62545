"""The office's after-sales page (issue 10 point 3; docs/aftersales.md): tickets with filters,
opening one from an order number or a serial number, a ticket's history with its status
buttons and notes, and the ticket slip (js/aftersales.js). Works on a phone."""

from __future__ import annotations

from flask_babel import gettext as _

from ..access import access
from . import bp, office_page


def kind_labels() -> dict:
    return {"complaint": _("Complaint"), "repair": _("Repair"), "warranty": _("Warranty"),
            "return_request": _("Return request")}


def status_labels() -> dict:
    return {"open": _("To do"), "in_progress": _("In progress"), "resolved": _("Resolved"),
            "closed": _("Closed")}


def script_strings() -> dict:
    return {
        **{f"as_kind_{k}": v for k, v in kind_labels().items()},
        **{f"as_status_{k}": v for k, v in status_labels().items()},
        "as_to_in_progress": _("Start work"), "as_to_resolved": _("Mark resolved"),
        "as_to_closed": _("Close"), "as_reopen": _("Reopen"),
        "as_note_needed": _("Write what was done in the note first."),
        "as_opened": _("Ticket %(number)s opened", number="{number}"),
        "as_updated": _("Ticket %(number)s: %(status)s", number="{number}", status="{status}"),
        "as_printing": _("The ticket slip is printing."),
        "as_none": _("No tickets match."),
        "as_order": _("Order %(number)s", number="{number}"),
        "as_serial": _("Serial %(serial)s", serial="{serial}"),
        "as_by": _("done by %(name)s", name="{name}"), "as_customer": _("customer"),
        "as_from_ereceipt": _("sent from the e-receipt"),
        "as_sold": _("Sold %(date)s on order %(number)s", date="{date}", number="{number}"),
        "as_in_warranty": _("In warranty until %(date)s", date="{date}"),
        "as_out_of_warranty": _("Warranty ended on %(date)s", date="{date}"),
        "as_open_warranty": _("Open a warranty ticket"),
        "as_open_repair": _("Open a repair ticket"),
        "as_returned": _("returned"),
        "as_tickets_before": _("Tickets before: %(numbers)s", numbers="{numbers}"),
        "as_approved": _("Accepted after the warranty by %(name)s", name="{name}"),
        # the serial numbers prompt on the counter and the phone (js/serials_panel.js)
        "as_serials_title": _("Serial numbers"),
        "as_serials_missing": _("Scan or type a serial number for every unit before payment."),
        "as_serials_count": _("%(have)s of %(qty)s", have="{have}", qty="{qty}"),
        "as_serials_placeholder": _("One serial number per line"),
        "as_serials_save": _("Save serial numbers"),
        "as_serials_saved": _("Serial numbers saved"),
    }


@bp.get("/office/aftersales")
@access("aftersales.view")
def aftersales():
    return office_page("office_aftersales.html", "office.aftersales", kinds=kind_labels(),
                       statuses=status_labels(),
                       staff_kinds=[(k, v) for k, v in kind_labels().items()
                                    if k != "return_request"])
