"""A customer's personal data on request (issue 10 point 6; docs/customer-data.md): look it up
by phone, export it, erase it.

The journal is append-only and hash-chained, so erasure cannot rewrite the records that carry
a name or a phone: it appends a ``customer.erased`` record (which itself names only ids, never
the data) and the projections drop the personal fields, so screens, receipts, the e-receipt
page and exports no longer show them while ``tillbox ledger verify`` still passes. Head office
receives the erasure record on ``journal`` like every record and erases its copy in turn.
"""

from __future__ import annotations

import logging

from .. import money
from ..errors import Conflict, NotFound
from ..i18n import _
from ..ledger import Ledger
from ..members.model import normalize_phone
from ..orders.permissions import Actor, require
from ..validate import text

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")

MEMBER_FIELDS = ("id", "name", "phone", "card_code", "birthday", "level_id", "note", "points",
                 "balance", "active", "joined_at")
ORDER_FIELDS = ("id", "number", "status", "opened_at", "completed_at", "customer_name",
                "customer_phone", "note", "total", "refunded")


class CustomerData:
    def __init__(self, ledger: Ledger, timezone: str = "Asia/Shanghai"):
        self.ledger = ledger
        self.timezone = timezone

    # -- finding -----------------------------------------------------------------------

    @staticmethod
    def _find(conn, phone: str) -> tuple[dict | None, list[dict]]:
        """The member with this phone (if any) and every order that names the phone or the
        member, oldest first."""
        row = conn.execute(f"SELECT {', '.join(MEMBER_FIELDS)} FROM members WHERE phone = ?"
                           " AND erased_at IS NULL", (phone,)).fetchone()
        member = dict(zip(MEMBER_FIELDS, row)) if row else None
        orders = [dict(zip(ORDER_FIELDS, r)) for r in conn.execute(
            f"SELECT {', '.join(ORDER_FIELDS)} FROM orders WHERE customer_phone = ?"
            " OR (member_id IS NOT NULL AND member_id = ?) ORDER BY opened_at, id",
            (phone, member["id"] if member else None))]
        return member, orders

    def lookup(self, actor: Actor, phone) -> dict:
        """What the box holds about the person with this phone: a summary for the screen."""
        require(actor, "customer.data", what="looking up a customer's data")
        phone = normalize_phone(phone)
        with self.ledger.reading() as conn:
            member, orders = self._find(conn, phone)
        if member is None and not orders:
            raise NotFound(_("nothing on this box belongs to that phone number"), field="phone")
        names = sorted({o["customer_name"] for o in orders if o["customer_name"]})
        return {"member": _member_json(member), "orders": len(orders), "names": names}

    def export(self, actor: Actor, phone) -> dict:
        """Everything the box holds about the person, as one JSON document for them; the
        export itself is journalled (ids only) and audited."""
        require(actor, "customer.data", what="exporting a customer's data")
        phone = normalize_phone(phone)
        with self.ledger.transaction() as tx:
            member, orders = self._find(tx.conn, phone)
            if member is None and not orders:
                raise NotFound(_("nothing on this box belongs to that phone number"),
                               field="phone")
            for o in orders:
                o["lines"] = [{"name": n, "spec": s, "qty": q, "amount": money.format_amount(a)}
                              for n, s, q, a in tx.conn.execute(
                                  "SELECT name, spec, qty, COALESCE(net, amount) FROM order_lines"
                                  " WHERE order_id = ? ORDER BY pos", (o["id"],))]
                for key in ("total", "refunded"):
                    if o[key] is not None:
                        o[key] = money.format_amount(o[key])
            doc = {"phone": phone, "member": _member_json(member), "orders": orders}
            if member is not None:
                doc["member"]["moves"] = [
                    {"kind": k, "delta": d if k == "points" else money.format_amount(d),
                     "reason": r, "order_id": oid, "at": ts}
                    for k, d, r, oid, ts in tx.conn.execute(
                        "SELECT kind, delta, reason, order_id, ts FROM member_moves"
                        " WHERE member_id = ? ORDER BY seq", (member["id"],))]
            rec = tx.append("customer.exported", actor.journal(self.ledger.device_id), {
                "member_id": member["id"] if member else None,
                "order_ids": [o["id"] for o in orders]})
            doc["exported_at"] = rec.ts
        audit.info("customer data exported member=%s orders=%d by=%s",
                   member["id"] if member else "-", len(orders), actor.staff_id)
        return doc

    # -- erasing -----------------------------------------------------------------------

    def erase(self, actor: Actor, phone, reason) -> dict:
        """Drop the person's name, phone, card, birthday and notes from the member and from
        every order that carries them. Refused while their card holds money (the shop owes
        it to them: spend it or pay it out first); points left are forfeited, on the record."""
        require(actor, "customer.data", what="erasing a customer's data")
        phone = normalize_phone(phone)
        reason = text(reason, "reason", 200, required=True)
        with self.ledger.transaction() as tx:
            member, orders = self._find(tx.conn, phone)
            if member is None and not orders:
                raise NotFound(_("nothing on this box belongs to that phone number"),
                               field="phone")
            if member is not None and member["balance"]:
                raise Conflict(_("the member's card still holds {amount}: spend it or pay it"
                                 " out before erasing", amount=money.format_amount(
                                     member["balance"])), field="phone")
            open_orders = [o["number"] for o in orders if o["status"] in ("open", "parked")]
            if open_orders:
                raise Conflict(_("finish or cancel these orders first: {numbers}",
                                 numbers=", ".join(open_orders)), field="phone")
            data = {"member_id": member["id"] if member else None,
                    "order_ids": [o["id"] for o in orders], "reason": reason,
                    "points_forfeited": member["points"] if member else 0}
            tx.append("customer.erased", actor.journal(self.ledger.device_id), data)
        audit.info("customer data erased member=%s orders=%d points_forfeited=%d by=%s"
                   " reason=%s", data["member_id"] or "-", len(orders),
                   data["points_forfeited"], actor.staff_id, reason)
        return {"member_id": data["member_id"], "orders": len(orders),
                "points_forfeited": data["points_forfeited"]}


def _member_json(member: dict | None) -> dict | None:
    if member is None:
        return None
    return {**member, "balance": money.format_amount(member["balance"]),
            "active": bool(member["active"])}


__all__ = ["CustomerData"]
