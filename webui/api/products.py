"""Products for order entry: search, barcode look-up, categories, with stock levels."""

from __future__ import annotations

from flask import jsonify, request

from appliance.errors import NotFound, ValidationError
from appliance.money import format_amount

from ..access import LOGIN, access
from . import box, bp


def product_json(product, levels: dict) -> dict:
    variants = [{"id": v.id, "spec": v.spec, "sku": v.sku,
                 "price": format_amount(product.price_of(v)), "barcodes": v.barcodes,
                 "stock": levels.get((product.id, v.id), 0) if product.stock_tracked else None}
                for v in product.variants if v.active]
    return {"id": product.id, "sku": product.sku, "name": product.name,
            "name_en": product.name_en, "category_id": product.category_id,
            "unit": product.unit, "price": format_amount(product.price),
            "stock_tracked": product.stock_tracked, "barcodes": product.barcodes,
            "stock": (levels.get((product.id, ""), 0)
                      if product.stock_tracked and not variants else None),
            "variants": variants}


@bp.get("/products")
@access(LOGIN)
def search_products():
    q = request.args.get("q", "")
    category = request.args.get("category") or None
    try:
        limit = int(request.args.get("limit", "50"))
    except ValueError:
        raise ValidationError("limit must be a whole number", field="limit") from None
    if not 1 <= limit <= 200:
        raise ValidationError("limit must be from 1 to 200", field="limit")
    if len(q) > 64:
        raise ValidationError("q is longer than 64 characters", field="q")
    catalog = box().master.catalog
    found = catalog.search(q, limit=limit, category_id=category) if q else \
        catalog.list_products(category_id=category)[:limit]
    levels = box().orders.stock_levels([p.id for p in found])
    return jsonify({"products": [product_json(p, levels) for p in found]})


@bp.get("/products/by-barcode/<code>")
@access(LOGIN)
def by_barcode(code: str):
    found = box().master.catalog.lookup_barcode(code.strip())
    if found is None:
        raise NotFound(f"no product has barcode {code}")
    product, variant = found
    levels = box().orders.stock_levels([product.id])
    return jsonify({"product": product_json(product, levels),
                    "variant_id": variant.id if variant else None})


@bp.get("/categories")
@access(LOGIN)
def categories():
    return jsonify({"categories": [{"id": c.id, "name": c.name, "name_en": c.name_en}
                                   for c in box().master.catalog.list_categories()]})
