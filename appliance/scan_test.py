"""The settings page's scan test (issue 11; docs/settings.md): the next scan from any
scanner is shown to the owner instead of going to the counter.

While a test is armed (up to :data:`WINDOW` seconds), core's scan route hands the next code
here before the ScanDesk sees it, so a code scanned to try the scanner never lands in the
order on the counter. The scanner then beeps as for a refused scan and the counter shows that
the code went to the scan test (webui/api/device.py), so a cashier scanning meanwhile knows
the item is not in the order; the page refuses to start a test while the counter has an open
order on its screen. The test reports the code, which scanner sent it, the symbology when the
check digit says so, and what the code would match (product, scale label, member card, order,
nothing), without changing anything.
"""

from __future__ import annotations

import threading
import time
import uuid

from drivers.scanner.codes import CodeRules, classify

from .errors import NotFound

WINDOW = 15.0   # seconds: short, a scan at the counter meanwhile goes to the test


class ScanTest:
    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._armed: dict | None = None
        self._done: dict[str, dict] = {}
        self._scan_ids: dict[str, dict] = {}   # scannerd's scan id -> the test that took it

    def arm(self, staff_id: str, seconds: float = WINDOW) -> dict:
        """Take the next scan as a test; a test already armed is replaced (one at a time)."""
        test = {"id": uuid.uuid4().hex[:16], "state": "waiting", "staff": staff_id,
                "until": self._clock() + seconds, "seconds": seconds}
        with self._lock:
            if self._armed is not None:
                self._finish(self._armed, "cancelled")
            self._armed = test
        return self._public(test)

    def cancel(self, test_id: str) -> dict:
        with self._lock:
            if self._armed is not None and self._armed["id"] == test_id:
                self._finish(self._armed, "cancelled")
                self._armed = None
        return self.get(test_id)

    def armed(self) -> bool:
        with self._lock:
            return self._live() is not None

    def took(self, scan_id: str) -> bool:
        with self._lock:
            return bool(scan_id) and scan_id in self._scan_ids

    def take(self, box, rules: CodeRules, code: str, device: str,
             scan_id: str = "") -> dict | None:
        """The test's result when a test is armed (the scan goes no further), else None.
        A scan id taken before is taken again (scannerd retrying after a lost answer must
        not put the test's code in an order)."""
        with self._lock:
            if scan_id and scan_id in self._scan_ids:
                return self._public(self._scan_ids[scan_id])
            test = self._live()
            if test is None:
                return None
            self._armed = None
        result = {"code": code, "device": device, **describe_code(box, rules, code)}
        with self._lock:
            test.update(result)
            self._finish(test, "scanned")
            if scan_id:
                self._scan_ids[scan_id] = test
                while len(self._scan_ids) > 20:
                    self._scan_ids.pop(next(iter(self._scan_ids)))
        return self._public(test)

    def get(self, test_id: str) -> dict:
        with self._lock:
            self._live()
            if self._armed is not None and self._armed["id"] == test_id:
                return self._public(self._armed)
            if test_id in self._done:
                return self._public(self._done[test_id])
        raise NotFound(f"no scan test {test_id}")

    def _live(self) -> dict | None:
        test = self._armed
        if test is not None and self._clock() > test["until"]:
            self._finish(test, "timed_out")
            self._armed = test = None
        return test

    def _finish(self, test: dict, state: str) -> None:
        test["state"] = state
        self._done[test["id"]] = test
        while len(self._done) > 20:
            self._done.pop(next(iter(self._done)))

    def _public(self, test: dict) -> dict:
        out = {k: v for k, v in test.items() if k not in ("until", "staff")}
        if test["state"] == "waiting":
            out["seconds_left"] = max(0, round(test["until"] - self._clock()))
        return out


def describe_code(box, rules: CodeRules, code: str) -> dict:
    """What a scanned code is and what it matches, without acting on it."""
    scan = classify(code, rules)
    out = {"kind": scan.kind, "symbology": scan.symbology, "error": scan.error,
           "match": "nothing", "name": ""}
    if scan.kind == "invalid":
        return out
    catalog = box.master.catalog
    if scan.kind in ("product", "scale"):
        found = catalog.lookup_barcode(scan.code) or \
            (scan.ean13 and scan.ean13 != scan.code and catalog.lookup_barcode(scan.ean13)) or \
            (scan.kind == "scale" and catalog.lookup_barcode(scan.item_code))
        if found:
            product, variant = found
            out["match"] = "scale_label" if scan.kind == "scale" and \
                catalog.lookup_barcode(scan.code) is None else "product"
            spec = " ".join(variant.spec.values()) if variant is not None and \
                getattr(variant, "spec", None) else ""
            out["name"] = f"{product.name} {spec}".strip()
            out["product_id"] = product.id
    elif scan.kind == "member":
        member = _member_by_card(box, scan.code)
        if member is not None:
            out["match"] = "member"
            out["name"] = member
    elif scan.kind == "order":
        try:
            order = box.orders.find_by_number(scan.order_number)
        except NotFound:
            pass
        else:
            out["match"] = "order"
            out["name"] = order.number
    return out


def _member_by_card(box, code: str) -> str | None:
    """The member's name for a card code (no journal record: a test looks, it does not act)."""
    from .orders.permissions import Actor
    try:
        member = box.members.lookup(Actor("scan-test", "owner", "settings"), code)
    except Exception:   # noqa: BLE001 - not a member (NotFound) or members switched off
        return None
    return member.name
