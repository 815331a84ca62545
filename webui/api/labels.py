"""Barcode labels (docs/labels.md): print shelf or product labels, give a product without a
barcode an in-store EAN-13, and the label printer's state.

A label request is one journal record, ``labels.printed``, whose ``print_jobs`` the
projection queues in the same transaction (like ``drawer.opened``), so an acknowledged
request is never lost; printerd prints the job on the label printer of ``[label_printer]``.
"""

from __future__ import annotations

import logging
import uuid

from flask import g, jsonify, request

from appliance.errors import Conflict, NotFound, ValidationError
from appliance.i18n import _
from appliance.master.ean import is_valid_ean13, make_internal_ean13

from ..access import LOGIN, access
from . import body, box, bp, field_int, field_str, publish
from .device import job_json
from .products import product_json

log = logging.getLogger(__name__)

MAX_ITEMS = 200
MAX_COPIES = 100
MAX_LABELS = 500


def label_for(product, variant, copies: int) -> dict:
    """One label's payload (price in fen), from the catalog as it is now."""
    barcode = (variant.barcodes[0] if variant and variant.barcodes else
               product.barcodes[0] if product.barcodes else "")
    if not barcode:
        raise ValidationError(_("{name} has no barcode: give it an in-store code first",
                                name=product.name), field="items")
    return {"name": product.name, "price": product.price_of(variant), "barcode": barcode,
            "spec": " ".join(variant.spec.values()) if variant else "", "unit": product.unit,
            "copies": copies}


def _labels_from(items) -> list[dict]:
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise ValidationError(_("items must be a non-empty list of {{\"product_id\", "
                                "\"variant_id\", \"copies\"}}"), field="items")
    if len(items) > MAX_ITEMS:
        raise ValidationError(_("at most {n} items at a time", n=MAX_ITEMS), field="items")
    catalog = box().master.catalog
    labels = []
    for item in items:
        product = catalog.get_product(field_str(item, "product_id", required=True))
        variant_id = field_str(item, "variant_id") or ""
        variant = product.variant(variant_id) if variant_id else None
        if variant is None and product.active_variants():
            raise ValidationError(_("{name} has variants: say which one", name=product.name),
                                  field="variant_id")
        copies = field_int(item, "copies", default=1)
        if not 1 <= copies <= MAX_COPIES:
            raise ValidationError(_("copies must be from 1 to {n}", n=MAX_COPIES),
                                  field="copies")
        labels.append(label_for(product, variant, copies))
    if sum(lb["copies"] for lb in labels) > MAX_LABELS:
        raise ValidationError(_("at most {n} labels at a time", n=MAX_LABELS), field="items")
    return labels


@bp.post("/labels")
@access("labels.print")
def print_labels():
    data = body()
    backend = box().config.label_printer.backend
    if backend == "none":
        raise Conflict(_("no label printer is set up: set backend in the [label_printer] "
                         "section of the configuration (receipt prints labels on the receipt "
                         "printer)"))
    if backend == "receipt" and box().config.printer.backend == "none":
        raise Conflict(_("labels are to print on the receipt printer, but no receipt "
                         "printer is set up"))
    kind = field_str(data, "kind", default="shelf")
    if kind not in ("shelf", "product"):
        raise ValidationError(_("kind must be shelf or product"), field="kind")
    labels = _labels_from(data.get("items"))
    job_id = str(uuid.uuid4())
    ledger = box().ledger
    with ledger.transaction() as tx:
        tx.append("labels.printed", g.actor.journal(ledger.device_id), {
            "kind": kind, "count": sum(lb["copies"] for lb in labels),
            "print_jobs": [{"id": job_id, "kind": "label",
                            "payload": {"kind": kind, "labels": labels, "copies": 1}}]})
    log.info("%d label(s) queued (job %s) by %s", len(labels), job_id, g.actor.staff_id)
    job = box().printing.get(job_id)
    publish("label", job_json(job))
    publish("print_job", job_json(job))
    return jsonify({"job_ids": [job_id], "labels": len(labels)}), 201


@bp.get("/labels/printer")
@access(LOGIN)
def label_printer():
    from drivers.labels.transport import describe
    lp = box().config.label_printer
    jobs = [job_json(j) for j in box().printing.recent(50) if j["kind"] == "label"][:10]
    return jsonify({"backend": lp.backend, "ready": lp.backend != "none",
                    "device": describe(lp.backend, usb_vendor=lp.usb_vendor,
                                       usb_product=lp.usb_product, host=lp.host, port=lp.port),
                    "width_mm": lp.width_mm, "height_mm": lp.height_mm, "gap_mm": lp.gap_mm,
                    "jobs": jobs})


# -- in-store barcodes ------------------------------------------------------------------------

def highest_internal_number(products, prefix: str) -> int:
    """The highest number behind ``prefix`` among the catalog's valid EAN-13 codes (kept
    or retired products alike), 0 when there is none."""
    highest = 0
    for p in products:
        for code in [*p.barcodes, *(c for v in p.variants for c in v.barcodes)]:
            if is_valid_ean13(code) and code.startswith(prefix):
                highest = max(highest, int(code[len(prefix):12]))
    return highest


@bp.post("/products/<product_id>/barcode")
@access("catalog.edit")
def give_barcode(product_id: str):
    """The next in-store EAN-13 (``labels.ean_prefix``) for a product or variant without one."""
    data = body()
    variant_id = field_str(data, "variant_id") or ""
    catalog = box().master.catalog
    prefix = box().master.settings.get("labels.ean_prefix")
    # The catalog's lock: two phones asking at once must not get the same number.
    with catalog.lock:
        product = catalog.get_product(product_id)
        target = product.variant(variant_id) if variant_id else product
        if target.barcodes:
            raise Conflict(_("{name} already has barcode {code}", name=product.name,
                             code=target.barcodes[0]))
        if not variant_id and product.active_variants():
            raise ValidationError(_("{name} has variants: give each variant its own code",
                                    name=product.name), field="variant_id")
        number = highest_internal_number(catalog.list_products(include_inactive=True),
                                         prefix) + 1
        target.barcodes = [make_internal_ean13(prefix, number)]
        saved = catalog.save_product(product)
    code = target.barcodes[0]
    log.info("in-store barcode %s given to %s%s", code, saved.sku,
             f" variant {variant_id}" if variant_id else "")
    publish("product", {"id": saved.id})
    return jsonify({**product_json(saved, box().orders.stock_levels([saved.id])),
                    "barcode": code})


# -- the simulated label printer (for the /sim page) ------------------------------------------

@bp.get("/sim/label-printer")
@access(LOGIN)
def sim_label_printer():
    from drivers.labels import simulated
    cfg = box().config
    if cfg.label_printer.backend != "simulated":
        raise NotFound(_("this box has no simulated label printer"))
    state = cfg.sim_dir / "label_printer"
    limit = min(max(request.args.get("limit", 20, type=int), 1), 100)
    return jsonify({"faults": simulated.read_faults(state),
                    "labels": simulated.printed_labels(state, limit)})
