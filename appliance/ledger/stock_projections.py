"""Projections of stock records (issue 8): the stock rules.

Stock moves themselves (sales, returns, adjustments, receiving, counts) all go through
``projections._move_stock``; this module keeps what only stock records say.
"""

from __future__ import annotations

from .projections import handles
from .records import Record


@handles("stock.rule_set")
def _rule_set(conn, rec: Record) -> None:
    """A product's (or variant's) low-stock level and reorder facts, replaced whole."""
    d = rec.data
    conn.execute(
        "INSERT INTO stock_rules (product_id, variant_id, low_level, lead_time_days,"
        " supplier_id, pack_qty, last_seq) VALUES (?,?,?,?,?,?,?)"
        " ON CONFLICT(product_id, variant_id) DO UPDATE SET low_level = excluded.low_level,"
        " lead_time_days = excluded.lead_time_days, supplier_id = excluded.supplier_id,"
        " pack_qty = excluded.pack_qty, last_seq = excluded.last_seq",
        (d["product_id"], d.get("variant_id", ""), d["low_level"], d["lead_time_days"],
         d.get("supplier_id"), d["pack_qty"], rec.seq))
