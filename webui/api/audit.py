"""/api/v1 for the audit trail (issue 9; docs/staff-audit.md): sensitive actions with who and
when, newest first, a page at a time (``before`` = the ``next_before`` of the last page), and
the same as CSV."""

from __future__ import annotations

from flask import g, jsonify, request

from appliance.audit_trail import AuditTrail, kind_labels
from appliance.errors import ValidationError
from appliance.i18n import _

from ..access import access
from . import box, bp
from .finance import csv_response


def _trail() -> AuditTrail:
    return AuditTrail(box().ledger, box().master, box().config.shop.timezone)


def _whole(name: str, default: int | None) -> int | None:
    value = request.args.get(name)
    if value in (None, ""):
        return default
    if not value.isdigit():
        raise ValidationError(_("{name} must be a whole number", name=name), field=name)
    return int(value)


def _filters() -> dict:
    args = request.args
    return {"first_day": args.get("from") or None, "last_day": args.get("to") or None,
            "kind": args.get("kind") or None, "staff": args.get("staff") or None}


@bp.get("/audit")
@access("audit.view")
def audit_trail():
    page = _trail().list(g.actor, **_filters(), before=_whole("before", None),
                         limit=_whole("limit", 50))
    return jsonify({**page, "kinds": kind_labels()})


@bp.get("/audit.csv")
@access("audit.view")
def audit_trail_csv():
    f = _filters()
    name = "-".join(x for x in ("audit", f["first_day"], f["last_day"]) if x)
    return csv_response(_trail().csv(g.actor, **f), f"{name}.csv")
