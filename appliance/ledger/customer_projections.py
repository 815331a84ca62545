"""Projections of customer-data records (issue 10 point 6; docs/customer-data.md).

``customer.erased`` names the member and the orders (ids only); the personal fields go from
the projections. Records written before it still hold them: the journal is never rewritten,
so it keeps verifying.
"""

from __future__ import annotations

from .projections import handles, member_move
from .records import Record

#: ``fn(conn, rec)`` run for each ``customer.erased`` record after the members and orders are
#: done: each module whose tables hold personal fields (tickets, deliveries, feedback, the
#: notification outbox) registers one with :func:`eraser` to drop its own.
ERASERS: list = []


def eraser(fn):
    ERASERS.append(fn)
    return fn


def erased_phone(member_id: str) -> str:
    """What an erased member's phone column holds: unique, and no one's number."""
    return f"erased-{member_id}"


@handles("customer.erased")
def _erased(conn, rec: Record) -> None:
    d = rec.data
    member = d.get("member_id")
    if member:
        member_move(conn, rec, member, "points", -d.get("points_forfeited", 0), "erased")
        conn.execute("UPDATE members SET name = '', phone = ?, card_code = NULL, birthday = '',"
                     " note = '', active = 0, erased_at = ?, last_seq = ? WHERE id = ?",
                     (erased_phone(member), rec.ts, rec.seq, member))
    for order_id in d.get("order_ids", []):
        conn.execute("UPDATE orders SET customer_name = '', customer_phone = '', note = ''"
                     " WHERE id = ?", (order_id,))
    for fn in ERASERS:
        fn(conn, rec)
