"""After-sales (售后) tickets: complaint, repair, warranty (issue 10 point 3;
docs/aftersales.md). Linked to the order and, for serialised goods, to the serial number
captured at the sale; status open, in progress, resolved, closed, with notes and who did what.

Every change is a journal record (``ticket.opened``, ``ticket.updated``) whose actor is who
did it; the tables ``tickets`` and ``ticket_events`` are its projections
(appliance/ledger/aftersales_projections.py). The notifications area tells the customer at
each step from those records: ``ticket.opened`` carries the phone and member to tell.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..errors import Conflict, Forbidden, NotFound, ValidationError
from ..i18n import _
from ..ledger import Ledger
from ..master import MasterData
from ..members.model import normalize_phone
from ..orders.permissions import Actor, allowed, require
from ..validate import text
from . import serials as serials_mod

log = logging.getLogger(__name__)

#: kinds staff open at the counter or on a phone
STAFF_KINDS = ("complaint", "repair", "warranty")
#: kinds a customer asks for from the e-receipt page
CUSTOMER_KINDS = ("return_request", "complaint")
KINDS = ("complaint", "repair", "warranty", "return_request")
STATUSES = ("open", "in_progress", "resolved", "closed")
#: status -> the statuses it may move to (docs/aftersales.md "Status flow")
FLOW = {"open": ("in_progress", "closed"),
        "in_progress": ("resolved",),
        "resolved": ("closed", "in_progress"),
        "closed": ()}
#: moving to these needs a note (what was done, or why it is closed)
NOTE_REQUIRED = ("resolved", "closed")
SUMMARY_LIMIT = 500
NOTE_LIMIT = 500
#: open requests from the e-receipt page per order: a customer asks, the shop answers;
#: more than this at once is someone hammering the form.
MAX_OPEN_CUSTOMER_TICKETS = 3

_SOURCE_RE = re.compile(r"^[a-z_]{1,20}$")

TICKET_FIELDS = ("id", "number", "kind", "status", "order_id", "line_id", "serial",
                 "customer_name", "customer_phone", "member_id", "summary", "source",
                 "opened_by", "opened_at", "updated_at", "approved_by")


class AfterSales:
    def __init__(self, ledger: Ledger, master: MasterData, timezone: str):
        self.ledger = ledger
        self.master = master
        self.timezone = timezone
        self.tz = ZoneInfo(timezone)

    # -- helpers -----------------------------------------------------------------------

    def _actor(self, actor: Actor) -> dict:
        return actor.journal(self.ledger.device_id)

    def _customer_actor(self) -> dict:
        return {"staff": "", "role": "customer", "device": self.ledger.device_id,
                "terminal": "ereceipt"}

    def _next_number(self, tx) -> str:
        # Numbered by the journal's clock (a box booted before NTP must not reuse a day).
        day = tx.now().astimezone(self.tz).strftime("%Y%m%d")
        row = tx.one("SELECT MAX(CAST(substr(number, 11) AS INTEGER)) FROM tickets"
                     " WHERE number LIKE ?", (f"S{day}-%",))
        return f"S{day}-{(row[0] or 0) + 1:04d}"

    def _local_day(self, ts: str) -> date:
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(self.tz).date()

    def warranty_until(self, sold_at: str) -> str:
        """The last day (local, ISO date) of the warranty of something sold at ``sold_at``."""
        days = self.master.settings.get("aftersales.warranty_days")
        return (self._local_day(sold_at) + timedelta(days=days)).isoformat()

    @staticmethod
    def _order_row(conn, order_id: str):
        return conn.execute("SELECT id, number, status, completed_at, customer_name,"
                            " customer_phone, member_id FROM orders WHERE id = ?",
                            (order_id,)).fetchone()

    # -- the customer's side (e-receipt page) --------------------------------------------

    def open_for_customer(self, order_id: str, kind: str, summary: str, *,
                          source: str = "customer", request_id: str | None = None) -> dict:
        """A return request or a complaint sent from the customer's e-receipt page. There is
        no signed-in person: the record's actor is the customer (role ``customer``). The
        ticket takes the order's phone and member, so the customer hears back."""
        if kind not in CUSTOMER_KINDS:
            raise ValidationError(_("kind must be one of {kinds}",
                                    kinds=", ".join(CUSTOMER_KINDS)), field="kind")
        summary = text(summary, "summary", SUMMARY_LIMIT, required=True, multiline=True)
        if not isinstance(source, str) or not _SOURCE_RE.match(source):
            raise ValidationError(_("source must be a short name like customer"),
                                  field="source")
        with self.ledger.transaction() as tx:
            row = self._order_row(tx.conn, order_id) if isinstance(order_id, str) else None
            if row is None:
                raise NotFound(_("order {order_id} does not exist", order_id=order_id))
            _id, number, status, _completed, _name, phone, member_id = row
            if status != "paid":
                raise Conflict(_("order {number} is not paid: there is nothing to ask about"
                                 " yet", number=number))
            waiting = tx.one("SELECT COUNT(*) FROM tickets WHERE order_id = ? AND source != "
                             "'counter' AND status IN ('open', 'in_progress')", (order_id,))[0]
            if waiting >= MAX_OPEN_CUSTOMER_TICKETS:
                raise Conflict(_("this order already has {count} requests waiting for the"
                                 " shop: please wait for an answer", count=waiting))
            ticket = {"ticket_id": str(uuid.uuid4()), "number": self._next_number(tx),
                      "kind": kind, "order_id": order_id, "line_id": None, "serial": "",
                      "summary": summary, "source": source, "member_id": member_id,
                      "customer_name": "", "customer_phone": _phone_or_blank(phone)}
            if request_id:   # head office's command id: the same request is never opened twice
                ticket["request_id"] = request_id
            tx.append("ticket.opened", self._customer_actor(), ticket)
        log.info("ticket %s (%s) opened from the e-receipt page", ticket["number"], kind)
        return {"ticket_id": ticket["ticket_id"], "number": ticket["number"],
                "status": "open"}

    def for_order(self, order_id: str) -> list[dict]:
        """The order's tickets as the customer sees them: no names, phones or staff notes."""
        with self.ledger.reading() as conn:
            tickets = conn.execute("SELECT id, number, kind, status, updated_at FROM tickets"
                                   " WHERE order_id = ? ORDER BY opened_at, number",
                                   (order_id,)).fetchall()
            out = []
            for tid, number, kind, status, updated in tickets:
                events: list[dict] = []
                for s, ts in conn.execute("SELECT status, ts FROM ticket_events WHERE"
                                          " ticket_id = ? ORDER BY seq", (tid,)):
                    if not events or events[-1]["status"] != s:   # notes are the shop's
                        events.append({"status": s, "ts": ts})
                out.append({"number": number, "kind": kind, "status": status,
                            "updated_at": updated, "events": events})
        return out

    # -- staff ---------------------------------------------------------------------------

    def open(self, actor: Actor, *, kind, summary, order_id=None, order_number=None,
             line_id=None, serial=None, customer_name=None, customer_phone=None,
             member_id=None, approver: Actor | None = None) -> dict:
        """Open a complaint, repair or warranty ticket. The sale is named by ``order_id``,
        ``order_number`` or, for serialised goods, ``serial`` alone. A warranty ticket needs
        the sale and a sale date inside ``aftersales.warranty_days``, unless a manager
        approves (``approver``)."""
        require(actor, "aftersales.open", what="opening an after-sales ticket")
        if kind not in STAFF_KINDS:
            raise ValidationError(_("kind must be one of {kinds}", kinds=", ".join(STAFF_KINDS)),
                                  field="kind")
        summary = text(summary, "summary", SUMMARY_LIMIT, required=True, multiline=True)
        serial = serials_mod.clean_serial(serial, required=False)
        name = text(customer_name, "customer_name", 40)
        phone = text(customer_phone, "customer_phone", 32)
        if phone:
            phone = normalize_phone(phone, "customer_phone")
        for key, value in (("order_id", order_id), ("order_number", order_number),
                           ("line_id", line_id), ("member_id", member_id)):
            if value is not None and (not isinstance(value, str) or len(value) > 64):
                raise ValidationError(_("{field} must be text", field=key), field=key)
        approved_by = None
        with self.ledger.transaction() as tx:
            conn = tx.conn
            if order_number and not order_id:
                found = tx.one("SELECT id FROM orders WHERE number = ?", (order_number.strip(),))
                if found is None:
                    raise NotFound(_("order number {number} does not exist",
                                     number=order_number), field="order_number")
                order_id = found[0]
            if serial and not order_id:
                sale = serials_mod.sale_of(conn, serial)
                if sale is None:
                    raise NotFound(_("no sale on this box has serial number {serial}",
                                     serial=serial), field="serial")
                order_id, line_id = sale["order_id"], sale["line_id"]
            row = None
            if order_id:
                row = self._order_row(conn, order_id)
                if row is None:
                    raise NotFound(_("order {order_id} does not exist", order_id=order_id),
                                   field="order_id")
                if row[2] != "paid":
                    raise Conflict(_("order {number} is not paid: after-sales tickets are"
                                     " for sales", number=row[1]), field="order_id")
            elif kind == "warranty":
                raise ValidationError(_("a warranty ticket needs the sale: give the order"
                                        " number or the serial number"), field="order_number")
            if line_id:
                if not order_id:
                    raise ValidationError(_("a line needs its order"), field="line_id")
                if tx.one("SELECT 1 FROM order_lines WHERE order_id = ? AND line_id = ?",
                          (order_id, line_id)) is None:
                    raise NotFound(_("order {number} has no line {line_id}", number=row[1],
                                     line_id=line_id), field="line_id")
            if serial and order_id:
                sold = tx.one("SELECT line_id FROM line_serials WHERE order_id = ? AND"
                              " serial = ?", (order_id, serial))
                if sold is None:
                    raise ValidationError(_("serial number {serial} was not sold on order"
                                            " {number}", serial=serial, number=row[1]),
                                          field="serial")
                if line_id and sold[0] != line_id:
                    raise ValidationError(_("serial number {serial} belongs to another line"
                                            " of order {number}", serial=serial,
                                            number=row[1]), field="serial")
                line_id = sold[0]
            if kind == "warranty":
                until = self.warranty_until(row[3])
                today = tx.now().astimezone(self.tz).date().isoformat()
                if today > until:
                    if not (approver is not None and allowed(approver, "refund.over_limit")
                            or allowed(actor, "refund.over_limit")):
                        raise Forbidden(_("the warranty of order {number} ended on {date}: a"
                                          " manager may still accept it", number=row[1],
                                          date=until))
                    approved_by = (actor if allowed(actor, "refund.over_limit")
                                   else approver).staff_id
            if member_id:
                if tx.one("SELECT 1 FROM members WHERE id = ? AND erased_at IS NULL",
                          (member_id,)) is None:
                    raise NotFound(_("member {member_id} does not exist",
                                     member_id=member_id), field="member_id")
            elif row is not None:
                member_id = row[6]
            if row is not None and not phone:
                phone = _phone_or_blank(row[5])
            if row is not None and not name:
                name = row[4]
            ticket = {"ticket_id": str(uuid.uuid4()), "number": self._next_number(tx),
                      "kind": kind, "order_id": order_id, "line_id": line_id or None,
                      "serial": serial, "summary": summary, "source": "counter",
                      "member_id": member_id or None, "customer_name": name,
                      "customer_phone": phone}
            if approved_by:
                ticket["approved_by"] = approved_by
            tx.append("ticket.opened", self._actor(actor), ticket)
        log.info("ticket %s (%s) opened by %s", ticket["number"], kind, actor.staff_id)
        return self.get(ticket["ticket_id"])

    def update(self, actor: Actor, ticket_id: str, *, status=None, note=None) -> dict:
        """Move a ticket on (``status``, with a note for resolved and closed) or add a plain
        note (``status`` left out or unchanged)."""
        note = text(note, "note", NOTE_LIMIT, multiline=True)
        if status is not None and status not in STATUSES:
            raise ValidationError(_("status must be one of {statuses}",
                                    statuses=", ".join(STATUSES)), field="status")
        with self.ledger.transaction() as tx:
            row = tx.one("SELECT number, status FROM tickets WHERE id = ?", (ticket_id,))
            if row is None:
                raise NotFound(_("ticket {ticket_id} does not exist", ticket_id=ticket_id))
            number, current = row
            if status is None or status == current:
                require(actor, "aftersales.open", what="adding a note to a ticket")
                if not note:
                    raise ValidationError(_("write the note"), field="note")
                status = current
            else:
                require(actor, "aftersales.update", what="moving a ticket on")
                if status not in FLOW[current]:
                    raise Conflict(_("ticket {number} is {status}: it cannot become {wanted}",
                                     number=number, status=_status_word(current),
                                     wanted=_status_word(status)), field="status")
                if status in NOTE_REQUIRED and not note:
                    raise ValidationError(_("say what was done (a note) to mark ticket {number}"
                                            " {wanted}", number=number,
                                            wanted=_status_word(status)), field="note")
            tx.append("ticket.updated", self._actor(actor), {
                "ticket_id": ticket_id, "number": number, "status": status, "note": note,
                "previous": current})
        log.info("ticket %s %s -> %s by %s", number, current, status, actor.staff_id)
        return self.get(ticket_id)

    # -- reading -------------------------------------------------------------------------

    def list(self, *, status=None, kind=None, q=None, limit: int = 100) -> list[dict]:
        """Tickets, newest change first; ``q`` matches the number, the serial, the order
        number or the customer's phone (digits as typed)."""
        if status is not None and status not in (*STATUSES, "active"):
            raise ValidationError(_("status must be one of {statuses}",
                                    statuses=", ".join((*STATUSES, "active"))), field="status")
        if kind is not None and kind not in KINDS:
            raise ValidationError(_("kind must be one of {kinds}", kinds=", ".join(KINDS)),
                                  field="kind")
        q = text(q, "q", 40)
        where, params = [], []
        if status == "active":
            where.append("t.status IN ('open', 'in_progress')")
        elif status:
            where.append("t.status = ?")
            params.append(status)
        if kind:
            where.append("t.kind = ?")
            params.append(kind)
        if q:
            like = f"%{q.replace(' ', '')}%"
            where.append("(t.number LIKE ? OR t.serial LIKE ? OR o.number LIKE ? OR"
                         " (t.customer_phone != '' AND t.customer_phone LIKE ?))")
            params += [like, like, like, like]
        sql = (f"SELECT {', '.join('t.' + f for f in TICKET_FIELDS)}, o.number FROM tickets t"
               " LEFT JOIN orders o ON o.id = t.order_id")
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY t.updated_at DESC, t.number DESC LIMIT ?"
        params.append(max(1, min(int(limit), 500)))
        with self.ledger.reading() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [self._ticket_json(r) for r in rows]

    def _ticket_json(self, row) -> dict:
        t = dict(zip(TICKET_FIELDS, row))
        t["order_number"] = row[len(TICKET_FIELDS)]
        t["opened_by_name"] = self.master.staff.name_of(t["opened_by"])
        t["approved_by_name"] = self.master.staff.name_of(t["approved_by"])
        return t

    def get(self, ticket_id: str) -> dict:
        """One ticket with its history (who did what) and the item it is about."""
        with self.ledger.reading() as conn:
            row = conn.execute(
                f"SELECT {', '.join('t.' + f for f in TICKET_FIELDS)}, o.number FROM tickets t"
                " LEFT JOIN orders o ON o.id = t.order_id WHERE t.id = ?",
                (ticket_id,)).fetchone()
            if row is None:
                raise NotFound(_("ticket {ticket_id} does not exist", ticket_id=ticket_id))
            t = self._ticket_json(row)
            t["events"] = [{"status": s, "note": n, "staff": st,
                            "staff_name": self.master.staff.name_of(st) if st else "",
                            "ts": ts}
                           for s, n, st, ts in conn.execute(
                               "SELECT status, note, staff, ts FROM ticket_events WHERE"
                               " ticket_id = ? ORDER BY seq", (ticket_id,))]
            t["item"] = None
            if t["order_id"] and t["line_id"]:
                ln = conn.execute("SELECT name, spec, qty FROM order_lines WHERE order_id = ?"
                                  " AND line_id = ?", (t["order_id"], t["line_id"])).fetchone()
                if ln:
                    t["item"] = {"name": ln[0], "spec": ln[1], "qty": ln[2]}
            sold_at = None
            if t["order_id"]:
                r = conn.execute("SELECT completed_at FROM orders WHERE id = ?",
                                 (t["order_id"],)).fetchone()
                sold_at = r[0] if r else None
        t["sold_at"] = sold_at
        t["warranty_until"] = self.warranty_until(sold_at) if sold_at else None
        t["next"] = list(FLOW[t["status"]])
        return t

    def get_by_number(self, number: str) -> dict:
        with self.ledger.reading() as conn:
            row = conn.execute("SELECT id FROM tickets WHERE number = ?",
                               (number.strip().upper(),)).fetchone()
        if row is None:
            raise NotFound(_("ticket {number} does not exist", number=number))
        return self.get(row[0])

    # -- serial numbers ------------------------------------------------------------------

    def set_serials(self, actor: Actor, order_id: str, line_id: str, serials) -> list[str]:
        return serials_mod.set_serials(self, actor, order_id, line_id, serials)

    def missing_serials(self, order_id: str) -> list[dict]:
        with self.ledger.reading() as conn:
            return serials_mod.missing(conn, self.master, order_id)

    def check_serials(self, order_id: str) -> None:
        """Refuse (ValidationError naming the product) to take payment for an order whose
        serialised lines lack their serial numbers."""
        with self.ledger.reading() as conn:
            serials_mod.check(conn, self.master, order_id)

    def find_serial(self, serial) -> dict:
        serial = serials_mod.clean_serial(serial, required=True)
        with self.ledger.reading() as conn:
            sale = serials_mod.sale_of(conn, serial)
            if sale is None:
                raise NotFound(_("no sale on this box has serial number {serial}",
                                 serial=serial), field="serial")
            sale["tickets"] = [{"number": n, "kind": k, "status": s} for n, k, s in conn.execute(
                "SELECT number, kind, status FROM tickets WHERE serial = ? ORDER BY opened_at",
                (serial,))]
        sale["warranty_until"] = self.warranty_until(sale["sold_at"])
        today = self.ledger.now().astimezone(self.tz).date().isoformat()
        sale["in_warranty"] = today <= sale["warranty_until"]
        return sale


def _phone_or_blank(phone: str | None) -> str:
    """An order's phone as a ticket keeps it (normalised), or "" if it is not a number."""
    if not phone:
        return ""
    try:
        return normalize_phone(phone, "customer_phone")
    except ValidationError:
        return ""


def _status_word(status: str) -> str:
    return {"open": _("to do"), "in_progress": _("in progress"), "resolved": _("resolved"),
            "closed": _("closed")}.get(status, status)


__all__ = ["AfterSales", "KINDS", "STAFF_KINDS", "CUSTOMER_KINDS", "STATUSES", "FLOW"]
