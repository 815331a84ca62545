"""Stock beyond the order engine: reasons, receiving, purchase orders, stocktakes (issue 8)."""

from __future__ import annotations

from ..errors import NotFound, ValidationError
from ..i18n import _
from ..validate import text


def stock_item(catalog, *, barcode=None, product_id=None, variant_id=None):
    """(product, variant or None) of a stock-tracked item, by a scanned barcode or by id.

    Stock is kept per variant, so a product with specs needs one (the barcode of a spec
    names it); an item that keeps no stock is refused, naming it."""
    if barcode:
        barcode = text(barcode, "barcode", 48)
        found = catalog.lookup_barcode(barcode)
        if found is None:
            raise NotFound(_("no product has barcode {barcode}", barcode=barcode),
                           field="barcode")
        product, variant = found
        if variant is None and variant_id:
            variant = product.variant(variant_id)
    elif product_id:
        if not isinstance(product_id, str) or not isinstance(variant_id or "", str):
            raise ValidationError(_("give a barcode or a product id"), field="product_id")
        product = catalog.find_product(product_id)
        if product is None:
            raise NotFound(_("product {product_id} does not exist", product_id=product_id),
                           field="product_id")
        variant = product.variant(variant_id) if variant_id else None
    else:
        raise ValidationError(_("give a barcode or a product id"), field="barcode")
    if not product.stock_tracked:
        raise ValidationError(_("{name} does not keep stock", name=product.name),
                              field="product_id")
    if variant is None and product.variants:
        specs = ", ".join(v.spec_text for v in product.active_variants()[:8])
        raise ValidationError(_("choose a spec of {name}: {specs}", name=product.name,
                                specs=specs), field="variant_id")
    return product, variant


def rule_for(rules: dict, product_id: str, variant_id: str):
    """An item's stock rule from ``rules`` keyed by (product, variant): the variant's own,
    else its product's (a rule for variant "" covers every variant without one), else None."""
    rule = rules.get((product_id, variant_id))
    if rule is None and variant_id:
        rule = rules.get((product_id, ""))
    return rule
