"""Projections of returns, exchanges and store credit (issue 10 point 2; docs/returns.md).

Store credit rides on the order records: a refund tender ``store_credit`` (or a refund of
what a credit note paid) goes onto the member's balance (``member_id`` on the tender) or
issues a credit note (``credit_code``); a ``credit_note`` payment spends one and its void
gives it back. The order handlers of :mod:`.projections` do the orders, tenders and till
moves; the ones here extend them (each calls the original first) with the store-credit
side. Pure functions of (rows, record) like every projection.
"""

from __future__ import annotations

from .projections import HANDLERS, _queue_print_jobs, handles, member_move
from .records import Record

_STORE_CREDIT_TENDERS = ("store_credit", "credit_note")

_base_refunded = HANDLERS["order.refunded"]
_base_payment_added = HANDLERS["order.payment_added"]
_base_payment_voided = HANDLERS["order.payment_voided"]


@handles("order.refunded")
def _refunded(conn, rec: Record) -> None:
    _base_refunded(conn, rec)
    d = rec.data
    for t in d["tenders"]:
        if t["method"] not in _STORE_CREDIT_TENDERS:
            continue
        if t.get("member_id"):
            member_move(conn, rec, t["member_id"], "balance", t["amount"], "store_credit",
                        d["order_id"])
        elif t.get("credit_code"):
            conn.execute("INSERT INTO credit_notes (code, amount, remaining, order_id,"
                         " refund_id, issued_at, issued_by, last_seq) VALUES (?,?,?,?,?,?,?,?)",
                         (t["credit_code"], t["amount"], t["amount"], d["order_id"],
                          d["refund_id"], rec.ts, rec.actor.get("staff", ""), rec.seq))
    _queue_print_jobs(conn, d, rec)


@handles("order.payment_added")
def _payment_added(conn, rec: Record) -> None:
    _base_payment_added(conn, rec)
    p = rec.data["payment"]
    if p["method"] == "credit_note":
        conn.execute("UPDATE credit_notes SET remaining = remaining - ?, last_seq = ?"
                     " WHERE code = ?", (p["amount"], rec.seq, p["reference"]))


@handles("order.payment_voided")
def _payment_voided(conn, rec: Record) -> None:
    row = conn.execute("SELECT method, amount, reference, voided FROM payments WHERE id = ?",
                       (rec.data["payment_id"],)).fetchone()
    _base_payment_voided(conn, rec)
    if row and row[0] == "credit_note" and not row[3]:
        conn.execute("UPDATE credit_notes SET remaining = remaining + ?, last_seq = ?"
                     " WHERE code = ?", (row[1], rec.seq, row[2]))
