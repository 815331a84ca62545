"""Which journal records tell a customer something, whom, and on which channels.

Called inside the write transaction right after a record was applied to the projections
(Ledger append hook), so it reads the projections as they are with the record in them. It
returns the rows to queue; nothing here sends or waits.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Recipient:
    phone: str = ""
    email: str = ""
    member_id: str | None = None


@dataclass
class Trigger:
    event: str
    params: dict
    recipient: Recipient
    order_id: str | None = None
    ticket_id: str | None = None
    member_id: str | None = None
    extra: dict = field(default_factory=dict)


def member_contact(conn, member_id: str | None) -> Recipient | None:
    """A member's phone and e-mail; None for no member or an erased one."""
    if not member_id:
        return None
    row = conn.execute("SELECT phone, erased_at, email FROM members WHERE id = ?",
                       (member_id,)).fetchone()
    if row is None or row[1]:
        return None
    return Recipient(phone=row[0] or "", email=row[2] or "", member_id=member_id)


def _order(conn, order_id: str | None):
    if not order_id:
        return None
    return conn.execute("SELECT number, customer_phone, member_id FROM orders WHERE id = ?",
                        (order_id,)).fetchone()


def _for_order(conn, order_id: str | None, *fallback_phones: str) -> Recipient | None:
    """The order's member, else the order's customer phone, else the first fallback."""
    row = _order(conn, order_id)
    if row is not None:
        member = member_contact(conn, row[2])
        if member is not None:
            return member
        if row[1]:
            return Recipient(phone=row[1])
    for phone in fallback_phones:
        if phone:
            return Recipient(phone=phone)
    return None


def triggers_for(conn, record, events: list[str] | None = None) -> list[Trigger]:
    """What ``record`` tells customers (only ``events``, when given: notify.events)."""
    d, found = record.data, []
    t = record.type
    if t == "order.fulfilment_updated":
        status, kind = d.get("status"), d.get("kind")
        event = ("order_ready" if kind == "pickup" and status == "ready" else
                 "order_shipped" if kind == "delivery" and status == "shipped" else None)
        if event:
            order_id = d.get("order_id")
            row = conn.execute("SELECT phone FROM fulfilments WHERE order_id = ?",
                               (order_id,)).fetchone()
            who = _for_order(conn, order_id, row[0] if row else "")
            order = _order(conn, order_id)
            params = {"number": order[0] if order else "", "status": status}
            if event == "order_shipped":
                params.update(carrier=d.get("carrier", ""), tracking=d.get("tracking", ""))
            if who:
                found.append(Trigger(event, params, who, order_id=order_id))
    elif t in ("ticket.opened", "ticket.updated"):
        ticket_id = d.get("ticket_id")
        row = conn.execute("SELECT number, status, order_id, member_id, customer_phone FROM"
                           " tickets WHERE id = ?", (ticket_id,)).fetchone()
        if row is not None:
            number, status, order_id, member_id, phone = row
            changed = True
            if t == "ticket.updated":
                before = conn.execute(
                    "SELECT status FROM ticket_events WHERE ticket_id = ? AND seq < ?"
                    " ORDER BY seq DESC LIMIT 1", (ticket_id, record.seq)).fetchone()
                new = d.get("status") or status
                changed = before is None or before[0] != new
                status = new
            if changed:
                who = member_contact(conn, member_id) or (
                    Recipient(phone=phone) if phone else _for_order(conn, order_id))
                if who:
                    found.append(Trigger("aftersales", {"ticket": number, "status": status},
                                         who, order_id=order_id, ticket_id=ticket_id))
    elif t == "member.joined":
        who = member_contact(conn, d.get("member_id"))
        if who:
            found.append(Trigger("member_welcome", {}, who, member_id=who.member_id))
    if t != "customer.erased":
        # Points and stored value: whatever record moved them (sale, top-up, refund,
        # correction, redemption) left rows in member_moves with its seq.
        moves: dict[tuple[str, str], list[int]] = {}
        for member_id, kind, delta, after, order_id in conn.execute(
                "SELECT member_id, kind, delta, after, order_id FROM member_moves WHERE seq = ?"
                " ORDER BY rowid", (record.seq,)):
            if not delta:
                continue
            key = (member_id, kind)
            total = moves.get(key, [0, 0, order_id])
            moves[key] = [total[0] + delta, after, total[2] or order_id]
        for (member_id, kind), (delta, after, order_id) in moves.items():
            if not delta:
                continue
            who = member_contact(conn, member_id)
            if who:
                event = "points_changed" if kind == "points" else "balance_changed"
                found.append(Trigger(event, {"delta": delta, "after": after}, who,
                                     order_id=order_id, member_id=member_id))
    return [f for f in found if events is None or f.event in events]


def channels_for(recipient: Recipient, notify_cfg) -> list[tuple[str, str, str]]:
    """(channel, route, address) for each way this person can be told, by config."""
    out = []
    if recipient.email and notify_cfg.email == "smtp":
        out.append(("email", "smtp", recipient.email))
    if recipient.phone and not recipient.phone.startswith("erased-"):
        if notify_cfg.sms in ("modem", "relay"):
            out.append(("sms", notify_cfg.sms, recipient.phone))
        if notify_cfg.wechat == "relay":
            out.append(("wechat", "relay", recipient.phone))
    return out
