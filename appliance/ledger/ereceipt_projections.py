"""Projections of what customers send from the e-receipt page (issue 10 point 1;
docs/ereceipt.md): ``customer.feedback`` fills the ``feedback`` table (one row per record; the
page shows an order's latest). On ``customer.erased`` the comments of the erased orders go
(a customer may have written a name or a phone there); the ratings stay.
"""

from __future__ import annotations

from .customer_projections import eraser
from .projections import handles
from .records import Record


@handles("customer.feedback")
def _feedback(conn, rec: Record) -> None:
    d = rec.data
    conn.execute("INSERT INTO feedback (seq, order_id, rating, comment, source, ts)"
                 " VALUES (?, ?, ?, ?, ?, ?)",
                 (rec.seq, d["order_id"], d["rating"], d.get("comment", ""),
                  d.get("source", "box"), rec.ts))


@eraser
def _erase_feedback(conn, rec: Record) -> None:
    for order_id in rec.data.get("order_ids", []):
        conn.execute("UPDATE feedback SET comment = '' WHERE order_id = ?", (order_id,))
