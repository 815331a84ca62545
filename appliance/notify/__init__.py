"""Notifications to customers (issue 10 point 5; docs/notifications.md): queued durably in
ledger.db in the same transaction as the record that causes them, then sent and retried by
notifyd (e-mail over SMTP, SMS through the USB modem) or relayed through head office on the
``notify`` topic (SMS without a modem, WeChat).

A row's life (operational states, no journal records; like print_jobs)::

    queued ──claim──▶ sending ──▶ sent (provider_ref; delivery: '' | pending | delivered | failed)
      ▲                  │  └───▶ failed (permanent error, or notify.max_attempts reached)
      └── next_try ◀─────┘ transient error (attempts + 1, backoff)
    queued/sending/failed ──manager──▶ cancelled; failed/cancelled ──manager──▶ queued

A claim carries a lease; a daemon that dies mid-send leaves the row to be offered again when
the lease runs out (at-least-once: a message may rarely go twice, never silently not at all).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from datetime import timedelta

from ..backoff import Backoff
from ..clock import format_ts
from ..errors import Conflict, NotFound, ValidationError
from ..i18n import _
from ..orders.permissions import require
from . import templates
from .triggers import channels_for, triggers_for

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")

ROUTES = ("smtp", "modem", "relay")
CHANNELS = ("email", "sms", "wechat")
STATES = ("queued", "sending", "sent", "failed", "cancelled")
OUTCOMES = ("sent", "retry", "failed")
DELIVERY = ("delivered", "failed", "pending")
#: Retry delays: 30 s doubling to at most an hour.
RETRY_FIRST, RETRY_MAX = 30.0, 3600.0

COLUMNS = ("id, seq, event, channel, route, address, language, member_id, order_id, ticket_id,"
           " params, state, attempts, next_try, lease_until, last_error, provider_ref,"
           " delivery, created_at, updated_at, sent_at")
_NAMES = [c.strip() for c in COLUMNS.split(",")]

EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE_RE = re.compile(r"\+?[0-9]{5,20}")


def retry_delay(attempts: int) -> float:
    """Seconds before attempt ``attempts + 1`` (after ``attempts`` failed ones)."""
    backoff = Backoff(RETRY_FIRST, RETRY_MAX)
    delay = backoff.next()
    for _i in range(max(attempts - 1, 0)):
        delay = backoff.next()
    return delay


def mask(address: str) -> str:
    """What the office page shows of an address: enough to recognise, not to copy."""
    if not address:
        return ""
    if "@" in address:
        name, _at, domain = address.partition("@")
        return f"{name[:1]}***@{domain}"
    return address[:3] + "****" + address[-4:] if len(address) > 7 else "****"


def _row(row) -> dict:
    n = dict(zip(_NAMES, row))
    n["params"] = json.loads(n["params"] or "{}")
    return n


def public_json(n: dict) -> dict:
    """A notification as the office page sees it (address masked)."""
    return {"id": n["id"], "event": n["event"], "channel": n["channel"], "route": n["route"],
            "to": mask(n["address"]), "language": n["language"], "order_id": n["order_id"],
            "ticket_id": n["ticket_id"], "member_id": n["member_id"], "state": n["state"],
            "attempts": n["attempts"], "next_try": n["next_try"],
            "last_error": n["last_error"], "provider_ref": n["provider_ref"],
            "delivery": n["delivery"], "created_at": n["created_at"],
            "updated_at": n["updated_at"], "sent_at": n["sent_at"]}


class Outbox:
    """The queue: what is waiting, claiming, results, retries (core's side)."""

    def __init__(self, ledger, master, config):
        self.ledger = ledger
        self.master = master
        self.config = config
        #: set by install(): order id -> its e-receipt link ("" when phones cannot reach one)
        self.link_of = lambda order_id: ""
        self._wake = threading.Condition()
        self._generation = 0
        self._queued = False

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=2 * self.config.notify.timeout_seconds + 30)

    # -- queueing (inside the writer's transaction) -------------------------------------

    def on_append(self, tx, record) -> None:
        """Ledger append hook: queue what ``record`` tells customers, in its transaction. A
        fault here is logged and leaves no rows: it must never cost the sale."""
        cfg = self.config.notify
        if cfg.email == "off" and cfg.sms == "off" and cfg.wechat == "off":
            return
        conn = tx.conn
        conn.execute("SAVEPOINT notify_hook")
        try:
            found = triggers_for(conn, record)
            if not found:
                return
            settings = self.master.settings   # read only when there is something to tell
            events = settings.get("notify.events")
            found = [f for f in found if f.event in events]
            lang = settings.get("notify.language")
            ts = record.ts
            for trig in found:
                params = dict(trig.params)
                link = self.link_of(trig.order_id) if trig.order_id else ""
                if link:
                    params["link"] = link
                for channel, route, address in channels_for(trig.recipient, cfg):
                    self._insert(conn, record.seq, trig.event, channel, route, address, lang,
                                 trig.member_id or trig.recipient.member_id, trig.order_id,
                                 trig.ticket_id, params, ts)
                    self._queued = True
        except Exception:  # noqa: BLE001 - the record commits; the message is what is lost
            conn.execute("ROLLBACK TO notify_hook")
            log.exception("notifications for record %d (%s) could not be queued", record.seq,
                          record.type)
        finally:
            conn.execute("RELEASE notify_hook")

    @staticmethod
    def _insert(conn, seq, event, channel, route, address, lang, member_id, order_id,
                ticket_id, params, ts) -> str:
        n_id = f"n-{uuid.uuid4().hex[:16]}"
        conn.execute(
            "INSERT INTO notifications (id, seq, event, channel, route, address, language,"
            " member_id, order_id, ticket_id, params, next_try, created_at, updated_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (n_id, seq, event, channel, route, address, lang, member_id, order_id, ticket_id,
             json.dumps(params, ensure_ascii=False, sort_keys=True), ts, ts, ts))
        return n_id

    def on_commit(self, _records) -> None:
        if self._queued:
            self._queued = False
            self._signal()

    def _signal(self) -> None:
        with self._wake:
            self._generation += 1
            self._wake.notify_all()

    # -- the daemons' side ---------------------------------------------------------------

    def claim(self, routes, wait: float = 0.0) -> dict | None:
        """The next due notification on one of ``routes``, rendered, now ``sending`` with a
        lease; waits up to ``wait`` seconds for one. None if there is none."""
        routes = self._routes(routes)
        deadline = time.monotonic() + wait
        while True:
            with self._wake:
                generation = self._generation
            found = self._claim_now(routes)
            if found is not None or time.monotonic() >= deadline:
                return found
            with self._wake:
                if self._generation == generation:
                    # also wake now and then: a retry's next_try comes round without a commit
                    self._wake.wait(min(deadline - time.monotonic(), 2.0))

    @staticmethod
    def _routes(routes) -> list[str]:
        if (not isinstance(routes, list) or not routes
                or any(r not in ROUTES for r in routes)):
            raise ValidationError(_("routes must be a list of {choices}",
                                    choices=", ".join(ROUTES)), field="routes")
        return routes

    def _claim_now(self, routes: list[str]) -> dict | None:
        marks = ",".join("?" * len(routes))
        with self.ledger.transaction() as tx:
            now = tx.now()
            ts = format_ts(now)
            row = tx.one(
                f"SELECT {COLUMNS} FROM notifications WHERE route IN ({marks}) AND"
                " ((state = 'queued' AND next_try <= ?) OR (state = 'sending' AND"
                " lease_until < ?)) ORDER BY next_try, created_at, id LIMIT 1",
                (*routes, ts, ts))
            if row is None:
                return None
            n = _row(row)
            if n["state"] == "sending":
                log.warning("notification %s offered again: its claim lapsed", n["id"])
            tx.conn.execute(
                "UPDATE notifications SET state = 'sending', attempts = attempts + 1,"
                " lease_until = ?, updated_at = ? WHERE id = ?",
                (format_ts(now + self.lease), ts, n["id"]))
            n.update(state="sending", attempts=n["attempts"] + 1)
        try:
            shop = self.master.settings.get("shop.name")
            message = templates.render(n["event"], n["params"], n["language"], n["channel"],
                                       shop)
        except Exception as exc:  # noqa: BLE001 - a row that cannot be rendered must not jam
            log.exception("notification %s cannot be rendered", n["id"])
            self.result(n["id"], "failed", error=f"template: {exc}")
            return self._claim_now(routes)
        return {"id": n["id"], "event": n["event"], "channel": n["channel"],
                "route": n["route"], "to": n["address"], "language": n["language"],
                "subject": message["subject"], "text": message["text"],
                "attempts": n["attempts"]}

    def result(self, notification_id: str, outcome: str, provider_ref: str = "",
               error: str = "") -> dict:
        """What the daemon that claimed it says: ``sent`` (with the provider's reference),
        ``retry`` (a transient failure: tried again later, up to notify.max_attempts) or
        ``failed`` (permanent: a bad address; never retried). Returns the row."""
        if outcome not in OUTCOMES:
            raise ValidationError(_("outcome must be one of {choices}",
                                    choices=", ".join(OUTCOMES)), field="outcome")
        if outcome != "sent" and not error:
            raise ValidationError(_("a failed attempt needs an error"), field="error")
        error = str(error)[:300]
        with self.ledger.transaction() as tx:
            now = tx.now()
            ts = format_ts(now)
            row = tx.one(f"SELECT {COLUMNS} FROM notifications WHERE id = ?",
                         (notification_id,))
            if row is None:
                raise NotFound(_("no notification {id}", id=notification_id))
            n = _row(row)
            if outcome == "sent":
                if n["state"] != "sent":  # a repeated report after a lost answer: harmless
                    delivery = "pending" if n["route"] == "modem" and provider_ref else ""
                    tx.conn.execute(
                        "UPDATE notifications SET state = 'sent', provider_ref = ?,"
                        " delivery = ?, last_error = '', lease_until = NULL, updated_at = ?,"
                        " sent_at = ? WHERE id = ?",
                        (str(provider_ref)[:100], delivery, ts, ts, notification_id))
            elif n["state"] != "sending":
                raise Conflict(_("notification {id} is {state}", id=notification_id,
                                 state=n["state"]))
            elif outcome == "retry" and n["attempts"] < self.config.notify.max_attempts:
                next_try = now + timedelta(seconds=retry_delay(n["attempts"]))
                tx.conn.execute(
                    "UPDATE notifications SET state = 'queued', next_try = ?, last_error = ?,"
                    " lease_until = NULL, updated_at = ? WHERE id = ?",
                    (format_ts(next_try), error, ts, notification_id))
            else:
                tx.conn.execute(
                    "UPDATE notifications SET state = 'failed', last_error = ?,"
                    " lease_until = NULL, updated_at = ? WHERE id = ?",
                    (error, ts, notification_id))
                log.warning("notification %s (%s by %s) failed after %d attempt(s): %s",
                            notification_id, n["event"], n["route"], n["attempts"], error)
            n = _row(tx.one(f"SELECT {COLUMNS} FROM notifications WHERE id = ?",
                            (notification_id,)))
        return n

    def delivery(self, route: str, reference: str, status: str) -> list[str]:
        """A delivery report from the network (SMS): the ids of the rows it concerns. A long
        message has several references ("12,13"): any failed part fails the message."""
        if route not in ROUTES:
            raise ValidationError(_("routes must be a list of {choices}",
                                    choices=", ".join(ROUTES)), field="route")
        if status not in DELIVERY:
            raise ValidationError(_("status must be one of {choices}",
                                    choices=", ".join(DELIVERY)), field="status")
        reference = str(reference).strip()
        if not reference:
            raise ValidationError(_("{name} is required", name="reference"),
                                  field="reference")
        ids = []
        with self.ledger.transaction() as tx:
            ts = format_ts(tx.now())
            # Message references wrap at 256: a report concerns the newest message still
            # waiting for its outcome with that reference, never one already settled.
            rows = tx.conn.execute(
                "SELECT id, delivery FROM notifications WHERE route = ? AND state = 'sent' AND"
                " delivery NOT IN ('delivered', 'failed') AND"
                " (provider_ref = ? OR ',' || provider_ref || ',' LIKE ?)"
                " ORDER BY sent_at DESC, id LIMIT 1",
                (route, reference, f"%,{reference},%")).fetchall()
            for n_id, _current in rows:
                tx.conn.execute("UPDATE notifications SET delivery = ?, updated_at = ?"
                                " WHERE id = ?", (status, ts, n_id))
                ids.append(n_id)
        return ids

    # -- what the office sees and does -----------------------------------------------------

    def get(self, notification_id: str) -> dict:
        with self.ledger.reading() as conn:
            row = conn.execute(f"SELECT {COLUMNS} FROM notifications WHERE id = ?",
                               (notification_id,)).fetchone()
        if row is None:
            raise NotFound(_("no notification {id}", id=notification_id))
        return _row(row)

    def list(self, actor, *, state: str | None = None, event: str | None = None,
             channel: str | None = None, order_id: str | None = None,
             limit: int = 100) -> dict:
        require(actor, "notify.view", what="viewing notifications")
        where, params = [], []
        for name, value, allowed in (("state", state, STATES), ("event", event,
                                     templates.EVENTS), ("channel", channel, CHANNELS)):
            if value:
                if value not in allowed:
                    raise ValidationError(_("{name} must be one of {choices}", name=name,
                                            choices=", ".join(allowed)), field=name)
                where.append(f"{name} = ?")
                params.append(value)
        if order_id:
            where.append("order_id = ?")
            params.append(order_id)
        sql = f"SELECT {COLUMNS} FROM notifications"
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self.ledger.reading() as conn:
            rows = conn.execute(sql + " ORDER BY created_at DESC, id LIMIT ?",
                                (*params, limit)).fetchall()
            counts = dict(conn.execute(
                "SELECT state, COUNT(*) FROM notifications GROUP BY state").fetchall())
        return {"notifications": [public_json(_row(r)) for r in rows],
                "counts": {s: counts.get(s, 0) for s in STATES}}

    def retry(self, actor, notification_id: str) -> dict:
        """Queue a failed or cancelled notification again, now, with fresh attempts."""
        require(actor, "notify.manage", what="retrying notifications")
        with self.ledger.transaction() as tx:
            ts = format_ts(tx.now())
            row = tx.one("SELECT state, address FROM notifications WHERE id = ?",
                         (notification_id,))
            if row is None:
                raise NotFound(_("no notification {id}", id=notification_id))
            if row[0] not in ("failed", "cancelled"):
                raise Conflict(_("notification {id} is {state}", id=notification_id,
                                 state=row[0]))
            if not row[1]:
                raise Conflict(_("this customer's data was erased: the message cannot be"
                                 " sent"))
            tx.conn.execute("UPDATE notifications SET state = 'queued', attempts = 0,"
                            " next_try = ?, last_error = '', updated_at = ? WHERE id = ?",
                            (ts, ts, notification_id))
        audit.info("notification %s queued again by %s", notification_id, actor.staff_id)
        self._signal()
        return public_json(self.get(notification_id))

    def cancel(self, actor, notification_id: str) -> dict:
        require(actor, "notify.manage", what="cancelling notifications")
        with self.ledger.transaction() as tx:
            ts = format_ts(tx.now())
            row = tx.one("SELECT state FROM notifications WHERE id = ?", (notification_id,))
            if row is None:
                raise NotFound(_("no notification {id}", id=notification_id))
            if row[0] not in ("queued", "sending", "failed"):
                raise Conflict(_("notification {id} is {state}", id=notification_id,
                                 state=row[0]))
            tx.conn.execute("UPDATE notifications SET state = 'cancelled', lease_until = NULL,"
                            " updated_at = ? WHERE id = ?", (ts, notification_id))
        audit.info("notification %s cancelled by %s", notification_id, actor.staff_id)
        return public_json(self.get(notification_id))

    def send_test(self, actor, channel: str, address: str) -> dict:
        """Queue a test message to an address a manager typed (their own phone or mail)."""
        require(actor, "notify.manage", what="sending test messages")
        cfg = self.config.notify
        if channel not in CHANNELS:
            raise ValidationError(_("channel must be one of {choices}",
                                    choices=", ".join(CHANNELS)), field="channel")
        address = (address or "").strip() if isinstance(address, str) else ""
        route = {"email": "smtp" if cfg.email == "smtp" else "",
                 "sms": cfg.sms if cfg.sms != "off" else "",
                 "wechat": "relay" if cfg.wechat == "relay" else ""}[channel]
        if not route:
            raise ValidationError(_("{channel} notifications are off in the configuration"
                                    " ([notify] in tillbox.toml)", channel=channel),
                                  field="channel")
        valid = EMAIL_RE.fullmatch(address) if channel == "email" else PHONE_RE.fullmatch(
            address.replace(" ", "").replace("-", ""))
        if not valid or len(address) > 120:
            raise ValidationError(_("{address} is not a valid address for {channel}",
                                    address=address[:40], channel=channel), field="address")
        if channel != "email":
            address = address.replace(" ", "").replace("-", "")
        lang = self.master.settings.get("notify.language")
        with self.ledger.transaction() as tx:
            seq = tx.one("SELECT MAX(seq) FROM journal")[0] or 0
            n_id = self._insert(tx.conn, seq, "test", channel, route, address, lang, None,
                                None, None, {}, format_ts(tx.now()))
        audit.info("test notification %s (%s) queued by %s", n_id, channel, actor.staff_id)
        self._signal()
        return public_json(self.get(n_id))


def install(box) -> None:
    """Queue notifications for the records the real ledger appends (never training's)."""
    from ..printing.documents import ereceipt_url
    outbox = box.notifications
    # the receipt's own QR link: head office's page when web.ereceipt_url is set, else the box's
    outbox.link_of = lambda order_id: ereceipt_url(box, order_id)
    box.ledger.add_append_hook(outbox.on_append)
    box.ledger.add_commit_listener(outbox.on_commit)
