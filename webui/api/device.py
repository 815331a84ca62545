"""/api/v1/device/...: the box's own daemons (printerd, scannerd) talking to core.

Loopback only, with the device token (webui.access DEVICE). Nothing here waits on a device:
the daemons do the device I/O and report; core records and tells the screens.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, g, jsonify, request

from appliance.errors import NotFound, ValidationError
from appliance.i18n import _, language
from appliance.printing.documents import document_for
from appliance.training.printing import claim_next

from ..access import DEVICE, access
from . import body, box, bp, field_bool, field_int, field_str, publish

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")

LONG_POLL_MAX = 25


def job_json(job: dict) -> dict:
    """A job as screens see it (no payload internals)."""
    return {k: job[k] for k in ("id", "kind", "order_id", "state", "reason", "attempts",
                                "created_at", "updated_at", "finished_at")}


def publish_job(job: dict, training: bool = False) -> None:
    publish("print_job", job_json(job), training=training)


def _training_stack():
    """The training stack if training was ever used on this box (docs/training.md), its
    queue's own changes (expired jobs) told to the screens in training mode."""
    stack = current_app.config["BOX"].training(create=False)
    if stack is not None and stack.printing.on_change is None:
        events = current_app.config["EVENTS"]
        stack.printing.on_change = lambda jobs: [
            events.publish("print_job", {**job_json(j), "training": True}) for j in jobs]
    return stack


@bp.get("/device/print-jobs/next")
@access(DEVICE)
def next_print_job():
    """The next job of the real queue, else of the training stack's (its paper is marked as
    training); the long poll wakes for either."""
    wait = min(max(request.args.get("wait", 0, type=float), 0.0), LONG_POLL_MAX)
    kind = request.args.get("kind") or None
    if kind not in (None, "receipt", "drawer", "report", "label"):
        raise ValidationError(_("kind must be receipt, drawer, report or label"), field="kind")
    real = box()
    while True:
        claimed = claim_next(real, _training_stack, wait, kind)
        if claimed is None:
            return "", 204
        stack, job = claimed
        training = stack is not real
        if not (training and job["kind"] == "drawer"):
            break
        # Training never opens the real cash drawer (no money moved), and says nothing of a
        # kick nobody expects: the job ends "failed: training" in the training queue.
        stack.printing.report(job["id"], "failed", "training")
        wait = 0
    publish_job(job, training)
    try:
        document = document_for(stack, job)
    except Exception as exc:  # noqa: BLE001 - a job that cannot be laid out must not jam the queue
        log.exception("print job %s cannot be laid out: %s", job["id"], exc)
        failed = stack.printing.report(job["id"], "failed", "layout")
        publish_job(failed, training)
        return "", 204
    return jsonify({**job_json(job), "document": document})


@bp.post("/device/print-jobs/<job_id>")
@access(DEVICE)
def report_print_job(job_id: str):
    data = body()
    state = field_str(data, "state", required=True)
    reason = field_str(data, "reason", default="")
    training = False
    try:
        job = box().printing.report(job_id, state, reason)
    except NotFound:
        stack = _training_stack()
        if stack is None:
            raise
        job = stack.printing.report(job_id, state, reason)
        training = True
    publish_job(job, training)
    if job["kind"] == "drawer" and state == "printed":
        audit.info("drawer opened job=%s order=%s by %s", job_id, job["order_id"] or "-",
                   g.device)
    elif state == "failed":
        log.warning("print job %s (%s) failed: %s", job_id, job["kind"], reason)
    return jsonify(job_json(job))


@bp.put("/device/printer")
@access(DEVICE)
def printer_status():
    data = body()
    status = {k: data.get(k) for k in ("ready", "reason", "online", "cover_open",
                                       "paper_near_end", "paper_out", "drawer_open",
                                       "drawer_alert", "device", "error")}
    devices = current_app.config["DEVICES"]
    if devices.printer_reported(status):
        publish("printer", devices.printer())
    return jsonify({"printer": devices.printer(), "uplink_ok": devices.uplink_ok(),
                    "low_stock": _low_stock()})


def _low_stock() -> int | None:
    """Items at or below their low-stock level, for the status LED; None when it cannot be
    worked out (a broken count must not stop the printer's status getting through)."""
    try:
        return box().stock.low_stock_count()
    except Exception:  # noqa: BLE001
        log.exception("cannot count low-stock items for printerd")
        return None


@bp.get("/device/printer")
@access(DEVICE)
def printer_state():
    """The printer as the screens see it (uplinkd puts it in the heartbeat)."""
    p = current_app.config["DEVICES"].printer()
    return jsonify({k: p.get(k) for k in ("state", "reason", "paper_near_end")})


@bp.put("/device/uplink")
@access(DEVICE)
def uplink_state():
    data = body()
    summary = {k: data.get(k) for k in ("linked", "connected", "session", "last_seq",
                                        "acked_seq", "backlog", "oldest_unacked_age_s",
                                        "last_contact", "warning",
                                        # issue 11: the settings page's head-office health
                                        "broker", "connected_since", "last_error",
                                        "acked_at", "last_heartbeat")}
    devices = current_app.config["DEVICES"]
    if devices.uplink_reported(summary):
        publish("uplink", devices.uplink())
    return jsonify({"uplink": devices.uplink()})


@bp.post("/device/catalog")
@access(DEVICE)
def catalog_update():
    """cmd/catalog.update from head office: rows in the columns of the catalog CSV, applied
    all or nothing (the same checks as `tillbox catalog import`)."""
    import csv
    import io

    from appliance.master.csvio import COLUMNS, import_catalog
    data = body()
    rows = data.get("rows")
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise ValidationError(_("rows must be a non-empty list of objects"), field="rows")
    unknown = sorted({k for r in rows for k in r} - set(COLUMNS))
    if unknown:
        raise ValidationError(_("unknown columns: {names}", names=", ".join(unknown)),
                              field="rows")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS))
    writer.writeheader()
    for r in rows:
        writer.writerow({k: "" if v is None else str(v) for k, v in r.items()})
    out.seek(0)
    result = import_catalog(box().master, out, replace=field_bool(data, "replace", False))
    log.info("catalog updated from head office: %d products, %d variants", result.products,
             result.variants)
    publish("catalog", {"source": "head_office", "products": result.products})
    return jsonify({"detail": f"{result.products} products, {result.variants} variants"})


@bp.post("/device/promotions")
@access(DEVICE)
def promotions_update():
    """Head office's rule set, whole (cmd/promotions.update): checked, then one journal
    record; its own earlier rules not in the list are gone, the shop's own stay."""
    n = box().promotions.replace_from_head_office(
        body().get("promotions"), {"staff": "", "role": "device", "device": box().ledger.device_id,
                                   "terminal": "uplinkd"})
    publish("promotions", {"source": "head_office", "count": n})
    return jsonify({"detail": f"{n} promotions stored"})


@bp.post("/device/scans")
@access(DEVICE)
def scan():
    data = body()
    code = field_str(data, "code", required=True, default="")
    device = field_str(data, "device", default=g.device)
    # The counter reads the message: the box's screen language is the receipt language.
    scan_id = field_str(data, "scan_id", default="")[:64]
    # The settings page's scan test takes the next scan: it never reaches an order (issue 11).
    from .device_settings import take_test_scan
    tested = take_test_scan(code[:200], device, scan_id)
    scans = current_app.config["SCANS"]
    if tested is not None:
        # Not ok: the scanner beeps as for a refused scan (never the good-scan beep), and the
        # counter says where the code went, so nobody thinks the item is in the order.
        event = {"ok": False, "kind": "test", "code": tested["code"], "error": "scan_test",
                 "message": "", "order_id": None, "line_name": tested["name"]}
        publish("scan", {**event, "device": device}, training=scans.box.is_training)
        return jsonify(event), 200
    with language(box().master.settings.get("receipt.language")):
        result = scans.handle(code[:200], device, scan_id)
    target = scans.box  # the training stack when the counter holding the till is in training
    training = target.is_training
    event = result.to_dict()
    publish("scan", {**event, "device": device}, training=training)
    if result.order_id:
        order = target.orders.get_order(result.order_id)
        publish("order", {"id": order.id, "number": order.number, "status": order.status,
                          "version": order.version, "terminal": order.terminal},
                training=training)
    return jsonify(event), 200


@bp.post("/device/button")
@access(DEVICE)
def button():
    """The box's reprint button: the last receipt again, as the counter's cashier."""
    name = field_str(body(), "button", required=True, default="")
    if name != "reprint":
        raise ValidationError(_("unknown button {name}", name=name), field="button")
    scans = current_app.config["SCANS"]
    job_id, order = scans.reprint_last()
    publish("order", {"id": order.id, "number": order.number, "status": order.status,
                      "version": order.version, "terminal": order.terminal},
            training=scans.box.is_training)
    return jsonify({"job_id": job_id, "order_id": order.id}), 201


@bp.post("/device/visitors")
@access(DEVICE)
def count_visitors():
    n = field_int(body(), "count", required=True)
    if not 0 <= n <= 10000:
        raise ValidationError(_("{name} is out of range", name="count"), field="count")
    if n:
        hour = datetime.now(ZoneInfo(box().config.shop.timezone)).strftime("%Y-%m-%dT%H")
        with box().ledger.transaction() as tx:
            tx.conn.execute("INSERT INTO visitors (hour, count) VALUES (?, ?) ON CONFLICT(hour)"
                            " DO UPDATE SET count = count + excluded.count", (hour, n))
    return jsonify({"counted": n})
