"""/api/v1 for shifts and the X/Z reports (issue 9; docs/shifts.md, docs/api.md).

The handover is blind: nothing here shows what an open shift should hold, except
``expected_so_far`` on GET /shifts/<id> to a manager. Amounts are decimal strings; a count by
denomination is ``{"10000": 3}`` (fen value as a string: pieces).
"""

from __future__ import annotations

from flask import g, jsonify, request

from appliance.errors import ValidationError
from appliance.i18n import _
from appliance.money import format_amount, parse_amount
from appliance.orders.permissions import allowed
from appliance.shifts.counting import COUNTED_METHODS, DENOMINATIONS

from ..access import access
from . import approver, body, box, bp, field_amount, field_str, publish


def _fen_map(values: dict) -> dict:
    return {k: format_amount(v) for k, v in values.items()}


def _person(staff_id: str | None) -> dict | None:
    if not staff_id:
        return None
    return {"id": staff_id, "name": box().master.staff.name_of(staff_id)}


def shift_json(shift, *, manager: bool = False) -> dict:
    """A shift; its expected figures once it is closed (a manager also sees them so far)."""
    out = {"id": shift.id, "number": shift.number, "status": shift.status,
           "float": format_amount(shift.float), "opened_at": shift.opened_at,
           "opened_by": _person(shift.opened_by), "closed_at": shift.closed_at,
           "closed_by": _person(shift.closed_by), "override_by": _person(shift.override_by),
           "note": shift.note, "close_reason": shift.close_reason,
           "cash_moves": [{"kind": m["kind"], "amount": format_amount(m["amount"]),
                           "reason": m["reason"], "at": m["at"], "by": _person(m["staff"])}
                          for m in shift.cash_moves]}
    if shift.status == "closed":
        out["counted"] = {"denominations": shift.counted["denominations"],
                          "tenders": _fen_map(shift.counted["tenders"])}
        out["expected"] = _fen_map(shift.expected)
        out["over_short"] = _fen_map(shift.over_short)
    elif manager:
        out["expected_so_far"] = _fen_map(box().shifts.expected_now(shift))
    return out


def report_json(r: dict) -> dict:
    """An X or Z report as recorded, with its amounts as decimal strings."""
    fmt = format_amount
    out = {k: r[k] for k in ("report_id", "kind", "number", "business_day", "first_seq",
                             "last_seq", "head_hash", "from_ts", "to_ts", "created_at", "seq")}
    out["created_by"] = _person(r["created_by"])
    if r["kind"] == "x":
        out.update(shift_id=r["shift_id"], shift_number=r["shift_number"], float=fmt(r["float"]))
    out["tenders"] = {m: _fen_map(f) for m, f in r["tenders"].items()}
    out["tax_rates"] = [{"rate": t["rate"], "gross": fmt(t["gross"]), "tax": fmt(t["tax"])}
                        for t in r["tax_rates"]]
    out["categories"] = [{**c, "net": fmt(c["net"])} for c in r["categories"]]
    out["orders"] = {"count": r["orders"]["count"],
                     **_fen_map({k: v for k, v in r["orders"].items() if k != "count"})}
    for key in ("refunds", "voids", "top_ups", "floats"):
        out[key] = {k: (fmt(v) if k in ("amount", "bonus") else v) for k, v in r[key].items()}
    out["cash"] = {k: (v if k.endswith("_count") else fmt(v)) for k, v in r["cash"].items()}
    out["shifts"] = [{**s, "float": fmt(s["float"]), "over_short": _fen_map(s["over_short"])}
                     for s in r["shifts"]]
    out["over_short"] = _fen_map(r["over_short"])
    return out


def _counts(data: dict) -> dict | None:
    counts = data.get("denominations")
    if counts is not None and not isinstance(counts, dict):
        raise ValidationError(_("denominations must be an object of fen value: count"),
                              field="denominations")
    return counts


def _tenders(data: dict) -> dict | None:
    tenders = data.get("tenders")
    if tenders is None:
        return None
    if not isinstance(tenders, dict):
        raise ValidationError(_("tenders must be an object of method: amount"), field="tenders")
    return {m: parse_amount(v, field="tenders") for m, v in tenders.items()}


def _shift_changed(shift, status: int = 200, **extra):
    publish("shift", {"id": shift.id, "number": shift.number, "status": shift.status})
    return jsonify({**shift_json(shift), **extra}), status


@bp.get("/shifts/current")
@access("shift.open")
def current_shift():
    """The open shift (or null) and what the counter's forms need: the default float, the
    denominations, and the other tenders a handover counts (those switched on)."""
    shifts, settings = box().shifts, box().master.settings
    shift = shifts.current()
    enabled = settings.get("tenders.enabled")
    return jsonify({
        "shift": shift_json(shift) if shift else None,
        "default_float": format_amount(settings.get("shifts.default_float")),
        "required": settings.get("shifts.required"),
        "denominations": [{"key": str(d), "value": format_amount(d)} for d in DENOMINATIONS],
        "tenders": [m for m in COUNTED_METHODS if m != "cash" and m in enabled]})


@bp.post("/shifts")
@access("shift.open")
def open_shift():
    data = body()
    shift = box().shifts.open(g.actor, field_amount(data, "float", required=False),
                              counts=_counts(data), note=field_str(data, "note", default=""))
    return _shift_changed(shift, 201)


@bp.post("/shifts/current/cash")
@access("shift.cash")
def move_cash():
    data = body()
    move = box().shifts.move_cash(g.actor, field_str(data, "kind", required=True),
                                  field_amount(data, "amount"),
                                  field_str(data, "reason", required=True))
    shift = box().shifts.get(move["shift_id"])
    return _shift_changed(shift, 201, move={"kind": move["kind"],
                                            "amount": format_amount(move["amount"]),
                                            "reason": move["reason"], "at": move["at"]})


@bp.post("/shifts/current/close")
@access("shift.close")
def close_shift():
    data = body()
    shift = box().shifts.close(g.actor, counts=_counts(data), tenders=_tenders(data),
                               approver=approver(data),
                               reason=field_str(data, "reason", default=""))
    return _shift_changed(shift)


@bp.get("/shifts")
@access("shift.close")
def list_shifts():
    limit = _limit()
    return jsonify({"shifts": [shift_json(s) for s in box().shifts.recent(limit)]})


@bp.get("/shifts/<shift_id>")
@access("shift.close")
def get_shift(shift_id: str):
    return jsonify(shift_json(box().shifts.get(shift_id),
                              manager=allowed(g.actor, "shift.override")))


def _limit() -> int:
    raw = request.args.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= 500:
        raise ValidationError(_("limit must be a whole number from 1 to 500"), field="limit")
    return int(raw)


# -- X and Z reports ------------------------------------------------------------------------

@bp.post("/reports/x")
@access("report.x")
def x_report():
    report = box().shifts.x_report(g.actor)
    publish("till_report", {"id": report["report_id"], "kind": "x"})
    return jsonify(report_json(report)), 201


@bp.post("/reports/z")
@access("report.z")
def z_report():
    report = box().shifts.z_report(g.actor)
    publish("till_report", {"id": report["report_id"], "kind": "z"})
    return jsonify(report_json(report)), 201


@bp.get("/till-reports")
@access("report.x")
def list_till_reports():
    kind = request.args.get("kind") or None
    return jsonify({"reports": [report_json(r) for r in box().shifts.reports(kind, _limit())]})


@bp.get("/till-reports/<report_id>")
@access("report.x")
def get_till_report(report_id: str):
    return jsonify(report_json(box().shifts.report(report_id)))


@bp.post("/till-reports/<report_id>/reprint")
@access("report.x")
def reprint_till_report(report_id: str):
    """A paper copy (marked REPRINT): queued as paper, not a money event (no record)."""
    payload = box().shifts.reprint(g.actor, report_id)
    return jsonify({"job_id": box().printing.add_report(payload, prefix="till-report")}), 202
