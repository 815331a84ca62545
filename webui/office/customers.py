"""The office's customers page (issue 10)."""

from __future__ import annotations

from flask import current_app  # noqa: F401

from ..access import access
from . import bp, office_page


@bp.get("/office/customers")
@access("customer.data")
def customers():
    return office_page("office_customers.html", "office.customers")
