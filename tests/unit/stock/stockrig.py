"""Records the purchasing and stocktake engines write, appended here by hand in the shape of
the shared spec, so the stock views are tested against every kind of move."""

from __future__ import annotations

import uuid


def receive(shop, product_id, variant_id, qty, unit_cost, *, po_id=None):
    """A ``stock.received`` record with the moving average the engine would compute."""
    product = shop.master.catalog.get_product(product_id)
    variant = product.variant(variant_id) if variant_id else None
    with shop.ledger.transaction() as tx:
        row = tx.one("SELECT qty, avg_cost FROM stock_levels WHERE product_id = ? AND"
                     " variant_id = ?", (product_id, variant_id))
        old_qty = max(row[0], 0) if row else 0
        old_avg = row[1] if row and row[1] is not None else product.cost_of(variant)
        if old_qty <= 0:
            avg = unit_cost
        else:
            num, den = old_qty * old_avg + qty * unit_cost, old_qty + qty
            avg = (2 * num + den) // (2 * den)      # round half up (all positive)
        rid = str(uuid.uuid4())
        tx.append("stock.received", shop.manager.journal(shop.ledger.device_id), {
            "receipt_id": rid, "po_id": po_id, "supplier_id": None, "note": "",
            "lines": [{"product_id": product_id, "variant_id": variant_id, "qty": qty,
                       "unit_cost": unit_cost, "po_line_id": None}],
            "stock": [{"product_id": product_id, "variant_id": variant_id, "delta": qty,
                       "reason": "receiving", "ref": rid}],
            "costs": [{"product_id": product_id, "variant_id": variant_id, "avg_cost": avg}]})
    return rid, avg


def count(shop, product_id, variant_id, counted, number):
    """A one-item stocktake started, counted on one phone and approved at once."""
    cid = str(uuid.uuid4())
    actor = shop.manager.journal(shop.ledger.device_id)
    with shop.ledger.transaction() as tx:
        row = tx.one("SELECT qty FROM stock_levels WHERE product_id = ? AND variant_id = ?",
                     (product_id, variant_id))
        level = row[0] if row else 0
        tx.append("count.started", actor, {"count_id": cid, "number": number,
                                           "scope": {"all": True}, "blind": True, "note": ""})
        tx.append("count.entry", actor, {"count_id": cid, "entry_id": str(uuid.uuid4()),
                                         "product_id": product_id, "variant_id": variant_id,
                                         "qty": counted, "level": level})
        delta = counted - level
        tx.append("count.approved", actor, {
            "count_id": cid,
            "stock": [{"product_id": product_id, "variant_id": variant_id, "delta": delta,
                       "reason": "count", "ref": cid}] if delta else [],
            "lines": [{"product_id": product_id, "variant_id": variant_id, "counted": counted,
                       "expected": level, "delta": delta, "value": 0}]})
    return cid
