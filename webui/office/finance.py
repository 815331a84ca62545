"""The office's finance page (issue 9; docs/finance.md): enter income and expenses, void a
wrong entry, profit by day for a month and by month for a year, CSV exports. The figures
come from /api/v1/finance (js/office_finance.js)."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from appliance.finance import CATEGORIES, category_labels

from ..access import access
from . import bp, office_page


def script_strings() -> dict:
    return {
        **{f"fin_cat_{k}": v for k, v in category_labels().items()},
        "fin_added": _("Entry saved"), "fin_voided": _("Entry voided"),
        "fin_void": _("Void"), "fin_none": _("No entries in this month."),
        "fin_voided_why": _("Voided: %(reason)s", reason="{reason}"),
        "fin_by": _("by %(name)s", name="{name}"),
        "fin_amount_bad": _("Enter an amount like 12.50"),
        "fin_sum": _("Expenses %(expenses)s · other income %(income)s", expenses="{expenses}",
                     income="{income}"),
    }


@bp.get("/office/finance")
@access("finance")
def finance():
    box = current_app.config["BOX"]
    today = box.finance.today()
    return office_page("office_finance.html", "office.finance", today=today,
                       categories=[(k, category_labels()[k], kind)
                                   for k, kind in CATEGORIES.items()],
                       suppliers=box.master.suppliers.list())
