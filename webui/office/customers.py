"""The office's customers page (issue 10 point 6; docs/customer-data.md): a manager looks up
what the box holds about a phone number, downloads it for the customer as JSON, or erases it
after a confirmation (js/office_customers.js over /api/v1/customer-data)."""

from __future__ import annotations

from flask_babel import gettext as _

from ..access import access
from . import bp, office_page


def script_strings() -> dict:
    return {
        "cu_member": _("Member"), "cu_no_member": _("Not a member"),
        "cu_card": _("Card %(code)s", code="{code}"),
        "cu_points_balance": _("%(points)s points, balance %(balance)s", points="{points}",
                               balance="{balance}"),
        "cu_orders": _("Orders: %(count)s", count="{count}"),
        "cu_names": _("Names on orders: %(names)s", names="{names}"),
        "cu_tickets": _("After-sales tickets: %(numbers)s", numbers="{numbers}"),
        "cu_deliveries": _("Deliveries: %(count)s", count="{count}"),
        "cu_feedback": _("Feedback: %(count)s", count="{count}"),
        "cu_exported": _("The file customer-data.json is downloading: hand it to the customer."),
        "cu_erased": _("Erased: %(orders)s orders, %(points)s points forfeited",
                       orders="{orders}", points="{points}"),
        "cu_phone_mismatch": _("Type the same phone number again to confirm."),
    }


@bp.get("/office/customers")
@access("customer.data")
def customers():
    return office_page("office_customers.html", "office.customers")
