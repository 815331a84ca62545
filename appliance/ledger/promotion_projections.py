"""Projections of promotion records (issue 7): rules and coupon uses.

Pure functions of (current rows, record), like every handler. A rule's ``doc`` is stored as
canonical JSON so a replay writes the same bytes; its switch lives in the ``active`` column.
"""

from __future__ import annotations

import json

from .projections import handles
from .records import Record


def _doc(rule: dict) -> str:
    return json.dumps(rule, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _by(rec: Record) -> str:
    return rec.actor.get("staff") or rec.actor.get("device", "")


def _upsert(conn, rule: dict, source: str, active: bool, rec: Record) -> None:
    conn.execute(
        "INSERT INTO promotions (id, source, doc, active, updated_at, updated_by, last_seq)"
        " VALUES (?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET source = excluded.source,"
        " doc = excluded.doc, active = excluded.active, updated_at = excluded.updated_at,"
        " updated_by = excluded.updated_by, last_seq = excluded.last_seq",
        (rule["id"], source, _doc(rule), int(active), rec.ts, _by(rec), rec.seq))


@handles("promotion.saved")
def _saved(conn, rec: Record) -> None:
    rule = rec.data["rule"]
    _upsert(conn, rule, rec.data.get("source", "shop"), rule.get("active", True), rec)


@handles("promotion.switched")
def _switched(conn, rec: Record) -> None:
    d = rec.data
    conn.execute("UPDATE promotions SET active = ?, updated_at = ?, updated_by = ?,"
                 " last_seq = ? WHERE id = ?",
                 (int(bool(d["active"])), rec.ts, _by(rec), rec.seq, d["rule_id"]))


@handles("promotions.replaced")
def _replaced(conn, rec: Record) -> None:
    """Head office's whole set: its rules not listed go; the shop's own are untouched.

    A rule the shop switched off stays off when head office pushes it again unchanged in
    that respect; when head office itself changes the rule's ``active``, its value wins.
    """
    source = rec.data.get("source", "head_office")
    rules = rec.data["rules"]
    old = {rid: (json.loads(doc).get("active", True), bool(active)) for rid, doc, active in
           conn.execute("SELECT id, doc, active FROM promotions WHERE source = ?", (source,))}
    keep = {r["id"] for r in rules}
    for rid in sorted(set(old) - keep):
        conn.execute("DELETE FROM promotions WHERE id = ? AND source = ?", (rid, source))
    for rule in rules:
        active = rule.get("active", True)
        if rule["id"] in old:
            was_doc_active, was_active = old[rule["id"]]
            if active == was_doc_active:
                active = was_active          # keep the shop's switch
        _upsert(conn, rule, source, active, rec)


def record_coupon_uses(conn, rec: Record) -> None:
    """Called by the ``order.payment_added`` handler when the payment froze the price: one
    coupon_uses row per coupon rule that took something off (``data.coupons``)."""
    d = rec.data
    coupons = d.get("coupons") or []
    if not coupons:
        return
    row = conn.execute("SELECT member_id FROM orders WHERE id = ?", (d["order_id"],)).fetchone()
    member_id = row[0] if row else None
    for c in coupons:
        conn.execute("INSERT OR IGNORE INTO coupon_uses (code, rule_id, order_id, member_id,"
                     " seq) VALUES (?,?,?,?,?)",
                     (c["code"].strip().upper(), c["rule_id"], d["order_id"], member_id,
                      rec.seq))
