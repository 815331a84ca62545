"""Shared by the purchasing tests (imported, not a conftest: one conftest name is enough).

tests/conftest.py's Shop with the purchasing service, a supplier, and helpers for opening
stock and stock rules (written as the journal records the stock screens write)."""

from __future__ import annotations

from appliance.stock.purchasing import Purchasing

TEA = "6901234567892"      # 西湖龙井, catalog cost 40.00
BLUE = "2000000000015"     # 汝窑茶杯 天青 (the product's cost 15.00)
WHITE = "2000000000022"    # 汝窑茶杯 月白


class Buying:
    def __init__(self, shop):
        self.shop = shop
        self.p = Purchasing(shop.ledger, shop.master, "Asia/Shanghai")
        self.supplier = self.p.save_supplier(shop.manager, {
            "name": "杭州茶叶公司", "contact": "王经理", "phone": "0571-8888 6666"})
        self.blue, self.white = shop.cup.variants

    def opening(self, product, qty, variant=None):
        self.shop.engine.adjust_stock(self.shop.manager, product.id, qty, "opening_stock",
                                      variant_id=variant.id if variant else "")

    def rule(self, product, *, variant=None, lead_time_days=0, supplier_id=None, pack_qty=1,
             low_level=0):
        with self.shop.ledger.transaction() as tx:
            tx.append("stock.rule_set", self.shop.manager.journal(self.shop.ledger.device_id), {
                "product_id": product.id, "variant_id": variant.id if variant else "",
                "low_level": low_level, "lead_time_days": lead_time_days,
                "supplier_id": supplier_id, "pack_qty": pack_qty})

    def level(self, product, variant=None) -> tuple[int, int | None]:
        """(qty, avg_cost) of an item."""
        with self.shop.ledger.reading() as conn:
            row = conn.execute("SELECT qty, avg_cost FROM stock_levels WHERE product_id = ?"
                               " AND variant_id = ?", (product.id, variant.id if variant else "")
                               ).fetchone()
        return (row[0], row[1]) if row else (0, None)

    def po(self, *lines, supplier=None):
        """A purchase order of (product, variant, qty, unit_cost) lines."""
        return self.p.create_po(self.shop.manager, (supplier or self.supplier).id, [
            {"product_id": pr.id, "variant_id": v.id if v else "", "qty": q, "unit_cost": c}
            for pr, v, q, c in lines])
