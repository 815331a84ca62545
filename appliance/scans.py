"""What a scan at the counter does: the scanner is the counter's, so codes go to the order
the counter has on screen (the *till*), as the cashier signed in there.

scannerd posts every code here; core answers at once whether it was good (scannerd beeps)
and tells the counter screen over SSE. A product adds a line (opening an order when the
counter has none), an order QR recalls that order, a bad code gets an error, never a crash.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from drivers.scanner.codes import CodeRules, classify

from . import modules
from .errors import Conflict, NotFound, TillboxError
from .i18n import _
from .orders.permissions import Actor

log = logging.getLogger(__name__)


@dataclass
class Till:
    staff_id: str
    role: str
    order_id: str | None
    since: float
    session: str = ""        # the counter screen's session: scans stop when it ends


@dataclass
class ScanResult:
    ok: bool
    kind: str
    code: str
    error: str = ""          # machine code: bad_check_digit, unknown_product, no_counter, ...
    message: str = ""        # the reason in the caller's language
    order_id: str | None = None
    line_name: str = ""

    def to_dict(self) -> dict:
        return {"ok": self.ok, "kind": self.kind, "code": self.code, "error": self.error,
                "message": self.message, "order_id": self.order_id,
                "line_name": self.line_name}


def rules_from_config(cfg) -> CodeRules:
    return CodeRules.from_config(cfg.barcodes)


class ScanDesk:
    def __init__(self, box, rules: CodeRules, session_alive=lambda token: True):
        self._box = box
        #: The box scans act on, by the session of the counter screen holding the till (core
        #: gives a screen in training mode the training stack: docs/training.md).
        self.box_for = lambda session: box
        self.rules = rules
        self._alive = session_alive
        self._lock = threading.Lock()
        self._till: Till | None = None
        self._seen: OrderedDict[str, ScanResult] = OrderedDict()  # scan id -> its result

    @property
    def box(self):
        """The box of the counter screen holding the till (the real one if none does)."""
        till = self._till
        return self.box_for(till.session) if till is not None else self._box

    # -- the counter says which order it shows ------------------------------------------

    def set_till(self, actor: Actor, order_id: str | None, session: str = "", *,
                 if_free: bool = False) -> bool:
        """The counter at ``session`` shows ``order_id``; scans go there from now on.

        ``if_free``: only if no live counter holds the scanner (a screen reconnecting after
        a Wi-Fi blip must not take it from the cashier who is scanning). True when held."""
        with self._lock:
            held = self._till
            if if_free and held and held.session != session and self._alive(held.session):
                return False
            self._till = Till(actor.staff_id, actor.role, order_id, time.monotonic(), session)
            return True

    def till(self) -> Till | None:
        """The live till, or None (its screen's session ended or timed out)."""
        with self._lock:
            if self._till and not self._alive(self._till.session):
                self._till = None
            return self._till

    def _follow(self, order_id: str) -> None:
        """The till now shows the order a scan opened or recalled."""
        with self._lock:
            if self._till:
                self._till.order_id = order_id

    def clear_till(self, staff_id: str) -> None:
        """The counter's cashier signed out: scans no longer act in their name."""
        with self._lock:
            if self._till and self._till.staff_id == staff_id:
                self._till = None

    def reprint_last(self):
        """The reprint button: the newest paid order's receipt again, in the name of the
        cashier signed in at the counter (a reprint is journalled and audited)."""
        till = self.till()
        staff = self.box.master.staff.find(till.staff_id) if till else None
        if staff is None or not staff.active:
            raise Conflict(_("nobody is signed in at the counter to reprint a receipt"))
        actor = Actor(staff.id, staff.role, "counter")
        with self.box.ledger.reading() as conn:
            row = conn.execute("SELECT id FROM orders WHERE receipt_no IS NOT NULL"
                               " ORDER BY receipt_no DESC LIMIT 1").fetchone()
        if row is None:
            raise NotFound(_("there is no receipt to reprint yet"))
        job_id = self.box.orders.reprint_receipt(actor, row[0])
        return job_id, self.box.orders.get_order(row[0])

    # -- a scan ---------------------------------------------------------------------------

    def handle(self, code: str, device: str = "", scan_id: str = "") -> ScanResult:
        """What the scan did. ``scan_id``: scannerd's id for this scan; a retry after a lost
        answer gets the first answer again instead of adding the item twice."""
        if scan_id:
            with self._lock:
                if scan_id in self._seen:
                    return self._seen[scan_id]
        result = self._handle(code)
        if scan_id:
            with self._lock:
                self._seen[scan_id] = result
                while len(self._seen) > 500:
                    self._seen.popitem(last=False)
        return result

    def _handle(self, code: str) -> ScanResult:
        scan = classify(code, self.rules)
        if scan.kind == "invalid":
            return self._refuse(scan, scan.error, _("unreadable code {code}: {why}",
                                                    code=scan.code, why=_(_WHY.get(
                                                        scan.error, scan.error))))
        till = self.till()
        staff = self.box.master.staff.find(till.staff_id) if till else None
        if staff is None or not staff.active:
            return self._refuse(scan, "no_counter",
                                _("nobody is signed in at the counter to take this scan"))
        actor = Actor(staff.id, staff.role, "counter")
        try:
            if scan.kind == "order":
                return self._recall(actor, scan)
            if scan.kind == "member":
                return self._member(actor, till, scan)
            return self._add(actor, till, scan)
        except TillboxError as exc:
            return self._refuse(scan, exc.code, str(exc))

    def _recall(self, actor: Actor, scan) -> ScanResult:
        engine = self.box.orders
        order = engine.find_by_number(scan.order_number)
        if order.status == "parked":
            order = engine.recall(actor, order.id)
        self._follow(order.id)
        return ScanResult(True, "order", scan.code, order_id=order.id)

    def _member(self, actor: Actor, till: Till, scan) -> ScanResult:
        """A member card: the member goes on the order at the counter (a new one if none)."""
        modules.require(self.box.master.settings, "members")   # issue 11: off, refused (409)
        try:
            member = self.box.members.lookup(actor, scan.code)
        except NotFound:
            return self._refuse(scan, "member_not_found",
                                _("no member has card {code}", code=scan.code))
        engine = self.box.orders
        current = engine.get_order(till.order_id) if till.order_id else None
        if current is None or current.status not in ("open", "parked"):
            current = engine.open_order(actor)
        elif current.status == "parked":
            current = engine.recall(actor, current.id)
        order = engine.set_member(actor, current.id, member.id)
        self._follow(order.id)
        return ScanResult(True, "member", scan.code, order_id=order.id, line_name=member.name)

    def _add(self, actor: Actor, till: Till, scan) -> ScanResult:
        engine, catalog = self.box.orders, self.box.master.catalog
        kwargs: dict = {"barcode": scan.code}
        # A code in the catalog always wins over reading it as a scale label.
        if scan.kind == "scale" and catalog.lookup_barcode(scan.code) is None:
            kwargs = {"barcode": scan.item_code, "scale_label": scan.code}
            if scan.price is not None:
                kwargs["label_price"] = scan.price
            else:
                found = catalog.lookup_barcode(scan.item_code)
                if found is not None:
                    # Weight labels: the product's price is per kilogram.
                    per_kg = found[0].price_of(found[1])
                    kwargs["label_price"] = (per_kg * scan.weight_g + 500) // 1000
        elif scan.kind == "product" and scan.ean13 and scan.ean13 != scan.code \
                and catalog.lookup_barcode(scan.code) is None:
            kwargs["barcode"] = scan.ean13  # a UPC-A code filed as its EAN-13 form
        order_id = till.order_id
        current = engine.get_order(order_id) if order_id else None
        if current is None or current.status not in ("open", "parked"):
            current = engine.open_order(actor)
        elif current.status == "parked":
            current = engine.recall(actor, current.id)
        order = engine.add_line(actor, current.id, **kwargs)
        self._follow(order.id)
        return ScanResult(True, scan.kind, scan.code, order_id=order.id,
                          line_name=order.lines[-1].name if order.lines else "")

    @staticmethod
    def _refuse(scan, error: str, message: str) -> ScanResult:
        log.info("scan %r refused: %s", scan.code, error)
        return ScanResult(False, scan.kind, scan.code, error=error, message=message)


_WHY = {
    "bad_check_digit": "the check digit is wrong (scan it again)",
    "empty": "nothing was read",
    "unreadable": "the scanner sent characters that are not a code",
    "too_long": "it is too long to be a code",
}
# Marked for the translation catalog (looked up by _WHY's values above).
_("the check digit is wrong (scan it again)")
_("nothing was read")
_("the scanner sent characters that are not a code")
_("it is too long to be a code")
