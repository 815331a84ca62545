"""Delivery and pick-up (issue 10 point 4; docs/delivery.md): orders marked for delivery or
for pick-up in the shop, carrier and tracking number, status updates, and orders pushed from
head office (``cmd/order.create``) that appear at the counter with a pick slip.

Records: ``order.fulfilment_set`` (how the order reaches the customer, and to whom) and
``order.fulfilment_updated`` (a status move); the projections are in
appliance/ledger/fulfilment_projections.py.
"""

from __future__ import annotations

import logging
import re
import threading

from .. import money
from ..errors import Conflict, NotFound, ValidationError
from ..i18n import _
from ..ledger import Ledger
from ..master import MasterData
from ..orders.permissions import Actor, require
from ..validate import text

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")

KINDS = ("delivery", "pickup")
SOURCES = ("counter", "head_office")
#: The one next status of each status, per kind; any status not final may also be cancelled.
NEXT = {"delivery": {"pending": "packed", "packed": "shipped", "shipped": "delivered"},
        "pickup": {"pending": "ready", "ready": "collected"}}
STATUSES = ("pending", "packed", "shipped", "delivered", "ready", "collected", "cancelled")
FINAL = ("delivered", "collected", "cancelled")
#: Once the goods have left (or been handed over) the recipient and address are history.
LOCKED = ("shipped", "delivered", "collected")
OTHER_CARRIER = "other"
TRACKING_RE = re.compile(r"^[A-Za-z0-9-]{6,40}$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 -]{2,19}$")
HEAD_OFFICE = "head_office"


def head_office_actor() -> Actor:
    """Who acts for head office's online orders: no staff member; the engine's checks see a
    manager (a head-office price differs from the catalog's; a prepaid order takes payment)
    at the terminal ``head_office`` (docs/delivery.md)."""
    return Actor("", "manager", HEAD_OFFICE)


def _phone(value, field: str) -> str:
    value = text(value, field, 20)
    if value and not PHONE_RE.match(value):
        raise ValidationError(_("{field} \"{value}\" is not a phone number", field=field,
                                value=value), field=field)
    return re.sub(r"[\s-]", "", value)   # digits: found again however it was typed


def _row_json(row) -> dict:
    return {"order_id": row["order_id"], "kind": row["kind"], "status": row["status"],
            "carrier": row["carrier"], "tracking": row["tracking"],
            "recipient": row["recipient"], "phone": row["phone"], "address": row["address"],
            "note": row["note"], "source": row["source"], "external_ref": row["external_ref"],
            "created_at": row["created_at"], "updated_at": row["updated_at"]}


_SELECT = ("SELECT f.order_id, f.kind, f.status, f.carrier, f.tracking, f.recipient, f.phone,"
           " f.address, f.note, f.source, f.external_ref, f.created_at, f.updated_at,"
           " o.number, o.status AS order_status, o.customer_name, o.customer_phone,"
           " o.total, o.subtotal, o.paid FROM fulfilments f JOIN orders o ON o.id = f.order_id")


def _named(conn, sql: str, args=()) -> list[dict]:
    cur = conn.execute(sql, args)
    names = [c[0] for c in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


class Fulfilment:
    def __init__(self, ledger: Ledger, master: MasterData, timezone: str, *, orders):
        self.ledger = ledger
        self.master = master
        self.timezone = timezone
        self.orders = orders
        self._creating = threading.Lock()

    # -- reading -----------------------------------------------------------------------------

    def for_order(self, order_id: str) -> dict | None:
        """What a customer may see of an order's delivery or pick-up (the e-receipt page):
        no names, phones or addresses, no staff notes' authors."""
        with self.ledger.reading() as conn:
            row = conn.execute("SELECT kind, status, carrier, tracking, updated_at FROM"
                               " fulfilments WHERE order_id = ?", (order_id,)).fetchone()
            if row is None:
                return None
            events = conn.execute("SELECT status, ts, note FROM fulfilment_events WHERE"
                                  " order_id = ? ORDER BY seq", (order_id,)).fetchall()
        return {"kind": row[0], "status": row[1], "carrier": row[2], "tracking": row[3],
                "updated_at": row[4],
                "events": [{"status": s, "ts": ts, "note": note} for s, ts, note in events]}

    def brief(self, order_id: str) -> dict | None:
        """What the counter and phones show next to an order: kind, status and source."""
        with self.ledger.reading() as conn:
            row = conn.execute("SELECT kind, status, source, external_ref FROM fulfilments"
                               " WHERE order_id = ?", (order_id,)).fetchone()
        if row is None:
            return None
        return {"kind": row[0], "status": row[1], "source": row[2], "external_ref": row[3]}

    def get(self, order_id: str) -> dict:
        """The whole fulfilment for staff (recipient included), with its history."""
        with self.ledger.reading() as conn:
            rows = _named(conn, _SELECT + " WHERE f.order_id = ?", (order_id,))
            if not rows:
                if conn.execute("SELECT 1 FROM orders WHERE id = ?", (order_id,)).fetchone():
                    raise NotFound(_("order {order_id} is not marked for delivery or pick-up",
                                     order_id=order_id))
                raise NotFound(_("order {order_id} does not exist", order_id=order_id))
            events = _named(conn, "SELECT seq, status, carrier, tracking, note, staff, ts FROM"
                            " fulfilment_events WHERE order_id = ? ORDER BY seq", (order_id,))
        out = self._json(rows[0])
        out["events"] = events
        return out

    def _json(self, r: dict) -> dict:
        out = _row_json(r)
        due = r["total"] if r["total"] is not None else r["subtotal"]
        out.update(number=r["number"], order_status=r["order_status"],
                   customer_name=r["customer_name"], customer_phone=r["customer_phone"],
                   total=money.format_amount(due), paid=money.format_amount(r["paid"]),
                   next=self.next_statuses(r["kind"], r["status"]))
        return out

    @staticmethod
    def next_statuses(kind: str, status: str) -> list[str]:
        if status in FINAL:
            return []
        return [NEXT[kind][status], "cancelled"] if status in NEXT[kind] else ["cancelled"]

    def board(self, recent: int = 30) -> dict:
        """The deliveries page: what to pack, what to ship, what waits for pick-up, and the
        most recent finished ones."""
        with self.ledger.reading() as conn:
            def q(where, args=(), order="f.updated_at", limit=200):
                return [self._json(r) for r in _named(
                    conn, f"{_SELECT} WHERE {where} ORDER BY {order} LIMIT ?", (*args, limit))]
            return {
                "to_pack": q("f.status = 'pending' AND o.status != 'cancelled'"),
                "to_ship": q("f.kind = 'delivery' AND f.status = 'packed'"),
                "ready": q("f.kind = 'pickup' AND f.status = 'ready'"),
                "shipped": q("f.kind = 'delivery' AND f.status = 'shipped'"),
                "recent": q("f.status IN ('delivered', 'collected', 'cancelled')",
                            order="f.updated_at DESC", limit=recent),
            }

    def carriers(self) -> list[str]:
        return list(self.master.settings.get("fulfilment.carriers"))

    # -- commands ----------------------------------------------------------------------------

    @staticmethod
    def _fields(kind, recipient, phone, address, note) -> dict:
        if kind not in KINDS:
            raise ValidationError(_("kind must be delivery or pickup"), field="kind")
        recipient = text(recipient, "recipient", 40)
        phone = _phone(phone, "phone")
        address = text(address, "address", 200, multiline=True)
        note = text(note, "note", 200, multiline=True)
        if kind == "delivery":
            for name, value in (("recipient", recipient), ("phone", phone),
                                ("address", address)):
                if not value:
                    raise ValidationError(_("a delivery needs the {field}", field=name),
                                          field=name)
        return {"kind": kind, "recipient": recipient, "phone": phone, "address": address,
                "note": note}

    def set(self, actor: Actor, order_id: str, *, kind: str, recipient: str = "",
            phone: str = "", address: str = "", note: str = "", source: str = "counter",
            external_ref: str = "", journal_actor: dict | None = None) -> dict:
        """Mark an order for delivery or pick-up, or change how and to whom, until shipped.
        Changing the kind (or marking a cancelled one again) starts over at pending."""
        require(actor, "fulfilment.edit", what="delivery and pick-up")
        fields = self._fields(kind, recipient, phone, address, note)
        if source not in SOURCES:
            raise ValidationError(_("source must be counter or head_office"), field="source")
        external_ref = text(external_ref, "external_ref", 64)
        with self.ledger.transaction() as tx:
            order = tx.one("SELECT number, status FROM orders WHERE id = ?", (order_id,))
            if order is None:
                raise NotFound(_("order {order_id} does not exist", order_id=order_id))
            if order[1] == "cancelled":
                raise Conflict(_("order {number} is cancelled", number=order[0]))
            row = tx.one("SELECT status FROM fulfilments WHERE order_id = ?", (order_id,))
            if row is not None and row[0] in LOCKED:
                raise Conflict(_("order {number} is already {status}: its delivery can no"
                                 " longer change", number=order[0], status=_(row[0])))
            tx.append("order.fulfilment_set", journal_actor or actor.journal(
                self.ledger.device_id), {"order_id": order_id, **fields, "source": source,
                                         "external_ref": external_ref})
        log.info("order %s marked for %s", order[0], kind)
        return self.get(order_id)

    def update(self, actor: Actor, order_id: str, status: str, *, carrier: str = "",
               carrier_name: str = "", tracking: str = "", note: str = "") -> dict:
        """Move the status on: delivery pending→packed→shipped→delivered, pick-up
        pending→ready→collected, or cancel one not finished. Shipping needs a carrier and a
        tracking number; handing over at the counter needs the order paid."""
        require(actor, "fulfilment.edit", what="delivery and pick-up")
        if status not in STATUSES:
            raise ValidationError(_("status must be one of {names}", names=", ".join(STATUSES)),
                                  field="status")
        note = text(note, "note", 200, multiline=True)
        carrier = text(carrier, "carrier", 30)
        tracking = text(tracking, "tracking", 40)
        if status == "shipped":
            carrier = self._carrier(carrier, carrier_name)
            if not TRACKING_RE.match(tracking):
                raise ValidationError(_("tracking number \"{value}\" must be 6 to 40 letters,"
                                        " digits or -", value=tracking), field="tracking")
        elif carrier or tracking:
            raise ValidationError(_("a carrier and tracking number go with shipped only"),
                                  field="carrier" if carrier else "tracking")
        with self.ledger.transaction() as tx:
            order = tx.one("SELECT number, status FROM orders WHERE id = ?", (order_id,))
            if order is None:
                raise NotFound(_("order {order_id} does not exist", order_id=order_id))
            row = tx.one("SELECT kind, status FROM fulfilments WHERE order_id = ?", (order_id,))
            if row is None:
                raise NotFound(_("order {number} is not marked for delivery or pick-up",
                                 number=order[0]))
            kind, current = row
            allowed = self.next_statuses(kind, current)
            if status not in allowed:
                if not allowed:
                    raise Conflict(_("order {number} is already {status}: nothing more to do",
                                     number=order[0], status=_(current)))
                raise Conflict(_("order {number} is {status}: it can go to {allowed}, not to"
                                 " {wanted}", number=order[0], status=_(current),
                                 allowed=", ".join(_(s) for s in allowed), wanted=_(status)))
            if status == "collected" and order[1] != "paid":
                raise Conflict(_("order {number} is not paid yet: take payment before handing"
                                 " it over", number=order[0]))
            tx.append("order.fulfilment_updated", actor.journal(self.ledger.device_id), {
                "order_id": order_id, "kind": kind, "status": status, "carrier": carrier,
                "tracking": tracking, "note": note})
        log.info("order %s %s: %s", order[0], kind, status)
        return self.get(order_id)

    def _carrier(self, carrier: str, carrier_name) -> str:
        if not carrier:
            raise ValidationError(_("choose the carrier"), field="carrier")
        if carrier == OTHER_CARRIER:
            name = text(carrier_name, "carrier_name", 30)
            if not name:
                raise ValidationError(_("type the carrier's name"), field="carrier_name")
            return name
        if carrier not in self.carriers():
            raise ValidationError(_("carrier {value} is not in the list: choose one, or"
                                    " \"other\" and type its name", value=carrier),
                                  field="carrier")
        return carrier

    # -- orders from head office (cmd/order.create) -----------------------------------------

    def find_external(self, external_ref: str) -> str | None:
        with self.ledger.reading() as conn:
            row = conn.execute("SELECT order_id FROM fulfilments WHERE source = 'head_office'"
                               " AND external_ref = ?", (external_ref,)).fetchone()
        return row[0] if row else None

    def create_from_head_office(self, args: dict, *, printing):
        """Make head office's online order here: (order, created). Everything is checked
        before anything is written; the same ``external_ref`` again answers the order made
        the first time. ``printing``: the box's print queue, for the pick slip."""
        from .online import OnlineOrder
        spec = OnlineOrder.parse(args)
        with self._creating:
            existing = self.find_external(spec.external_ref)
            if existing is not None:
                return self.orders.get_order(existing), False
            spec.check(self)
            return spec.create(self, printing), True
