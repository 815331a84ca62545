"""/api/v1 for reports (issue 9; docs/reports.md): the figures of a period as JSON, each
section as CSV, a short summary on the receipt printer, and the dashboard's today so far.

A period is ``?period=today|yesterday|this_week|last_week|this_month|last_month`` or
``?from=YYYY-MM-DD&to=YYYY-MM-DD`` (shop-local days; ``to`` defaults to ``from``, both to
today). Amounts are decimal strings. Everything needs ``reports.view``.
"""

from __future__ import annotations

import logging

from flask import Response, g, jsonify, request

from appliance.reports import to_json
from appliance.reports.export import section_csv

from ..access import access
from . import body, box, bp, field_str
from .device import publish_job

log = logging.getLogger(__name__)


def period_of(args) -> object:
    """The period a query string or JSON body asks for (ValidationError names the field)."""
    return box().reports.period(args.get("from") or None, args.get("to") or None,
                                name=args.get("period") or None)


@bp.get("/reports")
@access("reports.view")
def report():
    return jsonify(to_json(box().reports.build(period_of(request.args))))


@bp.get("/reports/today")
@access("reports.view")
def today_so_far():
    return jsonify(to_json(box().reports.today_so_far()))


@bp.get("/reports/<section>.csv")
@access("reports.view")
def report_csv(section: str):
    period = period_of(request.args)
    data = section_csv(box().reports.build(period), section)
    name = f"{section}-{period.first.isoformat()}"
    if period.last != period.first:
        name += f"-{period.last.isoformat()}"
    return Response(data, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}.csv"'})


@bp.post("/reports/print")
@access("reports.view")
def print_summary():
    """Queue the period's summary for the receipt printer: paper, not money (no journal
    record); laid out when printerd claims it (appliance/reports/printout.py)."""
    data = body()
    args = {k: field_str(data, k) for k in ("from", "to", "period")}
    period = period_of(args)
    job_id = box().printing.add_report({
        "document": "summary", "from": period.first.isoformat(),
        "to": period.last.isoformat(), "requested_by": g.staff.name}, prefix="summary")
    publish_job(box().printing.get(job_id))   # the counter shows the job's progress
    log.info("report summary %s..%s queued for the printer by %s (job %s)", period.first,
             period.last, g.staff.id, job_id)
    return jsonify({"job_id": job_id, "from": period.first.isoformat(),
                    "to": period.last.isoformat()}), 202
