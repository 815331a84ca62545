"""Projections of member records (issue 7): members, levels, points and balances, and the
member side of orders (the member and coupons an order carries).

Payments, refunds and sales move points and balances in the order handlers of
:mod:`.projections` through :func:`.projections.member_move`; the handlers here are, like
those, pure functions of the current rows and the record.
"""

from __future__ import annotations

import json

from .projections import _move_stock, _queue_print_jobs, _touch, handles, member_move, till_move
from .records import Record


@handles("member.joined")
def _joined(conn, rec: Record) -> None:
    d = rec.data
    conn.execute(
        "INSERT INTO members (id, phone, card_code, name, birthday, level_id, note, joined_at,"
        " joined_by, last_seq, email) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (d["member_id"], d["phone"], d.get("card_code"), d["name"], d.get("birthday", ""),
         d["level_id"], d.get("note", ""), rec.ts, rec.actor.get("staff", ""), rec.seq,
         d.get("email", "")))


@handles("member.updated")
def _updated(conn, rec: Record) -> None:
    d = rec.data
    conn.execute(
        "UPDATE members SET phone = ?, card_code = ?, name = ?, birthday = ?, level_id = ?,"
        " note = ?, active = ?, last_seq = ?, email = ? WHERE id = ?",
        (d["phone"], d.get("card_code"), d["name"], d.get("birthday", ""), d["level_id"],
         d.get("note", ""), int(d.get("active", True)), rec.seq, d.get("email", ""),
         d["member_id"]))


@handles("member.points_adjusted")
def _points_adjusted(conn, rec: Record) -> None:
    d = rec.data
    member_move(conn, rec, d["member_id"], "points", d["delta"],
                "gift" if d.get("gift") else "adjusted")
    _move_stock(conn, d.get("stock", []), rec, d["member_id"])


@handles("member.topped_up")
def _topped_up(conn, rec: Record) -> None:
    d = rec.data
    conn.execute("INSERT INTO member_topups (id, member_id, idempotency_key, amount, bonus,"
                 " method, tendered, change, seq) VALUES (?,?,?,?,?,?,?,?,?)",
                 (d["topup_id"], d["member_id"], d.get("idempotency_key"), d["amount"],
                  d.get("bonus", 0), d["method"], d.get("tendered", d["amount"]),
                  d.get("change", 0), rec.seq))
    member_move(conn, rec, d["member_id"], "balance", d["amount"], "top_up")
    member_move(conn, rec, d["member_id"], "balance", d.get("bonus", 0), "bonus")
    till_move(conn, rec, d["method"], d.get("tendered", d["amount"]) - d.get("change", 0),
              "top_up", d["member_id"])
    _queue_print_jobs(conn, d, rec)


@handles("member.paid_out")
def _paid_out(conn, rec: Record) -> None:
    """Stored value handed back: off the card, out of the till (a negative top-up)."""
    d = rec.data
    member_move(conn, rec, d["member_id"], "balance", -d["amount"], "payout")
    till_move(conn, rec, d["method"], -d["amount"], "payout", d["member_id"])
    _queue_print_jobs(conn, d, rec)


@handles("member_level.saved")
def _level_saved(conn, rec: Record) -> None:
    level = rec.data["level"]
    conn.execute(
        "INSERT INTO member_levels (id, doc, sort, active, last_seq) VALUES (?,?,?,?,?)"
        " ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, sort = excluded.sort,"
        " active = excluded.active, last_seq = excluded.last_seq",
        (level["id"], json.dumps(level, ensure_ascii=False, sort_keys=True),
         level.get("sort", 0), int(level.get("active", True)), rec.seq))


# -- the member side of orders -----------------------------------------------------------------

@handles("order.member_set")
def _member_set(conn, rec: Record) -> None:
    d = rec.data
    _touch(conn, d["order_id"], rec, member_id=d.get("member_id"))


def _coupons(conn, order_id: str) -> list[str]:
    row = conn.execute("SELECT coupons FROM orders WHERE id = ?", (order_id,)).fetchone()
    return json.loads(row[0]) if row and row[0] else []


@handles("order.coupon_added")
def _coupon_added(conn, rec: Record) -> None:
    d = rec.data
    codes = _coupons(conn, d["order_id"])
    if d["code"] not in codes:
        codes.append(d["code"])
    _touch(conn, d["order_id"], rec, coupons=json.dumps(codes, ensure_ascii=False))


@handles("order.coupon_removed")
def _coupon_removed(conn, rec: Record) -> None:
    d = rec.data
    codes = [c for c in _coupons(conn, d["order_id"]) if c != d["code"]]
    _touch(conn, d["order_id"], rec, coupons=json.dumps(codes, ensure_ascii=False))
