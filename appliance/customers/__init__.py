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
from ..members.model import normalize_phone, phone_digits_sql as digits
from ..orders.permissions import Actor, require
from ..validate import text

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")

MEMBER_FIELDS = ("id", "name", "phone", "card_code", "birthday", "level_id", "note", "points",
                 "balance", "active", "joined_at", "email")   # email: issue 10 notifications
ORDER_FIELDS = ("id", "number", "status", "opened_at", "completed_at", "customer_name",
                "customer_phone", "note", "total", "refunded")
TICKET_FIELDS = ("id", "number", "kind", "status", "order_id", "serial", "customer_name",
                 "customer_phone", "summary", "source", "opened_at", "updated_at")
DELIVERY_FIELDS = ("order_id", "kind", "status", "carrier", "tracking", "recipient", "phone",
                   "address", "note", "created_at", "updated_at")


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
            f"SELECT {', '.join(ORDER_FIELDS)} FROM orders WHERE {digits('customer_phone')} = ?"
            " OR (member_id IS NOT NULL AND member_id = ?) ORDER BY opened_at, id",
            (phone, member["id"] if member else None))]
        return member, orders

    @staticmethod
    def _find_more(conn, phone: str, member: dict | None, orders: list[dict]) -> dict:
        """Tickets, deliveries and feedback that belong to the person: by their orders, their
        member id, or (tickets, deliveries) the phone itself."""
        order_ids = [o["id"] for o in orders]
        marks = ",".join("?" * len(order_ids))
        in_orders = f" OR order_id IN ({marks})" if order_ids else ""
        tickets = [dict(zip(TICKET_FIELDS, r)) for r in conn.execute(
            f"SELECT {', '.join(TICKET_FIELDS)} FROM tickets WHERE customer_phone = ?"
            f" OR (member_id IS NOT NULL AND member_id = ?){in_orders}"
            " ORDER BY opened_at, number", (phone, member["id"] if member else None,
                                            *order_ids))]
        deliveries = [dict(zip(DELIVERY_FIELDS, r)) for r in conn.execute(
            f"SELECT {', '.join(DELIVERY_FIELDS)} FROM fulfilments WHERE {digits('phone')} = ?{in_orders}"
            " ORDER BY created_at, order_id", (phone, *order_ids))]
        feedback = [{"order_id": o, "rating": r, "comment": c, "at": ts}
                    for o, r, c, ts in conn.execute(
                        f"SELECT order_id, rating, comment, ts FROM feedback WHERE order_id IN"
                        f" ({marks}) ORDER BY seq", order_ids)] if order_ids else []
        return {"tickets": tickets, "deliveries": deliveries, "feedback": feedback}

    def lookup(self, actor: Actor, phone) -> dict:
        """What the box holds about the person with this phone: a summary for the screen."""
        require(actor, "customer.data", what="looking up a customer's data")
        phone = normalize_phone(phone)
        with self.ledger.reading() as conn:
            member, orders = self._find(conn, phone)
            more = self._find_more(conn, phone, member, orders)
        if member is None and not orders and not more["tickets"] and not more["deliveries"]:
            raise NotFound(_("nothing on this box belongs to that phone number"), field="phone")
        names = sorted({o["customer_name"] for o in orders if o["customer_name"]}
                       | {t["customer_name"] for t in more["tickets"] if t["customer_name"]}
                       | {d["recipient"] for d in more["deliveries"] if d["recipient"]})
        return {"member": _member_json(member), "orders": len(orders), "names": names,
                "tickets": [{"number": t["number"], "kind": t["kind"], "status": t["status"]}
                            for t in more["tickets"]],
                "deliveries": len(more["deliveries"]), "feedback": len(more["feedback"])}

    def export(self, actor: Actor, phone) -> dict:
        """Everything the box holds about the person, as one JSON document for them; the
        export itself is journalled (ids only) and audited."""
        require(actor, "customer.data", what="exporting a customer's data")
        phone = normalize_phone(phone)
        with self.ledger.transaction() as tx:
            member, orders = self._find(tx.conn, phone)
            more = self._find_more(tx.conn, phone, member, orders)
            if member is None and not orders and not more["tickets"] and \
                    not more["deliveries"]:
                raise NotFound(_("nothing on this box belongs to that phone number"),
                               field="phone")
            for t in more["tickets"]:
                t["history"] = [{"status": st, "note": n, "at": ts} for st, n, ts in tx.conn.execute(
                    "SELECT status, note, ts FROM ticket_events WHERE ticket_id = ?"
                    " ORDER BY seq", (t["id"],))]
            for o in orders:
                o["lines"] = [{"name": n, "spec": s, "qty": q, "amount": money.format_amount(a)}
                              for n, s, q, a in tx.conn.execute(
                                  "SELECT name, spec, qty, COALESCE(net, amount) FROM order_lines"
                                  " WHERE order_id = ? ORDER BY pos", (o["id"],))]
                for key in ("total", "refunded"):
                    if o[key] is not None:
                        o[key] = money.format_amount(o[key])
            doc = {"phone": phone, "member": _member_json(member), "orders": orders, **more}
            if member is not None:
                doc["member"]["moves"] = [
                    {"kind": k, "delta": d if k == "points" else money.format_amount(d),
                     "reason": r, "order_id": oid, "at": ts}
                    for k, d, r, oid, ts in tx.conn.execute(
                        "SELECT kind, delta, reason, order_id, ts FROM member_moves"
                        " WHERE member_id = ? ORDER BY seq", (member["id"],))]
            rec = tx.append("customer.exported", actor.journal(self.ledger.device_id), {
                "member_id": member["id"] if member else None,
                "order_ids": [o["id"] for o in orders],
                "ticket_ids": [t["id"] for t in more["tickets"]]})
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
            more = self._find_more(tx.conn, phone, member, orders)
            if member is None and not orders and not more["tickets"] and \
                    not more["deliveries"]:
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
                    "points_forfeited": member["points"] if member else 0,
                    # tickets that name the phone without being on one of the orders
                    "ticket_ids": [t["id"] for t in more["tickets"]]}
            order_ids = set(data["order_ids"])
            elsewhere = sorted({d["order_id"] for d in more["deliveries"]} - order_ids)
            if elsewhere:
                # deliveries to this person on someone else's order: their recipient, phone
                # and address go, the order's own customer stays
                data["delivery_order_ids"] = elsewhere
            # messages to this number whatever they were about (a pick-up phone on a
            # walk-in sale, a test message): named by id, the record carries no number
            notified = [r[0] for r in tx.conn.execute(
                f"SELECT id FROM notifications WHERE {digits('address')} = ?", (phone,))]
            if notified:
                data["notification_ids"] = notified
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
