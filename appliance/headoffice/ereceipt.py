"""Head office's copy of the e-receipt page (issue 10 point 1; docs/ereceipt.md).

When a box sets ``web.ereceipt_url``, its receipts' QR codes link to
``{ereceipt_url}/r/{store}/{device}/{token}``: ``tillbox headoffice web`` serves the page
there from head office's copy of the journal, so customers open it from anywhere.

Head office has no receipt key. Every ``order.paid`` record carries ``ereceipt``, the
signature part of the order's link, so a link is checked by comparing (in constant time) with
the stored record of that order on that device. The order is then rebuilt from the device's
records that name it (replayed into memory with the box's own projections), with its
refunds, delivery (``order.fulfilment_*``), tickets (``ticket.*``), feedback, and any
``customer.erased`` that names it: the page shows exactly what the box's page shows.

What customers send is not stored here: it goes to the box as MQTT command
``cmd/customer.request`` (QoS 1), and the page says "sent to the shop" only once the broker
took it (PUBACK with a success reason code). The box checks the link again and records it;
the resulting records come back on ``journal`` like any other.
"""

from __future__ import annotations

import hmac
import logging
import re
import sqlite3
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

from .. import ereceipt as service
from ..ledger import projections, schema
from ..ledger.records import Record
from ..orders import model

log = logging.getLogger(__name__)

#: ``<uuid>.<16 url-safe base64 characters>``: anything else is not a link.
TOKEN_RE = re.compile(r"^([0-9a-f-]{36})\.([A-Za-z0-9_-]{16})$")
NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_DUMMY = "A" * 16


class Settings:
    """The receipt settings head office lays the page out with: the box's defaults, the
    shop's name given to ``tillbox headoffice web`` (head office does not hold master data)."""

    def __init__(self, overrides: dict | None = None):
        from ..master.settings import SETTINGS_SCHEMA
        self._values = {k: s.default for k, s in SETTINGS_SCHEMA.items()}
        self._values.update(overrides or {})

    def get(self, key: str):
        return self._values.get(key)


class Reader:
    """Pages from head office's database (appliance.headoffice.store.HeadOfficeStore)."""

    def __init__(self, db, *, settings: Settings | None = None,
                 timezone_name: str = "Asia/Shanghai"):
        self.db = db
        self.settings = settings or Settings()
        self.timezone = timezone_name

    # -- the link -------------------------------------------------------------------------

    def signature(self, store: str, device: str, token: str) -> str | None:
        """The order id a link names when the link matches the order's ``order.paid`` record
        on that device, else None. The comparison runs whether or not the order exists."""
        m = TOKEN_RE.match(token or "") if isinstance(token, str) else None
        if not m or not NAME_RE.match(store or "") or not NAME_RE.match(device or ""):
            return None
        order_id, mac = m.groups()
        stored = None
        for rec in self._records(store, device, order_id, types=("order.paid",)):
            if rec.data.get("order_id") == order_id and isinstance(rec.data.get("ereceipt"), str):
                stored = rec.data["ereceipt"]
        same = hmac.compare_digest((stored or _DUMMY).encode(), mac.encode())
        return order_id if same and stored else None

    # -- the records ----------------------------------------------------------------------

    def _records(self, store, device, key, *, types=None) -> list[Record]:
        """The device's records that name ``key`` (an order or ticket id), through the
        store's key index (no scan of the device's journal)."""
        return self.db.keyed_records(store, device, key, tuple(types) if types else None)

    def order_records(self, store: str, device: str, order_id: str) -> list[Record]:
        """Every record of the device that names the order, and the updates of its tickets."""
        recs = {r.seq: r for r in self._records(store, device, order_id)}
        tickets = {r.data.get("ticket_id") for r in recs.values() if r.type == "ticket.opened"}
        for ticket_id in sorted(t for t in tickets if isinstance(t, str)):
            for r in self._records(store, device, ticket_id, types=("ticket.updated",)):
                recs[r.seq] = r
        return [recs[s] for s in sorted(recs)]

    # -- the page -------------------------------------------------------------------------

    def view(self, store: str, device: str, order_id: str) -> dict | None:
        """The page's view of a paid order (appliance.ereceipt.page_view's shape), or None."""
        conn = _replay(self.order_records(store, device, order_id))
        try:
            order = model.load_order(conn, order_id)
            if order is None or order.status != "paid":
                return None
            return {"number": order.number, "lines": self._lines(conn, order),
                    "paper_mm": self.settings.get("receipt.width_mm"),
                    "status": service.payment_status(order),
                    "delivery": service.delivery_view(_fulfilment(conn, order_id)),
                    "tickets": service.tickets_view(_tickets(conn, order_id)),
                    "feedback": _feedback(conn, order_id)}
        finally:
            conn.close()

    def _lines(self, conn, order) -> list:
        from drivers.printer.from_order import receipt_for
        from drivers.printer.layout import lay_out

        from ..i18n import language
        member = None
        if order.member_id:
            member = service.public_receipt_member({"points_earned": order.points_earned})
        with language(self.settings.get("receipt.language")):
            receipt = receipt_for(order, self.settings, cashier_name="",
                                  timezone=self.timezone, qr_url="", member=member)
            return lay_out(receipt, self.settings.get("receipt.width_mm"))


def _replay(records: list[Record]) -> sqlite3.Connection:
    """The box's projections of just these records, in memory. A record whose handler needs
    state outside the order (another order, a member) is skipped where it fails: the page only
    reads the order, its delivery, tickets and feedback."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    schema.create_all(conn)
    for rec in records:
        conn.execute("SAVEPOINT rec")
        try:
            projections.apply(conn, rec)
        except (sqlite3.Error, KeyError, TypeError, ValueError) as exc:
            conn.execute("ROLLBACK TO rec")
            log.debug("e-receipt replay skipped %s seq %d: %s", rec.type, rec.seq, exc)
        conn.execute("RELEASE rec")
    return conn


def _fulfilment(conn, order_id: str) -> dict | None:
    row = conn.execute("SELECT kind, status, carrier, tracking FROM fulfilments"
                       " WHERE order_id = ?", (order_id,)).fetchone()
    if row is None:
        return None
    events = conn.execute("SELECT status, ts FROM fulfilment_events WHERE order_id = ?"
                          " ORDER BY seq", (order_id,)).fetchall()
    return {"kind": row[0], "status": row[1], "carrier": row[2], "tracking": row[3],
            "events": [{"status": s, "ts": ts} for s, ts in events]}


def _tickets(conn, order_id: str) -> list[dict]:
    out = []
    for tid, number, kind, status, updated in conn.execute(
            "SELECT id, number, kind, status, updated_at FROM tickets WHERE order_id = ?"
            " ORDER BY opened_at, number", (order_id,)).fetchall():
        events = [{"status": s, "ts": ts} for s, ts in conn.execute(
            "SELECT status, ts FROM ticket_events WHERE ticket_id = ? ORDER BY seq", (tid,))]
        out.append({"number": number, "kind": kind, "status": status, "updated_at": updated,
                    "events": events})
    return out


def _feedback(conn, order_id: str) -> dict | None:
    row = conn.execute("SELECT rating, comment, ts FROM feedback WHERE order_id = ?"
                       " ORDER BY seq DESC LIMIT 1", (order_id,)).fetchone()
    return {"rating": row[0], "comment": row[1], "at": row[2]} if row else None


# -- relaying what customers send -----------------------------------------------------------

class RelayError(Exception):
    """The broker did not take the command (not connected, refused, or no answer in time)."""


class Relay:
    """Publishes ``cmd/customer.request`` to a box and waits for the broker's PUBACK.

    paho's ``wait_for_publish`` reports success even when the broker refused (reason code
    >= 0x80), so the reason code is read in ``on_publish`` (ARCHITECTURE section 6)."""

    EXPIRES = timedelta(hours=24)

    def __init__(self, settings, *, client_id: str | None = None):
        import paho.mqtt.client as mqtt

        self.settings = settings
        self._acks: dict[int, threading.Event] = {}
        self._codes: dict[int, object] = {}
        self._lock = threading.RLock()
        self.connected = threading.Event()
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                             client_id=client_id or f"{settings.client_id}-web-{uuid.uuid4().hex[:8]}",
                             protocol=mqtt.MQTTv5)
        if settings.username:
            client.username_pw_set(settings.username, settings.password)
        if settings.tls:
            client.tls_set(ca_certs=settings.tls_ca, certfile=settings.tls_cert,
                           keyfile=settings.tls_key)
        client.reconnect_delay_set(1, 30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        self.client = client

    def start(self) -> None:
        self.client.connect_async(self.settings.host, self.settings.port, keepalive=30)
        self.client.loop_start()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, _c, _u, _flags, reason_code, _props) -> None:
        if reason_code.is_failure:
            log.error("broker %s refused the e-receipt relay: %s", self.settings.broker,
                      reason_code)
            return
        self.connected.set()

    def _on_disconnect(self, *_args) -> None:
        self.connected.clear()

    def _on_publish(self, _c, _u, mid, reason_code, _props) -> None:
        # paho calls this holding its own mutex, which publish() also takes: never hold our
        # lock across publish(), or a PUBACK arriving during another send deadlocks both.
        with self._lock:
            self._codes[mid] = (reason_code, time.monotonic())
            event = self._acks.get(mid)
        if event is not None:
            event.set()

    def send(self, store: str, device: str, args: dict, timeout: float = 5.0) -> str:
        """Publish the command; its id once the broker took it, else RelayError."""
        from ..uplink import contract
        if not self.connected.wait(min(timeout, 2.0)):
            raise RelayError("not connected to the broker")
        cmd_id = str(uuid.uuid4())
        expires = (datetime.now(timezone.utc) + self.EXPIRES).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        payload = contract.encode({"id": cmd_id, "expires": expires, "args": args})
        qos, retain = contract.QOS["cmd"]
        info = self.client.publish(contract.topic(self.settings.prefix, store, device,
                                                  "cmd/customer.request"),
                                   payload, qos=qos, retain=retain)
        if info.rc != 0:
            raise RelayError(f"publish failed (rc {info.rc})")
        with self._lock:   # the PUBACK may have come before publish() returned the mid
            event = self._acks.setdefault(info.mid, threading.Event())
            if info.mid in self._codes:
                event.set()
            # codes of sends that gave up long ago (their PUBACK came late) are forgotten
            old = time.monotonic() - 300
            for mid in [m for m, (_code, at) in self._codes.items() if at < old]:
                del self._codes[mid]
        try:
            if not event.wait(timeout):
                raise RelayError("the broker did not confirm in time")
            with self._lock:
                code = self._codes.get(info.mid, (None, 0))[0]
            if code is not None and getattr(code, "is_failure", False):
                raise RelayError(f"the broker refused the command: {code}")
        finally:
            with self._lock:
                self._acks.pop(info.mid, None)
                self._codes.pop(info.mid, None)
        log.info("customer request %s relayed to %s/%s", cmd_id, store, device)
        return cmd_id


def request_args(order_id: str, token: str, kind: str, rating: int | None,
                 comment: str) -> dict:
    """The ``args`` of cmd/customer.request (webui/api/ereceipt.py checks them again)."""
    args = {"order_id": order_id, "token": token, "kind": kind, "comment": comment}
    if rating is not None:
        args["rating"] = rating
    return args


__all__ = ["Reader", "Relay", "RelayError", "Settings", "request_args"]


# -- the web app ------------------------------------------------------------------------------

def create_app(reader: Reader, relay, *, shop_name: str = "", form_secret: str = "",
               limits: service.Limits | None = None, trusted_proxies: int = 0):
    """The Flask app of ``tillbox headoffice web``: the page and its two forms, in the box's
    templates and translations (webui/). ``relay``: a :class:`Relay` (or anything with its
    ``send``). ``form_secret``: the key of the forms' CSRF field; give every replica behind
    one address the same (``TILLBOX_HEADOFFICE_FORM_SECRET``), or a random one is made.
    ``trusted_proxies``: how many proxies in front set X-Forwarded-For."""
    import secrets as _secrets

    from flask import Flask, redirect, request, url_for
    from flask_babel import gettext as _

    from appliance.errors import ValidationError
    from webui import ereceipt as page_mod
    from webui import i18n

    app = Flask("webui")     # the box's templates, static files and translations
    app.config.update(MAX_CONTENT_LENGTH=64 * 1024)
    app.json.ensure_ascii = False
    i18n.init(app)
    limits = limits or service.Limits()
    secret = form_secret or _secrets.token_urlsafe(32)
    shop = {"shop_name": shop_name or reader.settings.get("shop.name"),
            "timezone": reader.timezone}

    def address() -> str:
        return request.remote_addr or "-"

    def found(store, device, token):
        """(order id, view) of a good link, else None (and the bad link is counted)."""
        order_id = reader.signature(store, device, token)
        view = reader.view(store, device, order_id) if order_id else None
        if view is None:
            limits.bad_link(address())
            return None
        return order_id, view

    def urls(store, device, token):
        kw = {"store": store, "device": device, "token": token}
        return {"page": url_for("page", **kw), "feedback": url_for("feedback", **kw),
                "request": url_for("customer_request", **kw)}

    def key_of(store, device, token):
        return service.form_key(secret, f"{store}/{device}/{token}")

    @app.get("/healthz")
    def healthz():
        return {"ok": True, "broker": relay.connected.is_set()
                if hasattr(relay, "connected") else None}

    @app.get("/r/<store>/<device>/<token>")
    def page(store, device, token):
        wait = limits.blocked(address())
        if wait:
            return page_mod.too_many(**shop, wait=wait)
        hit = found(store, device, token)
        if hit is None:
            return page_mod.missing(**shop)
        return page_mod.render(hit[1], urls=urls(store, device, token),
                               key=key_of(store, device, token), **shop)

    def posted(store, device, token, form, build):
        wait = limits.blocked(address())
        if wait:
            return page_mod.too_many(**shop, wait=wait)
        hit = found(store, device, token)
        if hit is None:
            return page_mod.missing(**shop)
        order_id, view = hit
        values = request.form.to_dict()

        def again(status, error, retry_after=0.0):
            return page_mod.render(view, urls=urls(store, device, token),
                                   key=key_of(store, device, token), status=status,
                                   error=error, error_form=form, values=values,
                                   retry_after=retry_after, **shop)
        if not service.form_key_ok(secret, f"{store}/{device}/{token}",
                                   request.form.get("form_key")):
            return again(403, _("This form is out of date: reload the page and send it again."))
        wait = limits.post(address(), f"{store}/{device}/{token}")
        if wait:
            return again(429, _("You have sent a lot from this page. Please try again later."),
                         wait)
        try:
            kind, rating, comment = build(request.form)
        except ValidationError as exc:
            return again(400, exc.message)
        try:
            relay.send(store, device, request_args(order_id, token, kind, rating, comment))
        except RelayError as exc:
            log.warning("e-receipt %s for %s/%s not relayed: %s", kind, store, device, exc)
            return again(503, _("The shop cannot be reached right now. Please try again in a"
                                " few minutes."))
        return redirect(url_for("page", store=store, device=device, token=token,
                                sent="relayed") + f"#{form}", code=303)

    def feedback_form(form):
        return ("feedback", service.parse_rating(form.get("rating")),
                service.parse_comment(form.get("comment"), required=False))

    def request_form(form):
        return (service.parse_kind(form.get("kind")), None,
                service.parse_comment(form.get("comment"), required=True))

    @app.post("/r/<store>/<device>/<token>/feedback")
    def feedback(store, device, token):
        return posted(store, device, token, "feedback", feedback_form)

    @app.post("/r/<store>/<device>/<token>/request")
    def customer_request(store, device, token):
        return posted(store, device, token, "request", request_form)

    if trusted_proxies:
        # Only as many X-Forwarded-For hops as there are proxies we run: a customer cannot
        # choose their own address (and dodge the limits) by sending the header.
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted_proxies, x_proto=trusted_proxies)
    return app
