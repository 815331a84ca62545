"""Purchasing: suppliers and contracts, purchase orders, reorder suggestions, receiving.

Like the order engine, every command that moves stock or cost checks against the
projections inside one write transaction (two phones receiving the same order at once are
serialised, and the second sees what the first received) and then appends journal records.
The moving-average cost is computed here, in that transaction, and carried on the
``stock.received`` record, so the projection only stores it.

Moving average (docs/purchasing.md): ``new = round_half_up((q0 * a0 + q * c) / (q0 + q))``
with ``q0`` the stock before (clamped at 0), ``a0`` the average before (the catalog cost
until the first delivery), ``q`` and ``c`` the quantity received and its unit cost; with
nothing (or less than nothing) in stock the new average is simply ``c``.
"""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import replace
from datetime import date, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from .. import money
from ..clock import format_ts
from ..errors import Conflict, NotFound, ValidationError
from ..i18n import _
from ..ledger import Ledger
from ..master import MasterData
from ..master.suppliers import Contract, Supplier, parse_day
from ..orders.permissions import Actor, allowed, require
from ..validate import text, whole
from . import rule_for, stock_item

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")

MAX_QTY = 999_999
MAX_LINES = 500
PO_STATUSES = ("open", "partly_received", "received", "closed", "cancelled")
#: Orders still waiting for goods: what they have not delivered counts as "on order".
WAITING = ("open", "partly_received")


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator to the nearest whole number, halves up (both >= 0, den > 0)."""
    return (2 * numerator + denominator) // (2 * denominator)


def moving_average(old_qty: int, old_avg: int, qty: int, unit_cost: int) -> int:
    """The new average unit cost (fen) after receiving ``qty`` at ``unit_cost``."""
    old_qty = max(old_qty, 0)
    if old_qty == 0:
        return unit_cost
    return round_half_up(old_qty * old_avg + qty * unit_cost, old_qty + qty)


def rate_text(rate: Fraction) -> str:
    """Units a day as text with two decimals (half up), for the screen: "0.36"."""
    hundredths = round_half_up(rate.numerator * 100, rate.denominator)
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def _whole(value, field: str, *, low: int = 1, high: int = MAX_QTY) -> int:
    return whole(value, field, low=low, high=high)


def _cost(value, field: str = "unit_cost") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(_("{field} must be an amount in fen (int)", field=field),
                              field=field)
    if not 0 <= value <= money.MAX_AMOUNT:
        raise ValidationError(_("{field} is out of range", field=field), field=field)
    return value


def _lines_list(lines) -> list:
    if not isinstance(lines, (list, tuple)) or not lines:
        raise ValidationError(_("give at least one line"), field="lines")
    if len(lines) > MAX_LINES:
        raise ValidationError(_("at most {n} lines at once", n=MAX_LINES), field="lines")
    for ln in lines:
        if not isinstance(ln, dict):
            raise ValidationError(_("each line must be an object"), field="lines")
    return list(lines)


class Purchasing:
    def __init__(self, ledger: Ledger, master: MasterData, timezone: str = "Asia/Shanghai"):
        self.ledger = ledger
        self.master = master
        self.tz = ZoneInfo(timezone)

    def _actor(self, actor: Actor) -> dict:
        return actor.journal(self.ledger.device_id)

    def today(self) -> date:
        return self.ledger.now().astimezone(self.tz).date()

    # -- suppliers -------------------------------------------------------------------------

    def suppliers(self, actor: Actor, include_inactive: bool = False) -> list[Supplier]:
        # Whoever receives a delivery without an order picks its supplier from this list.
        if not allowed(actor, "purchasing"):
            require(actor, "stock.receive", what="looking at suppliers")
            include_inactive = False
        return self.master.suppliers.list(include_inactive)

    def supplier(self, actor: Actor, supplier_id: str) -> Supplier:
        require(actor, "purchasing", what="looking at a supplier")
        return self.master.suppliers.get(supplier_id)

    def save_supplier(self, actor: Actor, fields: dict,
                      supplier_id: str | None = None) -> Supplier:
        """Add a supplier (no id) or change the given fields of one."""
        require(actor, "purchasing", what="editing suppliers")
        directory = self.master.suppliers
        base = directory.get(supplier_id) if supplier_id else Supplier(id="", name="")
        known = set(Supplier.__dataclass_fields__) - {"id"}
        saved = directory.save(replace(base, **{k: v for k, v in fields.items()
                                                 if k in known}))
        log.info("supplier %s saved by %s", saved.id, actor.staff_id)
        return saved

    # -- contracts -------------------------------------------------------------------------

    def contracts(self, actor: Actor, supplier_id: str | None = None) -> list[Contract]:
        require(actor, "purchasing", what="looking at contracts")
        return self.master.suppliers.contracts(supplier_id)

    def save_contract(self, actor: Actor, fields: dict,
                      contract_id: str | None = None) -> Contract:
        require(actor, "purchasing", what="editing contracts")
        directory = self.master.suppliers
        base = directory.get_contract(contract_id) if contract_id else Contract(
            id="", supplier_id="", title="", remind_days=None)
        known = set(Contract.__dataclass_fields__) - {"id"}
        if contract_id and "supplier_id" in fields and fields["supplier_id"] != base.supplier_id:
            raise ValidationError(_("a contract stays with its supplier; add a new one instead"),
                                  field="supplier_id")
        saved = directory.save_contract(replace(base, **{k: v for k, v in fields.items()
                                                         if k in known}))
        log.info("contract %s saved by %s", saved.id, actor.staff_id)
        return saved

    def remind_days(self, contract: Contract) -> int:
        if contract.remind_days is not None:
            return contract.remind_days
        return self.master.settings.get("stock.contract_reminder_days")

    def contracts_due(self, actor: Actor) -> list[dict]:
        """Active contracts ending within their remind days, or already ended, soonest
        first, each with ``days_left`` (negative once ended)."""
        require(actor, "purchasing", what="looking at contracts")
        today = self.today()
        due = []
        for c in self.master.suppliers.contracts(include_inactive=False):
            days_left = (date.fromisoformat(c.ends_on) - today).days
            if days_left <= self.remind_days(c):
                due.append({"contract": c, "days_left": days_left, "ended": days_left < 0,
                            "remind_days": self.remind_days(c),
                            "supplier_name": self.supplier_name(c.supplier_id)})
        return sorted(due, key=lambda d: (d["days_left"], d["contract"].title))

    # -- purchase orders -------------------------------------------------------------------

    def _item(self, product_id=None, variant_id=None, barcode=None):
        return stock_item(self.master.catalog, barcode=barcode, product_id=product_id,
                          variant_id=variant_id)

    @staticmethod
    def _label(product, variant) -> str:
        return f"{product.name} {' '.join(variant.spec.values())}" if variant else product.name

    def _po_lines(self, lines) -> list[dict]:
        out = []
        for ln in _lines_list(lines):
            product, variant = self._item(ln.get("product_id"), ln.get("variant_id"),
                                          ln.get("barcode"))
            out.append({"line_id": uuid.uuid4().hex[:12], "product_id": product.id,
                        "variant_id": variant.id if variant else "",
                        "name": self._label(product, variant),
                        "qty": _whole(ln.get("qty"), "qty"),
                        "unit_cost": _cost(ln.get("unit_cost", product.cost_of(variant)))})
        return out

    def _load_po(self, conn, po_id: str) -> dict:
        row = conn.execute("SELECT id, number, supplier_id, status, note, expected_on,"
                           " created_at, created_by, updated_at FROM purchase_orders"
                           " WHERE id = ?", (po_id,)).fetchone()
        if row is None:
            raise NotFound(_("purchase order {po_id} does not exist", po_id=po_id))
        po = dict(zip(("id", "number", "supplier_id", "status", "note", "expected_on",
                       "created_at", "created_by", "updated_at"), row))
        po["lines"] = [dict(zip(("line_id", "product_id", "variant_id", "name", "qty",
                                 "unit_cost", "received_qty"), r)) for r in conn.execute(
            "SELECT line_id, product_id, variant_id, name, qty, unit_cost, received_qty"
            " FROM po_lines WHERE po_id = ? ORDER BY pos", (po_id,))]
        po["total"] = sum(ln["qty"] * ln["unit_cost"] for ln in po["lines"])
        po["receipts"] = [dict(zip(("id", "received_at", "received_by", "note"), r))
                          for r in conn.execute(
            "SELECT id, received_at, received_by, note FROM receipts_in WHERE po_id = ?"
            " ORDER BY seq", (po_id,))]
        supplier = self.master.suppliers.find(po["supplier_id"])
        po["supplier_name"] = supplier.name if supplier else ""
        return po

    def purchase_order(self, actor: Actor, po_id: str) -> dict:
        require(actor, "stock.receive", what="looking at purchase orders")
        with self.ledger.reading() as conn:
            return self._load_po(conn, po_id)

    def purchase_orders(self, actor: Actor, status: str | None = None,
                        supplier_id: str | None = None, limit: int = 200) -> list[dict]:
        require(actor, "stock.receive", what="looking at purchase orders")
        if status is not None and status not in PO_STATUSES:
            raise ValidationError(_("status must be one of {choices}",
                                    choices=", ".join(PO_STATUSES)), field="status")
        sql, args = "SELECT id FROM purchase_orders WHERE 1 = 1", []
        if status:
            sql, args = sql + " AND status = ?", args + [status]
        if supplier_id:
            sql, args = sql + " AND supplier_id = ?", args + [supplier_id]
        with self.ledger.reading() as conn:
            ids = [r[0] for r in conn.execute(sql + " ORDER BY created_at DESC, number DESC"
                                              " LIMIT ?", (*args, limit))]
            return [self._load_po(conn, i) for i in ids]

    def create_po(self, actor: Actor, supplier_id: str, lines, *, note: str = "",
                  expected_on: str = "") -> dict:
        require(actor, "purchasing", what="ordering from suppliers")
        supplier = self.master.suppliers.get(supplier_id)
        if not supplier.active:
            raise Conflict(_("supplier {name} is switched off", name=supplier.name))
        po_lines = self._po_lines(lines)
        note = text(note, "note", 500, multiline=True)
        expected_on = self._day_or_empty(expected_on)
        with self.ledger.transaction() as tx:
            # Numbered per business day by the journal's time (never earlier than the last).
            day = tx.now().astimezone(self.tz).strftime("%Y%m%d")
            prefix = f"PO{day}-"
            row = tx.one("SELECT MAX(CAST(SUBSTR(number, ?) AS INTEGER)) FROM purchase_orders"
                         " WHERE number LIKE ?", (len(prefix) + 1, prefix + "%"))
            number = f"{prefix}{(row[0] or 0) + 1:03d}"
            po_id = str(uuid.uuid4())
            tx.append("po.created", self._actor(actor), {
                "po_id": po_id, "number": number, "supplier_id": supplier.id,
                "lines": po_lines, "note": note, "expected_on": expected_on})
            po = self._load_po(tx.conn, po_id)
        audit.info("purchase order %s supplier=%s total=%s by=%s", number, supplier.id,
                   money.format_amount(po["total"]), actor.staff_id)
        return po

    @staticmethod
    def _day_or_empty(value) -> str:
        if value in (None, ""):
            return ""
        return parse_day(value, "expected_on")

    def change_po(self, actor: Actor, po_id: str, lines, *, note: str | None = None,
                  expected_on: str | None = None) -> dict:
        """Replace the lines of an order nothing has been received on yet."""
        require(actor, "purchasing", what="changing purchase orders")
        po_lines = self._po_lines(lines)
        data = {"po_id": po_id, "lines": po_lines}
        if note is not None:
            data["note"] = text(note, "note", 500, multiline=True)
        if expected_on is not None:
            data["expected_on"] = self._day_or_empty(expected_on)
        with self.ledger.transaction() as tx:
            po = self._load_po(tx.conn, po_id)
            if po["status"] != "open" or po["receipts"]:
                raise Conflict(_("purchase order {number} is {status}: only an order nothing"
                                 " was received on can change", number=po["number"],
                                 status=po["status"]))
            tx.append("po.changed", self._actor(actor), data)
            return self._load_po(tx.conn, po_id)

    def cancel_po(self, actor: Actor, po_id: str, reason: str) -> dict:
        require(actor, "purchasing", what="cancelling purchase orders")
        reason = text(reason, "reason", 200, required=True)
        with self.ledger.transaction() as tx:
            po = self._load_po(tx.conn, po_id)
            if po["status"] != "open":
                raise Conflict(_("purchase order {number} is {status}: only an open order with"
                                 " nothing received can be cancelled (close it instead)",
                                 number=po["number"], status=po["status"]))
            tx.append("po.cancelled", self._actor(actor), {"po_id": po_id, "reason": reason})
            audit.info("purchase order %s cancelled by=%s reason=%s", po["number"],
                       actor.staff_id, reason)
            return self._load_po(tx.conn, po_id)

    def close_po(self, actor: Actor, po_id: str, reason: str) -> dict:
        """Short-close an order after a partial delivery: the rest will not come."""
        require(actor, "purchasing", what="closing purchase orders")
        reason = text(reason, "reason", 200, required=True)
        with self.ledger.transaction() as tx:
            po = self._load_po(tx.conn, po_id)
            if po["status"] != "partly_received":
                raise Conflict(_("purchase order {number} is {status}: only a partly received"
                                 " order can be closed", number=po["number"],
                                 status=po["status"]))
            tx.append("po.closed", self._actor(actor), {"po_id": po_id, "reason": reason})
            audit.info("purchase order %s closed short by=%s reason=%s", po["number"],
                       actor.staff_id, reason)
            return self._load_po(tx.conn, po_id)

    # -- reorder suggestions ---------------------------------------------------------------

    def suggestions(self, actor: Actor, supplier_id: str | None = None) -> list[dict]:
        """What to order, grouped by supplier (from each item's stock rule; items without a
        supplier come last under ``supplier_id`` None).

        daily rate = units sold less units returned over the last ``stock.velocity_days``,
        divided by those days; suggested = ceil(rate x (lead time + ``stock.reorder_cover_days``))
        - on hand - still on order, rounded up to the pack size, listed only when above 0.
        """
        require(actor, "purchasing", what="reorder suggestions")
        settings = self.master.settings
        days = settings.get("stock.velocity_days")
        cover = settings.get("stock.reorder_cover_days")
        since = format_ts(self.ledger.now() - timedelta(days=days))
        with self.ledger.reading() as conn:
            sold = {(p, v): n for p, v, n in conn.execute(
                "SELECT product_id, variant_id, -SUM(delta) FROM stock_moves WHERE ts >= ?"
                " AND reason IN ('sale', 'return') GROUP BY product_id, variant_id", (since,))}
            levels = {(p, v): (q, a) for p, v, q, a in conn.execute(
                "SELECT product_id, variant_id, qty, avg_cost FROM stock_levels")}
            rules = {(p, v): (lead, sup, pack) for p, v, lead, sup, pack in conn.execute(
                "SELECT product_id, variant_id, lead_time_days, supplier_id, pack_qty"
                " FROM stock_rules")}
            on_order = {(p, v): n for p, v, n in conn.execute(
                "SELECT l.product_id, l.variant_id, SUM(MAX(l.qty - l.received_qty, 0))"
                " FROM po_lines l JOIN purchase_orders o ON o.id = l.po_id WHERE o.status IN"
                f" ({','.join('?' * len(WAITING))}) GROUP BY l.product_id, l.variant_id",
                WAITING)}
        groups: dict = {}
        for product in self.master.catalog.list_products():
            if not product.active or not product.stock_tracked:
                continue
            # Stock is kept per variant when a product has them.
            for variant in product.active_variants() if product.variants else [None]:
                key = (product.id, variant.id if variant else "")
                lead, sup, pack = rule_for(rules, *key) or (0, None, 1)
                if supplier_id is not None and sup != supplier_id:
                    continue
                units = max(sold.get(key, 0), 0)
                rate = Fraction(units, days)
                have, avg = levels.get(key, (0, None))
                waiting = on_order.get(key, 0)
                need = math.ceil(rate * (lead + cover)) - have - waiting
                if need <= 0:
                    continue
                pack = max(pack or 1, 1)
                qty = -(-need // pack) * pack
                groups.setdefault(sup, []).append({
                    "product_id": product.id, "variant_id": key[1],
                    "name": self._label(product, variant), "sku": (
                        variant.sku if variant and variant.sku else product.sku),
                    "unit": product.unit, "sold": units, "velocity_days": days,
                    "daily_rate": rate_text(rate), "lead_time_days": lead, "cover_days": cover,
                    "on_hand": have, "on_order": waiting, "pack_qty": pack, "qty": qty,
                    "unit_cost": avg if avg is not None else product.cost_of(variant)})
        out = []
        for sup in sorted(groups, key=lambda s: (s is None, self.supplier_name(s), s or "")):
            out.append({"supplier_id": sup, "supplier_name": self.supplier_name(sup),
                        "lines": sorted(groups[sup], key=lambda ln: ln["name"])})
        return out

    def supplier_name(self, supplier_id: str | None) -> str:
        s = self.master.suppliers.find(supplier_id)
        return s.name if s else ""

    # -- receiving -------------------------------------------------------------------------

    def receive(self, actor: Actor, lines, *, po_id: str | None = None,
                supplier_id: str | None = None, note: str = "", over: bool = False,
                approver: Actor | None = None) -> dict:
        """Book a delivery into stock, against a purchase order (partial deliveries add up)
        or without one. Lines: ``{barcode | product_id, variant_id?, qty, unit_cost?}``; a
        missing unit cost is the order line's, else the current average, else the catalog's.
        More than was ordered (or an item not on the order) is refused unless ``over`` is
        set and a manager (the actor or an approver) allows it; so is a unit cost given by
        anyone but a manager."""
        require(actor, "stock.receive", what="receiving goods")
        note = text(note, "note", 500, multiline=True)
        wanted = []
        for ln in _lines_list(lines):
            product, variant = self._item(ln.get("product_id"), ln.get("variant_id"),
                                          ln.get("barcode"))
            cost = ln.get("unit_cost")
            if cost is not None:
                # The cost moves the average every later sale is costed at: a manager's call.
                require(actor, "purchasing", approver, what="setting the cost of a delivery")
            wanted.append((product, variant, _whole(ln.get("qty"), "qty"),
                           None if cost is None else _cost(cost)))
        if supplier_id:
            self.master.suppliers.get(supplier_id)
        over_by = None
        with self.ledger.transaction() as tx:
            po = None
            if po_id:
                po = self._load_po(tx.conn, po_id)
                if po["status"] in ("closed", "cancelled"):
                    raise Conflict(_("purchase order {number} is {status}: nothing more can be"
                                     " received on it", number=po["number"],
                                     status=po["status"]))
                if supplier_id and supplier_id != po["supplier_id"]:
                    raise ValidationError(_("purchase order {number} is from another supplier",
                                            number=po["number"]), field="supplier_id")
                supplier_id = po["supplier_id"]
            rec_lines, extra = self._match(po, wanted)
            if extra:
                if not over:
                    raise Conflict(_("more than was ordered: {items}; check the delivery, or"
                                     " receive it with over (a manager approves)",
                                     items=", ".join(extra)))
                over_by = require(actor, "purchasing", approver,
                                  what="receiving more than was ordered").staff_id
            moves, costs = [], []
            running: dict = {}
            for product, variant, ln in rec_lines:
                key = (ln["product_id"], ln["variant_id"])
                if key not in running:
                    row = tx.one("SELECT qty, avg_cost FROM stock_levels WHERE product_id = ?"
                                 " AND variant_id = ?", key)
                    qty0, avg0 = (row[0], row[1]) if row else (0, None)
                    running[key] = [qty0, product.cost_of(variant) if avg0 is None else avg0,
                                    avg0, product]
                state = running[key]
                if ln["unit_cost"] is None:
                    ln["unit_cost"] = state[1]
                state[1] = moving_average(state[0], state[1], ln["qty"], ln["unit_cost"])
                state[0] += ln["qty"]
            receipt_id = str(uuid.uuid4())
            for product, variant, ln in rec_lines:
                moves.append({"product_id": ln["product_id"], "variant_id": ln["variant_id"],
                              "delta": ln["qty"], "reason": "receiving", "ref": receipt_id})
            for (pid, vid), (_q, avg, before, product) in running.items():
                costs.append({"product_id": pid, "variant_id": vid, "avg_cost": avg})
            tx.append("stock.received", self._actor(actor), {
                "receipt_id": receipt_id, "po_id": po_id or None,
                "supplier_id": supplier_id or None,
                "lines": [ln for _p, _v, ln in rec_lines], "note": note, "stock": moves,
                "costs": costs, "over_approved_by": over_by})
            total = sum(ln["qty"] * ln["unit_cost"] for _p, _v, ln in rec_lines)
            audit.info("stock received receipt=%s po=%s supplier=%s lines=%d value=%s by=%s"
                       " over_approved_by=%s", receipt_id, po["number"] if po else "-",
                       supplier_id or "-", len(rec_lines), money.format_amount(total),
                       actor.staff_id, over_by or "-")
            for (pid, vid), (_q, avg, before, _product) in running.items():
                if avg != before:
                    audit.info("cost changed product=%s variant=%s from=%s to=%s receipt=%s",
                               pid, vid, "-" if before is None else money.format_amount(before),
                               money.format_amount(avg), receipt_id)
            return self._load_receipt(tx.conn, receipt_id)

    def _match(self, po: dict | None, wanted) -> tuple[list, list[str]]:
        """Record lines for what was scanned: each against the order's lines for the same
        item in order, filling what is still outstanding; what is left over goes on the last
        such line (or on no line when the item was not ordered) and is named in ``extra``."""
        rec_lines, extra = [], []
        left = {}
        if po is not None:
            for pl in po["lines"]:
                left[pl["line_id"]] = pl["qty"] - pl["received_qty"]
        for product, variant, qty, cost in wanted:
            vid = variant.id if variant else ""
            po_lines = [pl for pl in (po["lines"] if po else ())
                        if pl["product_id"] == product.id and pl["variant_id"] == vid]
            rest = qty
            for i, pl in enumerate(po_lines):
                take = rest if i == len(po_lines) - 1 else min(rest, max(left[pl["line_id"]], 0))
                if take <= 0:
                    continue
                if take > left[pl["line_id"]]:
                    extra.append(_("{name}: {qty} more than ordered",
                                   name=pl["name"], qty=take - max(left[pl["line_id"]], 0)))
                left[pl["line_id"]] -= take
                rest -= take
                rec_lines.append((product, variant, {
                    "product_id": product.id, "variant_id": vid, "qty": take,
                    "unit_cost": pl["unit_cost"] if cost is None else cost,
                    "po_line_id": pl["line_id"]}))
            if rest > 0:
                if po is not None:
                    extra.append(_("{name} was not ordered", name=self._label(product, variant)))
                rec_lines.append((product, variant, {
                    "product_id": product.id, "variant_id": vid, "qty": rest,
                    "unit_cost": cost, "po_line_id": None}))
        return rec_lines, extra

    def _load_receipt(self, conn, receipt_id: str) -> dict:
        row = conn.execute("SELECT id, po_id, supplier_id, note, received_at, received_by"
                           " FROM receipts_in WHERE id = ?", (receipt_id,)).fetchone()
        if row is None:
            raise NotFound(_("delivery {receipt_id} does not exist", receipt_id=receipt_id))
        receipt = dict(zip(("id", "po_id", "supplier_id", "note", "received_at",
                            "received_by"), row))
        number = conn.execute("SELECT number FROM purchase_orders WHERE id = ?",
                              (receipt["po_id"],)).fetchone() if receipt["po_id"] else None
        receipt["po_number"] = number[0] if number else None
        receipt["supplier_name"] = self.supplier_name(receipt["supplier_id"])
        lines = []
        for pid, vid, qty, cost, po_line in conn.execute(
                "SELECT product_id, variant_id, qty, unit_cost, po_line_id FROM"
                " receipt_in_lines WHERE receipt_id = ? ORDER BY pos", (receipt_id,)):
            product = self.master.catalog.find_product(pid)
            name = pid
            if product is not None:
                variant = next((v for v in product.variants if v.id == vid), None)
                name = self._label(product, variant)
            lines.append({"product_id": pid, "variant_id": vid, "name": name, "qty": qty,
                          "unit_cost": cost, "po_line_id": po_line})
        receipt["lines"] = lines
        receipt["total"] = sum(ln["qty"] * ln["unit_cost"] for ln in lines)
        return receipt

    def receipt(self, actor: Actor, receipt_id: str) -> dict:
        require(actor, "stock.receive", what="looking at deliveries")
        with self.ledger.reading() as conn:
            return self._load_receipt(conn, receipt_id)


__all__ = ["Purchasing", "moving_average", "rate_text", "round_half_up"]
