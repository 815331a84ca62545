"""Projections of fulfilment records (issue 10 point 4; docs/delivery.md): ``fulfilments``
(one row per order marked for delivery or pick-up) and ``fulfilment_events`` (its history).

Pure functions of the rows and the record, like every handler.
"""

from __future__ import annotations

from .customer_projections import eraser
from .projections import handles
from .records import Record


def _event(conn, rec: Record, order_id: str, status: str, carrier: str = "",
           tracking: str = "", note: str = "") -> None:
    conn.execute("INSERT INTO fulfilment_events (seq, order_id, status, carrier, tracking, note,"
                 " staff, ts) VALUES (?,?,?,?,?,?,?,?)",
                 (rec.seq, order_id, status, carrier, tracking, note,
                  rec.actor.get("staff", ""), rec.ts))


@handles("order.fulfilment_set")
def _set(conn, rec: Record) -> None:
    d = rec.data
    row = conn.execute("SELECT kind, status, source, external_ref FROM fulfilments"
                       " WHERE order_id = ?", (d["order_id"],)).fetchone()
    if row is None:
        conn.execute(
            "INSERT INTO fulfilments (order_id, kind, status, recipient, phone, address, note,"
            " source, external_ref, created_at, updated_at, last_seq)"
            " VALUES (?,?,'pending',?,?,?,?,?,?,?,?,?)",
            (d["order_id"], d["kind"], d.get("recipient", ""), d.get("phone", ""),
             d.get("address", ""), d.get("note", ""), d.get("source", "counter"),
             d.get("external_ref", ""), rec.ts, rec.ts, rec.seq))
        _event(conn, rec, d["order_id"], "pending")
        return
    kind, status, source, ref = row
    # Another kind, or a cancelled one marked again, starts over; head office's order
    # stays head office's when the counter edits it.
    restart = kind != d["kind"] or status == "cancelled"
    if source != "head_office":
        source, ref = d.get("source", "counter"), d.get("external_ref", "")
    conn.execute(
        "UPDATE fulfilments SET kind = ?, status = ?, recipient = ?, phone = ?, address = ?,"
        " note = ?, source = ?, external_ref = ?, updated_at = ?, last_seq = ?"
        " WHERE order_id = ?",
        (d["kind"], "pending" if restart else status, d.get("recipient", ""),
         d.get("phone", ""), d.get("address", ""), d.get("note", ""), source, ref, rec.ts,
         rec.seq, d["order_id"]))
    if restart:
        conn.execute("UPDATE fulfilments SET carrier = '', tracking = '' WHERE order_id = ?",
                     (d["order_id"],))
        _event(conn, rec, d["order_id"], "pending")


@handles("order.fulfilment_updated")
def _updated(conn, rec: Record) -> None:
    d = rec.data
    conn.execute("UPDATE fulfilments SET status = ?, carrier = CASE WHEN ? != '' THEN ? ELSE"
                 " carrier END, tracking = CASE WHEN ? != '' THEN ? ELSE tracking END,"
                 " updated_at = ?, last_seq = ? WHERE order_id = ?",
                 (d["status"], d.get("carrier", ""), d.get("carrier", ""),
                  d.get("tracking", ""), d.get("tracking", ""), rec.ts, rec.seq,
                  d["order_id"]))
    _event(conn, rec, d["order_id"], d["status"], d.get("carrier", ""), d.get("tracking", ""),
           d.get("note", ""))


@eraser
def _erased(conn, rec: Record) -> None:
    """The recipient, phone, address and notes of the erased customer's orders go; the
    status history (statuses, carriers, tracking numbers) stays. ``delivery_order_ids``:
    deliveries to the erased person on someone else's order."""
    for order_id in rec.data.get("order_ids", []) + rec.data.get("delivery_order_ids", []):
        conn.execute("UPDATE fulfilments SET recipient = '', phone = '', address = '',"
                     " note = '' WHERE order_id = ?", (order_id,))
        conn.execute("UPDATE fulfilment_events SET note = '' WHERE order_id = ?", (order_id,))
