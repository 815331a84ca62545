"""Projections of after-sales records (issue 10 point 3; docs/aftersales.md): tickets, their
history, and the serial numbers captured at the sale."""

from __future__ import annotations

from .customer_projections import eraser
from .projections import _touch, handles
from .records import Record


@handles("ticket.opened")
def _ticket_opened(conn, rec: Record) -> None:
    d = rec.data
    staff = rec.actor.get("staff", "")
    conn.execute(
        "INSERT INTO tickets (id, number, kind, status, order_id, line_id, serial,"
        " customer_name, customer_phone, member_id, summary, source, opened_by, approved_by,"
        " opened_at, updated_at, last_seq) VALUES (?,?,?,'open',?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (d["ticket_id"], d["number"], d["kind"], d.get("order_id"), d.get("line_id"),
         d.get("serial", ""), d.get("customer_name", ""), d.get("customer_phone", ""),
         d.get("member_id"), d.get("summary", ""), d.get("source", "counter"), staff,
         d.get("approved_by"), rec.ts, rec.ts, rec.seq))
    conn.execute("INSERT INTO ticket_events (seq, ticket_id, status, note, staff, ts)"
                 " VALUES (?,?,'open','',?,?)", (rec.seq, d["ticket_id"], staff, rec.ts))


@handles("ticket.updated")
def _ticket_updated(conn, rec: Record) -> None:
    d = rec.data
    conn.execute("UPDATE tickets SET status = ?, updated_at = ?, last_seq = ? WHERE id = ?",
                 (d["status"], rec.ts, rec.seq, d["ticket_id"]))
    conn.execute("INSERT INTO ticket_events (seq, ticket_id, status, note, staff, ts)"
                 " VALUES (?,?,?,?,?,?)", (rec.seq, d["ticket_id"], d["status"],
                                          d.get("note", ""), rec.actor.get("staff", ""),
                                          rec.ts))


@handles("order.serials_set")
def _serials_set(conn, rec: Record) -> None:
    d = rec.data
    conn.execute("DELETE FROM line_serials WHERE order_id = ? AND line_id = ?",
                 (d["order_id"], d["line_id"]))
    for serial in d["serials"]:
        conn.execute("INSERT INTO line_serials (order_id, line_id, serial, seq)"
                     " VALUES (?,?,?,?)", (d["order_id"], d["line_id"], serial, rec.seq))
    # An order record like the others: the version moves, so screens fetch it again.
    _touch(conn, d["order_id"], rec)


@eraser
def _erase_tickets(conn, rec: Record) -> None:
    """Drop the name and phone from the erased customer's tickets (named by id, by member or
    by order), and the customer's own words from tickets they sent from the e-receipt page.
    Staff notes stay: they are the shop's record of what it did."""
    d = rec.data
    ids = set(d.get("ticket_ids", []))
    member = d.get("member_id")
    if member:
        ids.update(r[0] for r in conn.execute("SELECT id FROM tickets WHERE member_id = ?",
                                              (member,)))
    for order_id in d.get("order_ids", []):
        ids.update(r[0] for r in conn.execute("SELECT id FROM tickets WHERE order_id = ?",
                                              (order_id,)))
    for ticket_id in sorted(ids):
        conn.execute("UPDATE tickets SET customer_name = '', customer_phone = '',"
                     " summary = CASE WHEN source = 'counter' THEN summary ELSE '' END"
                     " WHERE id = ?", (ticket_id,))
