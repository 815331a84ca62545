"""Erasure of the notification outbox's personal data (issue 10 points 5 and 6).

The outbox is operational (appliance/notify), but its rows carry addresses: on
``customer.erased`` they lose them, and what was still waiting is cancelled.
"""

from __future__ import annotations

from .customer_projections import eraser
from .records import Record


@eraser
def _notifications_erased(conn, rec: Record) -> None:
    d = rec.data
    member = d.get("member_id")
    orders = list(d.get("order_ids", [])) + list(d.get("delivery_order_ids", []))
    where, params = [], []
    if member:
        where.append("member_id = ?")
        params.append(member)
    tickets = list(d.get("ticket_ids", []))
    if tickets:
        where.append(f"ticket_id IN ({','.join('?' * len(tickets))})")
        params += tickets
    sent_to = list(d.get("notification_ids", []))
    if sent_to:
        where.append(f"id IN ({','.join('?' * len(sent_to))})")
        params += sent_to
    if orders:
        marks = ",".join("?" * len(orders))
        where.append(f"order_id IN ({marks})")
        where.append(f"ticket_id IN (SELECT id FROM tickets WHERE order_id IN ({marks}))")
        params += orders + orders
    if not where:
        return
    cond = " OR ".join(where)
    conn.execute("UPDATE notifications SET state = 'cancelled', last_error = 'erased',"
                 f" lease_until = NULL WHERE state IN ('queued', 'sending') AND ({cond})",
                 params)
    # an error text may quote what the provider said about the address: it goes too
    conn.execute("UPDATE notifications SET address = '', last_error = CASE WHEN last_error ="
                 f" 'erased' THEN 'erased' ELSE '' END WHERE {cond}", params)


@eraser
def _member_email_erased(conn, rec: Record) -> None:
    """The member's e-mail address (added for notifications) goes with the rest."""
    if rec.data.get("member_id"):
        conn.execute("UPDATE members SET email = '' WHERE id = ?", (rec.data["member_id"],))
