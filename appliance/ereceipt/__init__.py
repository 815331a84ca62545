"""The customer's e-receipt page (issue 10 point 1; docs/ereceipt.md): what the page shows and
what the customer may send from it.

The page is public: whoever holds the link (the QR code on the paper receipt) sees the sale,
its refunds, its delivery and its after-sales requests, and may rate the sale or ask for a
return or make a complaint. So the link must be unguessable (``<order id>.<96-bit HMAC>``,
appliance.printing.documents.ereceipt_token) and the page shows nothing personal: no
customer name, phone or address, no member name or phone, no member balances, no staff
notes. The same view is built by the box (from its projections) and by head office (from its
copy of the journal: appliance.headoffice.ereceipt), so both pages look the same.

Feedback is one per order: a ``customer.feedback`` record each time it is sent; the page
shows the latest (a second rating replaces the first on the page, both stay on the journal).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections import deque

from .. import money
from ..errors import NotFound, ValidationError
from ..i18n import _
from ..validate import text

log = logging.getLogger(__name__)

#: What the "request a return / make a complaint" form may ask for.
REQUEST_KINDS = ("return_request", "complaint")
#: Everything head office may relay (cmd/customer.request ``kind``).
RELAYED_KINDS = ("feedback",) + REQUEST_KINDS
COMMENT_MAX = 500
SOURCES = ("box", "head_office")


# -- the link and the form key ----------------------------------------------------------------

def form_key(key: str, token: str) -> str:
    """The CSRF field of the page's forms: an HMAC of the link with the box's receipt key (the
    page has no session). Head office uses the order's ``ereceipt`` signature as its key."""
    return hmac.new(key.encode(), b"ereceipt-form:" + token.encode("utf-8", "replace"),
                    hashlib.sha256).hexdigest()[:32]


def form_key_ok(key: str, token: str, value) -> bool:
    return isinstance(value, str) and hmac.compare_digest(form_key(key, token).encode(),
                                                          value.encode("utf-8", "replace"))


def order_id_of(key: str, token: str) -> str:
    """The order a link names, checking its signature before anything is looked up (so an
    unknown order and a forged link take the same path); NotFound otherwise."""
    from ..printing.documents import order_for_token
    if not isinstance(token, str) or len(token) > 200:
        raise NotFound(_("no such receipt"))
    return order_for_token(key, token)


# -- what customers send ------------------------------------------------------------------------

def parse_rating(value) -> int:
    """1 to 5 from a form field ("4") or JSON (4)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValidationError(_("choose a rating from 1 to 5 stars"), field="rating")
    return value


def parse_comment(value, *, required: bool) -> str:
    if isinstance(value, str):
        value = value.replace("\r\n", "\n")
    if required and not (isinstance(value, str) and value.strip()):
        raise ValidationError(_("please describe what happened"), field="comment")
    if isinstance(value, str) and len(value.strip()) > COMMENT_MAX:
        raise ValidationError(_("please keep it to {limit} characters (you wrote {n})",
                                limit=COMMENT_MAX, n=len(value.strip())), field="comment")
    return text(value, "comment", COMMENT_MAX, multiline=True)


def parse_kind(value, kinds=REQUEST_KINDS) -> str:
    if value not in kinds:
        raise ValidationError(_("choose what you are asking for: {kinds}",
                                kinds=", ".join(kinds)), field="kind")
    return value


def customer_actor(device_id: str, source: str) -> dict:
    """Who a customer's record is from: nobody on the staff, through the e-receipt page."""
    return {"staff": None, "role": "customer", "device": device_id,
            "terminal": "ereceipt" if source == "box" else "head_office"}


def record_feedback(box, order, rating: int, comment: str, source: str, *,
                    request_id: str | None = None) -> dict:
    """Append ``customer.feedback`` for a paid order (checked by the caller's token)."""
    if source not in SOURCES:
        raise ValueError(f"unknown feedback source {source}")
    if order.status != "paid":
        raise NotFound(_("no such receipt"))
    ledger = box.ledger
    with ledger.transaction() as tx:
        data = {"order_id": order.id, "rating": rating, "comment": comment, "source": source}
        if request_id:
            data["request_id"] = request_id
        rec = tx.append("customer.feedback", customer_actor(ledger.device_id, source), data)
    log.info("feedback on order %s: %d stars (%s)", order.number, rating, source)
    return {"order_id": order.id, "rating": rating, "at": rec.ts}


def open_request(box, order, kind: str, comment: str, source: str, *,
                 request_id: str | None = None) -> dict:
    """A return request or complaint from the customer: an after-sales ticket (opened by the
    after-sales module, which journals it and notifies the shop)."""
    if order.status != "paid":
        raise NotFound(_("no such receipt"))
    ticket = box.aftersales.open_for_customer(
        order.id, kind, comment, source="customer" if source == "box" else source,
        request_id=request_id)
    log.info("customer %s on order %s: ticket %s (%s)", kind, order.number,
             ticket.get("number"), source)
    return ticket


def already_recorded(conn, request_id: str) -> bool:
    """Whether head office's request with this command id was recorded before (uplinkd may
    hand a command to core again after a restart)."""
    return conn.execute("SELECT 1 FROM journal WHERE type IN ('customer.feedback',"
                        " 'ticket.opened') AND json_extract(data, '$.request_id') = ? LIMIT 1",
                        (request_id,)).fetchone() is not None


def latest_feedback(box, order_id: str) -> dict | None:
    with box.ledger.reading() as conn:
        row = conn.execute("SELECT rating, comment, ts FROM feedback WHERE order_id = ?"
                           " ORDER BY seq DESC LIMIT 1", (order_id,)).fetchone()
    return {"rating": row[0], "comment": row[1], "at": row[2]} if row else None


# -- the page's view ------------------------------------------------------------------------------

def payment_status(order) -> dict:
    """paid / partly_refunded / refunded, with each refund's time and amount (no reasons:
    staff typed those, they are not for the customer's page)."""
    total = order.total or 0
    if order.refunded <= 0:
        state = "paid"
    elif order.refunded >= total:
        state = "refunded"
    else:
        state = "partly_refunded"
    return {"state": state, "total": money.format_amount(total),
            "refunded": money.format_amount(order.refunded), "paid_at": order.completed_at,
            "refunds": [{"at": r.refunded_at, "amount": money.format_amount(r.amount)}
                        for r in order.refunds]}


DELIVERY_STEPS = {"delivery": ("pending", "packed", "shipped", "delivered"),
                  "pickup": ("pending", "ready", "collected")}


def delivery_view(fulfilment: dict | None) -> dict | None:
    """The delivery or pick-up as the page shows it: every step of the flow, each with the
    time it was reached (None: not yet), the carrier and the tracking number."""
    if not fulfilment:
        return None
    kind = fulfilment.get("kind")
    reached: dict[str, str] = {}
    for ev in fulfilment.get("events") or []:
        if ev.get("status"):
            reached.setdefault(ev["status"], ev.get("ts") or "")
    steps = [{"status": s, "at": reached.get(s)} for s in DELIVERY_STEPS.get(kind, ())]
    status = fulfilment.get("status") or "pending"
    if status == "cancelled":
        steps.append({"status": "cancelled", "at": reached.get("cancelled")})
    return {"kind": kind, "status": status, "carrier": fulfilment.get("carrier") or "",
            "tracking": fulfilment.get("tracking") or "", "steps": steps}


def tickets_view(tickets: list[dict] | None) -> list[dict]:
    """The order's after-sales requests: number, kind, status and when they changed."""
    return [{"number": t.get("number"), "kind": t.get("kind"), "status": t.get("status"),
             "updated_at": t.get("updated_at"),
             "events": [{"status": e.get("status"), "ts": e.get("ts")}
                        for e in t.get("events") or []]}
            for t in tickets or []]


def public_receipt_member(member: dict | None) -> dict | None:
    """The member block for a page anyone with the link may open: what this sale earned,
    never the member's name, phone, card or balances (those change later and belong to the
    member, not to whoever holds the paper)."""
    if not member:
        return None
    return {"points_earned": member.get("points_earned")}


def page_view(box, order) -> dict:
    """Everything the box's page shows for a paid order."""
    from ..printing.documents import receipt_lines
    lines, doc = receipt_lines(box, order, public=True)
    return {"number": order.number, "lines": lines, "paper_mm": doc["paper_mm"],
            "status": payment_status(order),
            "delivery": delivery_view(box.fulfilment.for_order(order.id)),
            "tickets": tickets_view(box.aftersales.for_order(order.id)),
            "feedback": latest_feedback(box, order.id)}


def load_paid_order(box, order_id: str):
    """The paid order of a checked link; NotFound (the same as a forged link) otherwise."""
    from ..errors import TillboxError
    try:
        order = box.orders.get_order(order_id)
    except TillboxError:
        raise NotFound(_("no such receipt")) from None
    if order.status != "paid":
        raise NotFound(_("no such receipt"))
    return order


# -- rate limits ---------------------------------------------------------------------------------

class RateLimit:
    """At most ``limit`` hits per ``window`` seconds per key (a client address, a link);
    :meth:`hit` answers the seconds to wait (0: go ahead, and the hit is counted)."""

    def __init__(self, limit: int, window: float, clock=time.monotonic, max_keys: int = 10000):
        self.limit, self.window, self._clock = limit, window, clock
        self._lock = threading.Lock()
        self._hits: dict[str, deque] = {}
        self._max_keys = max_keys

    def hit(self, key: str) -> float:
        now = self._clock()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= self._max_keys:
                    self._forget_old(now)
                hits = self._hits[key] = deque()
            while hits and now - hits[0] >= self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(0.01, self.window - (now - hits[0]))
            hits.append(now)
            return 0.0

    def full(self, key: str) -> float:
        """Seconds until ``key`` may hit again (0: it may now); counts nothing."""
        now = self._clock()
        with self._lock:
            hits = [t for t in self._hits.get(key, ()) if now - t < self.window]
            return max(0.01, self.window - (now - hits[0])) if len(hits) >= self.limit else 0.0

    def _forget_old(self, now: float) -> None:
        for key in [k for k, h in self._hits.items() if not h or now - h[-1] >= self.window]:
            del self._hits[key]
        if len(self._hits) >= self._max_keys:   # still full: forget the oldest half
            for key in list(self._hits)[: self._max_keys // 2]:
                del self._hits[key]


class Limits:
    """The page's limits: bad links per address (guessing), and what one address or one link
    may send (feedback and requests)."""

    BAD_LINKS_PER_ADDRESS = (20, 15 * 60)
    POSTS_PER_ADDRESS = (20, 60 * 60)
    POSTS_PER_LINK = (10, 60 * 60)

    def __init__(self, clock=time.monotonic):
        self.bad_links = RateLimit(*self.BAD_LINKS_PER_ADDRESS, clock=clock)
        self.posts_by_address = RateLimit(*self.POSTS_PER_ADDRESS, clock=clock)
        self.posts_by_link = RateLimit(*self.POSTS_PER_LINK, clock=clock)
        self._clock = clock
        self._blocked: dict[str, float] = {}
        self._lock = threading.Lock()

    def blocked(self, address: str) -> float:
        """Seconds this address still waits after too many bad links (0: not blocked)."""
        with self._lock:
            until = self._blocked.get(address, 0.0)
        return max(0.0, until - self._clock())

    def bad_link(self, address: str) -> None:
        self.bad_links.hit(address)
        wait = self.bad_links.full(address)
        if wait:
            with self._lock:
                now = self._clock()
                # forget blocks that have run out, so the table stays small
                for gone in [a for a, until in self._blocked.items() if until <= now]:
                    del self._blocked[gone]
                self._blocked[address] = now + wait
            log.warning("e-receipt: too many unknown links from one address; refused for %d s",
                        int(wait))

    def post(self, address: str, link: str) -> float:
        return max(self.posts_by_address.hit(address), self.posts_by_link.hit(link))
