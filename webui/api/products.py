"""Products for order entry: search, barcode look-up, categories, with stock levels."""

from __future__ import annotations

from flask import g, jsonify, request

from appliance.i18n import _
from appliance.errors import NotFound, ValidationError
from appliance.money import format_amount

from ..access import LOGIN, access
from . import body, box, bp, field_amount, field_bool, field_str, publish
from .stock import blind_test


def product_json(product, levels: dict) -> dict:
    """A product for screens; cost prices only for people who may edit the catalog."""
    from appliance.orders.permissions import allowed
    show_cost = allowed(getattr(g, "actor", None), "catalog.edit")
    # Not while an open blind stocktake counts it: the number would be counted, not the shelf.
    shown = product.stock_tracked and not blind_test()(product.category_id)
    variants = [{"id": v.id, "spec": v.spec, "sku": v.sku,
                 "price_override": format_amount(v.price) if v.price is not None else None,
                 "price": format_amount(product.price_of(v)), "barcodes": v.barcodes,
                 "stock": levels.get((product.id, v.id), 0) if shown else None}
                for v in product.variants if v.active]
    return {"id": product.id, "sku": product.sku, "name": product.name,
            "name_en": product.name_en, "description": product.description,
            "category_id": product.category_id,
            "cost": format_amount(product.cost) if show_cost else None,
            "unit": product.unit, "price": format_amount(product.price),
            "stock_tracked": product.stock_tracked, "barcodes": product.barcodes,
            "serialised": product.serialised,
            "stock": levels.get((product.id, ""), 0) if shown and not variants else None,
            "variants": variants}


@bp.get("/products")
@access(LOGIN)
def search_products():
    q = request.args.get("q", "")
    category = request.args.get("category") or None
    try:
        limit = int(request.args.get("limit", "50"))
    except ValueError:
        raise ValidationError(_("limit must be a whole number"), field="limit") from None
    if not 1 <= limit <= 200:
        raise ValidationError(_("limit must be from 1 to 200"), field="limit")
    if len(q) > 64:
        raise ValidationError(_("q is longer than 64 characters"), field="q")
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
        raise NotFound(_("no product has barcode {code}", code=code))
    product, variant = found
    levels = box().orders.stock_levels([product.id])
    return jsonify({"product": product_json(product, levels),
                    "variant_id": variant.id if variant else None})


@bp.get("/categories")
@access(LOGIN)
def categories():
    return jsonify({"categories": [{"id": c.id, "name": c.name, "name_en": c.name_en}
                                   for c in box().master.catalog.list_categories()]})


# -- adding and editing products (managers, from a phone) ---------------------------------

def _variants_from(data, old_product=None) -> list:
    from appliance.master.catalog import Variant
    raw = data.get("variants")
    if raw is None:
        return [v.copy() for v in old_product.variants] if old_product else []
    if not isinstance(raw, list) or not all(isinstance(v, dict) for v in raw):
        raise ValidationError(_("variants must be a list of {\"spec\", \"price\", \"barcodes\"}"),
                              field="variants")
    old = {v.id: v for v in (old_product.variants if old_product else [])}
    out = []
    for i, v in enumerate(raw):
        spec = v.get("spec")
        if not isinstance(spec, dict) or not spec or not all(
                isinstance(k, str) and isinstance(x, str) for k, x in spec.items()):
            raise ValidationError(_("variants[{i}].spec must be like {{\"颜色\": \"红\"}}", i=i),
                                  field="variants")
        vid = field_str(v, "id")
        keep = old.pop(vid, None) if vid else None
        out.append(Variant(
            id=keep.id if keep else "", spec=spec,
            sku=field_str(v, "sku", default=keep.sku if keep else "") or "",
            price=field_amount(v, "price", required=False),
            cost=field_amount(v, "cost", required=False) if "cost" in v else
            (keep.cost if keep else None),
            barcodes=_barcodes(v), active=True))
    for gone in old.values():  # kept for old orders, no longer sold
        gone.active = False
        out.append(gone)
    return out


def _barcodes(data) -> list[str]:
    codes = data.get("barcodes", [])
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise ValidationError(_("barcodes must be a list of strings"), field="barcodes")
    return [c.strip() for c in codes if c.strip()]


def _check_stock_values(data) -> None:
    """Refuse a bad count before anything is saved (a product must not half-appear)."""
    items = [data] + [v for v in data.get("variants") or [] if isinstance(v, dict)]
    for item in items:
        if "stock" in item:
            qty = item["stock"]
            if isinstance(qty, bool) or not isinstance(qty, int) or not 0 <= qty <= 1_000_000:
                raise ValidationError(_("stock must be a count from 0 to 1000000"), field="stock")


def _stock_targets(data, product) -> list[tuple[str, int]]:
    """(variant_id, counted quantity) pairs the request sets, matched by spec for variants."""
    targets = []
    if product.variants:
        raw = data.get("variants") or []
        for v_in in raw:
            if "stock" not in v_in:
                continue
            v = next((v for v in product.variants if v.active and v.spec == v_in["spec"]), None)
            if v is not None:
                targets.append((v.id, v_in["stock"]))
    elif "stock" in data:
        targets.append(("", data["stock"]))
    return targets


def _set_stock(product, targets, reason: str) -> None:
    engine = box().orders
    for variant_id, counted in targets:
        delta = counted - engine.stock_level(product.id, variant_id)
        if delta:
            engine.adjust_stock(g.actor, product.id, delta, reason, variant_id=variant_id,
                                note="set from the product form")


@bp.post("/products")
@access("catalog.edit")
def create_product():
    import uuid

    from appliance.master.catalog import Product
    data = body()
    price = field_amount(data, "price")
    product = Product(
        id="", sku=field_str(data, "sku") or f"LOCAL-{uuid.uuid4().hex[:8].upper()}",
        name=field_str(data, "name", required=True), category_id=field_str(data, "category_id"),
        unit=field_str(data, "unit", default="件"), price=price,
        cost=field_amount(data, "cost", required=False) or 0, barcodes=_barcodes(data),
        stock_tracked=field_bool(data, "stock_tracked", True),
        serialised=field_bool(data, "serialised", False),
        name_en=field_str(data, "name_en", default=""),
        description=field_str(data, "description", default=""))
    product.variants = _variants_from(data)
    _check_stock_values(data)
    saved = box().master.catalog.save_product(product)
    _set_stock(saved, _stock_targets(data, saved) if saved.stock_tracked else [], "receiving")
    levels = box().orders.stock_levels([saved.id])
    publish("product", {"id": saved.id})
    return jsonify(product_json(saved, levels)), 201


@bp.patch("/products/<product_id>")
@access("catalog.edit")
def edit_product(product_id: str):
    data = body()
    catalog = box().master.catalog
    product = catalog.get_product(product_id)
    for name in ("name", "name_en", "description", "unit", "sku"):
        if name in data:
            setattr(product, name, field_str(data, name, required=name in ("name", "unit",
                                                                             "sku")))
    if "category_id" in data:
        product.category_id = field_str(data, "category_id")
    if "price" in data:
        product.price = field_amount(data, "price")
    if "cost" in data:
        product.cost = field_amount(data, "cost")
    if "barcodes" in data:
        product.barcodes = _barcodes(data)
    if "stock_tracked" in data:
        product.stock_tracked = field_bool(data, "stock_tracked", True)
    if "active" in data:
        product.active = field_bool(data, "active", True)
    if "serialised" in data:
        product.serialised = field_bool(data, "serialised", False)
    product.variants = _variants_from(data, product)
    _check_stock_values(data)
    saved = catalog.save_product(product)
    _set_stock(saved, _stock_targets(data, saved) if saved.stock_tracked else [], "count")
    levels = box().orders.stock_levels([saved.id])
    publish("product", {"id": saved.id})
    return jsonify(product_json(saved, levels))
