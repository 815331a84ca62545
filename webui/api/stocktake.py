"""Stocktakes (盘点) over /api/v1: started and approved by a manager, counted on many phones.

Counters (``stock.count``) add entries and see each item's total over all phones; on a blind
count only managers (``stock.count.manage``) see expected quantities and differences. Every
change publishes a ``count`` event so every phone and the manager's review refresh.
"""

from __future__ import annotations

from flask import Response, g, jsonify, request


from ..access import access
from . import body, box, bp, field_bool, field_int, field_str, publish, require_key
from .device import publish_job


@bp.get("/counts")
@access("stock.count")
def list_counts():
    status = request.args.get("status") or None
    return jsonify({"counts": box().counts.find(g.actor, status)})


@bp.post("/counts")
@access("stock.count.manage")
def start_count():
    data = body()
    require_key(data, "scope")
    count = box().counts.start(g.actor, scope=data["scope"],
                               blind=field_bool(data, "blind", True),
                               note=field_str(data, "note", default=""))
    publish("count", {"id": count["id"], "status": count["status"]})
    return jsonify(count), 201


@bp.get("/counts/<count_id>")
@access("stock.count")
def get_count(count_id: str):
    return jsonify(box().counts.get(g.actor, count_id))


@bp.post("/counts/<count_id>/entries")
@access("stock.count")
def add_entry(count_id: str):
    data = body()
    item = box().counts.add_entry(
        g.actor, count_id, qty=field_int(data, "qty", required=True),
        barcode=field_str(data, "barcode"), product_id=field_str(data, "product_id"),
        variant_id=field_str(data, "variant_id", default=""))
    # Totals only: a blind count's phones must not learn expected quantities from events.
    publish("count", {"id": count_id, "product_id": item["product_id"],
                      "variant_id": item["variant_id"], "counted": item["counted"]})
    return jsonify(item), 201


@bp.get("/counts/<count_id>/review")
@access("stock.count.manage")
def review_count(count_id: str):
    return jsonify(box().counts.review(g.actor, count_id))


@bp.post("/counts/<count_id>/approve")
@access("stock.count.manage")
def approve_count(count_id: str):
    data = body()
    review = box().counts.approve(g.actor, count_id,
                                  zero_uncounted=field_bool(data, "zero_uncounted", False))
    publish("count", {"id": count_id, "status": review["status"]})
    publish("stock", {"count_id": count_id})
    return jsonify(review)


@bp.post("/counts/<count_id>/cancel")
@access("stock.count.manage")
def cancel_count(count_id: str):
    count = box().counts.cancel(g.actor, count_id,
                                field_str(body(), "reason", required=True))
    publish("count", {"id": count_id, "status": count["status"]})
    return jsonify(count)


@bp.get("/counts/<count_id>/sheet.csv")
@access("stock.count")
def count_sheet(count_id: str):
    counts = box().counts
    data = counts.sheet_csv(g.actor, count_id)
    number = counts.get(g.actor, count_id)["number"]
    return Response(data, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{number}.csv"'})


@bp.post("/counts/<count_id>/print")
@access("stock.count")
def print_count(count_id: str):
    job_id = box().counts.print_sheet(g.actor, count_id)
    publish_job(box().printing.get(job_id))
    return jsonify({"job_id": job_id}), 202
