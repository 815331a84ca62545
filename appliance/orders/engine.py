"""The order engine: the only code that decides what goes into the journal for an order.

Each command validates against the projections inside one write transaction (so two phones
acting at once are serialised, and the second sees the first's result), then appends journal
records; the projections follow from those records alone. ``expected_version`` lets a screen
refuse to overwrite a change it has not seen (HTTP 409 upstream).
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

from .. import money
from ..errors import Conflict, Forbidden, NotFound, ValidationError
from ..ledger import Ledger
from ..ledger.store import Transaction
from ..master import MasterData
from . import model
from .permissions import Actor, allowed, require
from .pricing import PricingLine, PricingPipeline, Priced
from ..tenders import METHODS
from ..validate import text
from ..i18n import _

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")

MAX_QTY = 9999
_PHONE_RE = re.compile(r"^\+?[0-9][0-9 -]{2,19}$")


@dataclass
class PaymentResult:
    order: model.Order
    payment_id: str
    applied: int
    change: int
    completed: bool


def _qty(value, field: str = "qty", *, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(_("{field} must be a whole number", field=field), field=field)
    low = 0 if allow_zero else 1
    if not low <= value <= MAX_QTY:
        raise ValidationError(_("{field} must be from {low} to {MAX_QTY}",
                                field=field, low=low, MAX_QTY=MAX_QTY), field=field)
    return value


def _price(value, field: str = "unit_price") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(_("{field} must be an amount in fen (int)", field=field), field=field)
    if not 0 <= value <= money.MAX_AMOUNT:
        raise ValidationError(_("{field} is out of range", field=field), field=field)
    return value


class OrderEngine:
    def __init__(self, ledger: Ledger, master: MasterData, *, timezone: str = "Asia/Shanghai",
                 pipeline: PricingPipeline | None = None):
        self.ledger = ledger
        self.master = master
        self.tz = ZoneInfo(timezone)
        self.pipeline = pipeline or PricingPipeline()

    # -- reading ---------------------------------------------------------------------------

    def get_order(self, order_id: str) -> model.Order:
        with self.ledger.reading() as conn:
            order = model.load_order(conn, order_id)
        if order is None:
            raise NotFound(_("order {order_id} does not exist", order_id=order_id))
        return order

    def find_by_number(self, number: str) -> model.Order:
        with self.ledger.reading() as conn:
            row = conn.execute("SELECT id FROM orders WHERE number = ?", (number,)).fetchone()
            order = model.load_order(conn, row[0]) if row else None
        if order is None:
            raise NotFound(_("order number {number} does not exist", number=number))
        return order

    def list_orders(self, status: str | None = None, business_day: str | None = None,
                    limit: int = 100) -> list[model.Order]:
        if status is not None and status not in ("open", "parked", "paid", "cancelled"):
            raise ValidationError(_("status must be open, parked, paid or cancelled"),
                                  field="status")
        with self.ledger.reading() as conn:
            return model.list_orders(conn, status=status, business_day=business_day,
                                     limit=limit)

    def quote(self, order: model.Order) -> Priced:
        """What the order costs now (frozen once the first payment is taken)."""
        if order.frozen:
            return Priced(order.subtotal, order.discount, order.rounding, order.total,
                          [], {ln.line_id: {"discount": ln.discount, "net": ln.net}
                               for ln in order.lines})
        return self._price(order)

    def due(self, order: model.Order) -> int:
        return self.quote(order).total

    def today(self) -> str:
        """The business day (YYYYMMDD) in the shop's time zone."""
        return self.ledger.now().astimezone(self.tz).strftime("%Y%m%d")

    def stock_levels(self, product_ids: Iterable[str]) -> dict[tuple[str, str], int]:
        """Stock per (product, variant) for these products (missing means 0)."""
        ids = list(product_ids)
        if not ids:
            return {}
        with self.ledger.reading() as conn:
            rows = conn.execute(
                "SELECT product_id, variant_id, qty FROM stock_levels WHERE product_id IN"
                f" ({','.join('?' * len(ids))})", ids).fetchall()
        return {(p, v): q for p, v, q in rows}

    def stock_level(self, product_id: str, variant_id: str = "") -> int:
        with self.ledger.reading() as conn:
            row = conn.execute("SELECT qty FROM stock_levels WHERE product_id = ? AND"
                               " variant_id = ?", (product_id, variant_id or "")).fetchone()
        return row[0] if row else 0

    # -- internals -------------------------------------------------------------------------

    def _price(self, order: model.Order) -> Priced:
        s = self.master.settings
        lines = [PricingLine(ln.line_id, ln.product_id, ln.variant_id, ln.qty, ln.unit_price)
                 for ln in order.lines]
        return self.pipeline.price(lines, round_off_unit=s.get("money.round_off_unit"),
                                   round_off_mode=s.get("money.round_off_mode"),
                                   context={"order_id": order.id})

    def _load(self, tx: Transaction, order_id: str, expected_version: int | None = None,
              ) -> model.Order:
        order = model.load_order(tx.conn, order_id)
        if order is None:
            raise NotFound(_("order {order_id} does not exist", order_id=order_id))
        if expected_version is not None and expected_version != order.version:
            raise Conflict(_("order {number} was changed on another screen (version {version}, you had {expected_version}): reload it and try again",
                             number=order.number, version=order.version,
                             expected_version=expected_version))
        return order

    def _editable(self, order: model.Order) -> None:
        if order.status == "parked":
            raise Conflict(_("order {number} is parked: recall it before changing it",
                             number=order.number))
        if order.status != "open":
            raise Conflict(_("order {number} is {status} and can no longer change",
                             number=order.number, status=order.status))
        if order.frozen:
            raise Conflict(_("order {number} has payments: void them before changing the items",
                             number=order.number))

    def _actor(self, actor: Actor) -> dict:
        return actor.journal(self.ledger.device_id)

    def _stock_in_tx(self, tx: Transaction, product_id: str, variant_id: str) -> int:
        row = tx.one("SELECT qty FROM stock_levels WHERE product_id = ? AND variant_id = ?",
                     (product_id, variant_id))
        return row[0] if row else 0

    def _check_stock(self, tx: Transaction, product_id: str, variant_id: str, name: str,
                     wanted: int) -> None:
        if self.master.settings.get("orders.allow_negative_stock"):
            return
        have = self._stock_in_tx(tx, product_id, variant_id)
        if wanted > have:
            raise Conflict(_("only {have} of {name} in stock (the shop does not allow selling below zero)",
                             have=have, name=name))

    # -- commands --------------------------------------------------------------------------

    def open_order(self, actor: Actor, *, customer_name: str = "", customer_phone: str = "",
                   note: str = "") -> model.Order:
        require(actor, "order.edit", what="opening an order")
        customer = self._customer_fields(customer_name, customer_phone, note)
        with self.ledger.transaction() as tx:
            # A Pi booted before NTP may think it is 1970: number by the journal's time.
            day = tx.now().astimezone(self.tz).strftime("%Y%m%d")
            row = tx.one("SELECT value FROM counters WHERE name = ?", (f"order_no:{day}",))
            daily_no = (row[0] if row else 0) + 1
            order_id = str(uuid.uuid4())
            tx.append("order.opened", self._actor(actor), {
                "order_id": order_id, "number": f"{day}-{daily_no:04d}", "business_day": day,
                "daily_no": daily_no, "terminal": actor.terminal, "opened_by": actor.staff_id,
                **customer})
            return self._load(tx, order_id)

    @staticmethod
    def _customer_fields(name, phone, note) -> dict:
        name = text(name, "customer_name", 40)
        phone = text(phone, "customer_phone", 20)
        if phone and not _PHONE_RE.match(phone):
            raise ValidationError(_("customer phone \"{phone}\" is not a phone number",
                                    phone=phone),
                                  field="customer_phone")
        return {"customer_name": name, "customer_phone": phone,
                "note": text(note, "note", 200, multiline=True)}

    def set_customer(self, actor: Actor, order_id: str, *, customer_name=None,
                     customer_phone=None, note=None,
                     expected_version: int | None = None) -> model.Order:
        require(actor, "order.edit", what="changing an order")
        with self.ledger.transaction() as tx:
            order = self._load(tx, order_id, expected_version)
            if order.status not in ("open", "parked"):
                raise Conflict(_("order {number} is {status} and can no longer change",
                                 number=order.number, status=order.status))
            fields = self._customer_fields(
                order.customer_name if customer_name is None else customer_name,
                order.customer_phone if customer_phone is None else customer_phone,
                order.note if note is None else note)
            tx.append("order.customer_set", self._actor(actor), {"order_id": order_id, **fields})
            return self._load(tx, order_id)

    def add_line(self, actor: Actor, order_id: str, *, barcode: str | None = None,
                 product_id: str | None = None, variant_id: str | None = None, qty: int = 1,
                 unit_price: int | None = None, approver: Actor | None = None,
                 expected_version: int | None = None, scale_label: str | None = None,
                 label_price: int | None = None) -> model.Order:
        """Add an item. ``scale_label``/``label_price``: a weighing-scale label was scanned
        (``barcode`` is then its item code); the scale priced the item, so the label's price
        is the line's price without a manager's override."""
        require(actor, "order.edit", what="adding items")
        qty = _qty(qty)
        product, variant = self._resolve(barcode, product_id, variant_id)
        list_price = product.price_of(variant)
        override_by = None
        if label_price is not None:
            unit_price = list_price = _price(label_price)
            barcode = scale_label or barcode
        if unit_price is not None and _price(unit_price) != list_price:
            override_by = require(actor, "price.override", approver,
                                  what="changing a price").staff_id
        price = list_price if unit_price is None else unit_price
        vid = variant.id if variant else ""
        with self.ledger.transaction() as tx:
            order = self._load(tx, order_id, expected_version)
            self._editable(order)
            same = next((ln for ln in order.lines if ln.product_id == product.id
                         and ln.variant_id == vid and ln.unit_price == price
                         and ln.override_by == override_by), None)
            in_order = sum(ln.qty for ln in order.lines
                           if ln.product_id == product.id and ln.variant_id == vid)
            if product.stock_tracked:
                self._check_stock(tx, product.id, vid, product.name, in_order + qty)
            if same is not None:
                # Scanning the same item again adds to its line rather than a new line.
                new_qty = _qty(same.qty + qty)
                tx.append("order.line_changed", self._actor(actor), {
                    "order_id": order_id, "line_id": same.line_id, "qty": new_qty,
                    "unit_price": same.unit_price, "override_by": same.override_by})
            else:
                tx.append("order.line_added", self._actor(actor), {"order_id": order_id, "line": {
                    "line_id": uuid.uuid4().hex[:12], "product_id": product.id,
                    "variant_id": vid, "sku": (variant.sku if variant and variant.sku
                                                else product.sku),
                    "barcode": barcode or "", "name": product.name,
                    "spec": " ".join(f"{k}:{v}" for k, v in variant.spec.items()) if variant
                    else "", "unit": product.unit, "qty": qty, "list_price": list_price,
                    "unit_price": price, "cost": product.cost_of(variant),
                    "override_by": override_by, "stock_tracked": product.stock_tracked}})
            if override_by:
                audit.info("price override order=%s product=%s list=%s price=%s by=%s",
                           order.number, product.id, money.format_amount(list_price),
                           money.format_amount(price), override_by)
            return self._load(tx, order_id)

    def _resolve(self, barcode, product_id, variant_id):
        catalog = self.master.catalog
        if barcode:
            barcode = text(barcode, "barcode", 48)
            found = catalog.lookup_barcode(barcode)
            if found is None:
                raise NotFound(_("no product has barcode {barcode}", barcode=barcode))
            product, variant = found
            if variant is None and variant_id:
                variant = product.variant(variant_id)
        elif product_id:
            product = catalog.find_product(product_id)
            if product is None:
                raise NotFound(_("product {product_id} does not exist", product_id=product_id))
            variant = product.variant(variant_id) if variant_id else None  # NotFound if not
        else:
            raise ValidationError(_("give a barcode or a product id"), field="barcode")
        if not product.active:
            raise Conflict(_("{name} is no longer sold (deactivated)", name=product.name))
        active_variants = [v for v in product.variants if v.active]
        if variant is None and active_variants:
            specs = ", ".join(" ".join(v.spec.values()) for v in active_variants[:8])
            raise ValidationError(_("choose a spec of {name}: {specs}",
                                    name=product.name, specs=specs),
                                  field="variant_id")
        if variant is not None and not variant.active:
            raise Conflict(_("this spec of {name} is no longer sold", name=product.name))
        return product, variant

    def change_line(self, actor: Actor, order_id: str, line_id: str, *, qty: int | None = None,
                    unit_price: int | None = None, approver: Actor | None = None,
                    expected_version: int | None = None) -> model.Order:
        require(actor, "order.edit", what="changing items")
        if qty is not None and _qty(qty, allow_zero=True) == 0:
            return self.remove_line(actor, order_id, line_id, expected_version=expected_version)
        with self.ledger.transaction() as tx:
            order = self._load(tx, order_id, expected_version)
            self._editable(order)
            line = order.line(line_id)
            if line is None:
                raise NotFound(_("order {number} has no line {line_id}",
                                 number=order.number, line_id=line_id))
            new_qty = line.qty if qty is None else qty
            new_price, override_by = line.unit_price, line.override_by
            if unit_price is not None and _price(unit_price) != line.unit_price:
                new_price = unit_price
                override_by = None if unit_price == line.list_price else require(
                    actor, "price.override", approver, what="changing a price").staff_id
                if override_by:
                    audit.info("price override order=%s line=%s list=%s price=%s by=%s",
                               order.number, line_id, money.format_amount(line.list_price),
                               money.format_amount(new_price), override_by)
            if line.stock_tracked and new_qty > line.qty:
                in_order = sum(ln.qty for ln in order.lines if ln.product_id == line.product_id
                               and ln.variant_id == line.variant_id)
                self._check_stock(tx, line.product_id, line.variant_id, line.name,
                                  in_order - line.qty + new_qty)
            tx.append("order.line_changed", self._actor(actor), {
                "order_id": order_id, "line_id": line_id, "qty": new_qty,
                "unit_price": new_price, "override_by": override_by})
            return self._load(tx, order_id)

    def remove_line(self, actor: Actor, order_id: str, line_id: str, *,
                    expected_version: int | None = None) -> model.Order:
        require(actor, "order.edit", what="removing items")
        with self.ledger.transaction() as tx:
            order = self._load(tx, order_id, expected_version)
            self._editable(order)
            if order.line(line_id) is None:
                raise NotFound(_("order {number} has no line {line_id}",
                                 number=order.number, line_id=line_id))
            tx.append("order.line_removed", self._actor(actor),
                      {"order_id": order_id, "line_id": line_id})
            return self._load(tx, order_id)

    def park(self, actor: Actor, order_id: str, *,
             expected_version: int | None = None) -> model.Order:
        require(actor, "order.park", what="parking an order")
        with self.ledger.transaction() as tx:
            order = self._load(tx, order_id, expected_version)
            if order.status == "parked":
                return order
            self._editable(order)
            if not order.lines:
                raise ValidationError(_("order {number} has no items: add some before parking it",
                                        number=order.number))
            tx.append("order.parked", self._actor(actor), {"order_id": order_id})
            return self._load(tx, order_id)

    def recall(self, actor: Actor, order_id: str) -> model.Order:
        require(actor, "order.recall", what="recalling an order")
        with self.ledger.transaction() as tx:
            order = self._load(tx, order_id)
            if order.status == "open":
                return order
            if order.status != "parked":
                raise Conflict(_("order {number} is {status}, not parked",
                                 number=order.number, status=order.status))
            tx.append("order.recalled", self._actor(actor),
                      {"order_id": order_id, "terminal": actor.terminal})
            return self._load(tx, order_id)

    def cancel(self, actor: Actor, order_id: str, reason: str, *,
               expected_version: int | None = None) -> model.Order:
        reason = text(reason, "reason", 200, required=True)
        with self.ledger.transaction() as tx:
            order = self._load(tx, order_id, expected_version)
            own_unpaid = actor.staff_id == order.opened_by and allowed(actor, "order.edit")
            if not own_unpaid:
                require(actor, "order.cancel", what="cancelling someone else's order")
            if order.status not in ("open", "parked"):
                raise Conflict(_("order {number} is {status} and cannot be cancelled",
                                 number=order.number, status=order.status)
                               + (_(": refund it instead") if order.status == "paid" else ""))
            if order.live_payments:
                raise Conflict(_("order {number} has payments: void them first",
                                 number=order.number))
            tx.append("order.cancelled", self._actor(actor),
                      {"order_id": order_id, "reason": reason})
            audit.info("order cancelled order=%s by=%s reason=%s", order.number,
                       actor.staff_id, reason)
            return self._load(tx, order_id)

    def add_payment(self, actor: Actor, order_id: str, method: str, amount: int, *,
                    reference: str = "", idempotency_key: str | None = None) -> PaymentResult:
        require(actor, "payment.take", what="taking payment")
        tender = METHODS.get(method)
        if tender is None:
            raise ValidationError(_("unknown payment method {method}; use one of {METHODS}",
                                    method=repr(method), METHODS=', '.join(METHODS)),
                                    field="method")
        if method not in self.master.settings.get("tenders.enabled"):
            raise ValidationError(_("payment method {method} is switched off in the settings",
                                    method=method),
                                  field="method")
        if method == "member_balance":
            raise ValidationError(_("paying from a member balance needs the members module, which is not set up on this box"), field="method")
        amount = _price(amount, "amount")
        reference = text(reference, "reference", 64)
        if tender.needs_reference and not reference:
            raise ValidationError(_("a {method} payment needs {reference_hint}",
                                    method=method, reference_hint=tender.reference_hint),
                                  field="reference")
        if idempotency_key is not None:
            idempotency_key = text(idempotency_key, "idempotency_key", 64, required=True)
        with self.ledger.transaction() as tx:
            order = self._load(tx, order_id)
            if idempotency_key is not None:
                # A retried request (phone lost the answer) returns the first result.
                prior = next((p for p in order.payments
                              if p.idempotency_key == idempotency_key), None)
                if prior is not None:
                    if prior.voided or prior.method != method or prior.tendered != amount:
                        used = (_("payment request {key} was already used for a voided {method}"
                                  " payment of {tendered}: start a new payment", key=idempotency_key,
                                  method=prior.method, tendered=money.format_amount(prior.tendered))
                                if prior.voided else
                                _("payment request {key} was already used for a {method} payment of"
                                  " {tendered}: start a new payment", key=idempotency_key,
                                  method=prior.method, tendered=money.format_amount(prior.tendered)))
                        raise Conflict(used)
                    return PaymentResult(order, prior.id, prior.amount, prior.change,
                                         order.status == "paid")
            if order.status == "paid":
                raise Conflict(_("order {number} is already paid (receipt {receipt_no})",
                                 number=order.number, receipt_no=order.receipt_no))
            if order.status == "parked":
                raise Conflict(_("order {number} is parked: recall it before taking payment",
                                 number=order.number))
            if order.status != "open":
                raise Conflict(_("order {number} is {status}",
                                 number=order.number, status=order.status))
            if not order.lines:
                raise ValidationError(_("order {number} has no items", number=order.number))
            pricing = None
            if order.frozen:
                due = order.total
            else:
                # Check stock before any money is taken: once it is, the sale must complete.
                self._check_order_stock(tx, order)
                pricing = self._price(order)
                due = pricing.total
            remaining = due - order.paid
            if amount == 0 and remaining > 0:
                raise ValidationError(_("amount must be more than 0.00"), field="amount")
            if tender.gives_change:
                applied = min(amount, remaining)
            else:
                if amount > remaining:
                    raise ValidationError(
                        _("a {method} payment of {amount} is more than the {remaining} still due",
                          method=method, amount=money.format_amount(amount),
                          remaining=money.format_amount(remaining)), field="amount")
                applied = amount
            change = amount - applied
            payment_id = str(uuid.uuid4())
            data = {"order_id": order_id, "payment": {
                "id": payment_id, "method": method, "amount": applied, "tendered": amount,
                "change": change, "reference": reference, "idempotency_key": idempotency_key}}
            if pricing is not None:
                data["pricing"] = pricing.to_record()
            tx.append("order.payment_added", self._actor(actor), data)
            audit.info("payment order=%s method=%s amount=%s change=%s by=%s", order.number,
                       method, money.format_amount(applied), money.format_amount(change),
                       actor.staff_id)
            completed = order.paid + applied == due
            if completed:
                self._complete(tx, actor, order_id)
            return PaymentResult(self._load(tx, order_id), payment_id, applied, change,
                                 completed)

    @staticmethod
    def _tracked_qty(order: model.Order) -> dict[tuple[str, str], int]:
        """Quantity per (product, variant) of the order's stock-tracked lines."""
        qty: dict[tuple[str, str], int] = {}
        for ln in order.lines:
            if ln.stock_tracked:
                key = (ln.product_id, ln.variant_id)
                qty[key] = qty.get(key, 0) + ln.qty
        return qty

    def _check_order_stock(self, tx: Transaction, order: model.Order) -> None:
        names = {(ln.product_id, ln.variant_id): ln.name for ln in order.lines}
        for (pid, vid), qty in self._tracked_qty(order).items():
            self._check_stock(tx, pid, vid, names[(pid, vid)], qty)

    def _complete(self, tx: Transaction, actor: Actor, order_id: str) -> None:
        order = self._load(tx, order_id)
        row = tx.one("SELECT value FROM counters WHERE name = 'receipt_no'")
        receipt_no = (row[0] if row else 0) + 1
        jobs = [{"id": str(uuid.uuid4()), "kind": "receipt",
                 "payload": {"receipt_no": receipt_no, "copy": "customer"}}]
        if any(p.method == "cash" for p in order.live_payments):
            jobs.append({"id": str(uuid.uuid4()), "kind": "drawer", "payload": {}})
        tx.append("order.paid", self._actor(actor), {
            "order_id": order_id, "number": order.number, "receipt_no": receipt_no,
            "total": order.total, "paid": order.paid, "change": order.change_given,
            "tenders": [{"method": p.method, "amount": p.amount} for p in order.live_payments],
            "stock": [{"product_id": p, "variant_id": v, "delta": -q, "reason": "sale"}
                      for (p, v), q in self._tracked_qty(order).items()],
            "print_jobs": jobs})
        audit.info("sale order=%s receipt=%d total=%s by=%s", order.number, receipt_no,
                   money.format_amount(order.total), actor.staff_id)

    def reprint_receipt(self, actor: Actor, order_id: str) -> str:
        """Queue a copy of a paid order's receipt because a person asked (never automatic).

        Journalled and audited: a reprinted receipt can back a fraudulent return.
        """
        require(actor, "payment.take", what="reprinting a receipt")
        with self.ledger.transaction() as tx:
            order = self._load(tx, order_id)
            if order.status != "paid":
                raise Conflict(_("order {number} is {status}: it has no receipt yet",
                                 number=order.number, status=order.status))
            job_id = str(uuid.uuid4())
            tx.append("receipt.reprinted", self._actor(actor), {
                "order_id": order_id, "number": order.number, "receipt_no": order.receipt_no,
                "print_jobs": [{"id": job_id, "kind": "receipt",
                                "payload": {"receipt_no": order.receipt_no, "copy": "reprint"}}]})
            audit.info("receipt reprinted order=%s receipt=%d by=%s", order.number,
                       order.receipt_no, actor.staff_id)
            return job_id

    def open_drawer(self, actor: Actor, reason: str) -> str:
        """Open the cash drawer without a sale (change for the float, a counted mistake).

        A cash-control event: journalled with the reason and audited; the kick is queued for
        printerd like a sale's, and never repeated automatically."""
        require(actor, "drawer.open", what="opening the drawer")
        reason = text(reason, "reason", 200, required=True)
        with self.ledger.transaction() as tx:
            job_id = str(uuid.uuid4())
            tx.append("drawer.opened", self._actor(actor), {
                "reason": reason, "print_jobs": [{"id": job_id, "kind": "drawer",
                                                  "payload": {}}]})
        audit.info("drawer opened without a sale by=%s reason=%r", actor.staff_id, reason)
        return job_id

    def void_payment(self, actor: Actor, order_id: str, payment_id: str, reason: str, *,
                     approver: Actor | None = None) -> model.Order:
        # Taking money back out of an order is a cash-control event: a manager approves.
        approved_by = require(actor, "payment.void", approver, what="voiding a payment").staff_id
        reason = text(reason, "reason", 200, required=True)
        with self.ledger.transaction() as tx:
            order = self._load(tx, order_id)
            if order.status != "open":
                raise Conflict(_("order {number} is {status}: ",
                                 number=order.number, status=order.status)
                               + (_("refund it instead") if order.status == "paid"
                                  else _("nothing to void")))
            payment = next((p for p in order.live_payments if p.id == payment_id), None)
            if payment is None:
                raise NotFound(_("order {number} has no live payment {payment_id}",
                                 number=order.number, payment_id=payment_id))
            tx.append("order.payment_voided", self._actor(actor), {
                "order_id": order_id, "payment_id": payment_id, "reason": reason,
                "approved_by": approved_by, "unfreeze": len(order.live_payments) == 1})
            audit.info("payment voided order=%s method=%s amount=%s by=%s approved_by=%s "
                       "reason=%s", order.number, payment.method,
                       money.format_amount(payment.amount), actor.staff_id, approved_by, reason)
            return self._load(tx, order_id)

    def refund(self, actor: Actor, order_id: str, *, reason: str,
               lines: Sequence[tuple[str, int]] | None = None,
               tenders: Sequence[tuple[str, int, str]] | None = None,
               approver: Actor | None = None, restock: bool = True) -> model.Refund:
        """Give back what was paid for some lines (all remaining ones when ``lines`` is None).

        The amount per line is its share of what the customer actually paid (after discounts
        and round-off), so refunding a line in parts never gives back more than it cost.
        ``tenders`` defaults to the order's own tenders, newest first.
        """
        require(actor, "refund", what="refunding")
        reason = text(reason, "reason", 200, required=True)
        with self.ledger.transaction() as tx:
            order = self._load(tx, order_id)
            if order.status != "paid":
                raise Conflict(_("order {number} is {status}: only paid orders can be refunded",
                                 number=order.number,
                                 status=order.status) + (_(" (void its payments instead)")
                                                if order.status == "open" else ""))
            wanted = self._refund_lines(order, lines)
            refund_lines, moves = [], []
            for line, qty in wanted:
                amount = money.share_for_qty(line.net, line.qty, line.refunded_qty, qty,
                                             line.refunded_amount)
                refund_lines.append({"line_id": line.line_id, "qty": qty, "amount": amount,
                                     "restock": bool(restock and line.stock_tracked)})
                if restock and line.stock_tracked:
                    moves.append({"product_id": line.product_id, "variant_id": line.variant_id,
                                  "delta": qty, "reason": "return"})
            total = sum(rl["amount"] for rl in refund_lines)
            limit = self.master.settings.get("orders.cashier_refund_limit")
            # The limit is per order: refunds nobody approved add up, so splitting one large
            # refund into small ones still needs a manager.
            unapproved = sum(r.amount for r in order.refunds if r.approved_by is None)
            approved_by = None
            if unapproved + total > limit:
                approved_by = require(
                    actor, "refund.over_limit", approver,
                    what=f"refunds over {money.format_amount(limit)} on one order").staff_id
            tender_rows = self._refund_tenders(tx, order, total, tenders)
            refund_id = str(uuid.uuid4())
            tx.append("order.refunded", self._actor(actor), {
                "order_id": order_id, "number": order.number, "refund_id": refund_id,
                "amount": total, "reason": reason, "approved_by": approved_by,
                "lines": refund_lines, "tenders": tender_rows, "stock": moves})
            audit.info("refund order=%s amount=%s by=%s approved_by=%s reason=%s", order.number,
                       money.format_amount(total), actor.staff_id, approved_by, reason)
            return next(r for r in self._load(tx, order_id).refunds if r.id == refund_id)

    @staticmethod
    def _refund_lines(order: model.Order, lines) -> list[tuple[model.Line, int]]:
        if lines is None:
            wanted = [(ln, ln.qty - ln.refunded_qty) for ln in order.lines
                      if ln.qty > ln.refunded_qty]
            if not wanted:
                raise Conflict(_("order {number} is already fully refunded", number=order.number))
            return wanted
        if not lines:
            raise ValidationError(_("choose at least one line to refund"), field="lines")
        wanted, seen = [], set()
        for item in lines:
            if not isinstance(item, (tuple, list)) or len(item) != 2:
                raise ValidationError(_("each refund line is a line id and a quantity"),
                                      field="lines")
            line_id, qty = item
            line = order.line(line_id)
            if line is None:
                raise NotFound(_("order {number} has no line {line_id}",
                                 number=order.number, line_id=line_id))
            if line_id in seen:
                raise ValidationError(_("line {line_id} is listed twice",
                                        line_id=line_id), field="lines")
            seen.add(line_id)
            qty = _qty(qty)
            left = line.qty - line.refunded_qty
            if qty > left:
                raise ValidationError(_("only {left} of {name} can still be returned ({refunded_qty} of {qty} already were)",
                                        left=left, name=line.name, refunded_qty=line.refunded_qty,
                                        qty=line.qty),
                                      field="lines")
            wanted.append((line, qty))
        return wanted

    def _refund_tenders(self, tx: Transaction, order: model.Order, total: int,
                        tenders) -> list[dict]:
        paid_by: dict[str, int] = {}
        for p in order.live_payments:
            paid_by[p.method] = paid_by.get(p.method, 0) + p.amount
        for r in order.refunds:
            for t in r.tenders:
                paid_by[t["method"]] = paid_by.get(t["method"], 0) - t["amount"]
        if tenders is None:
            rows, left = [], total
            for p in reversed(order.live_payments):
                take = min(left, paid_by.get(p.method, 0))
                if take > 0:
                    rows.append({"method": p.method, "amount": take, "reference": ""})
                    paid_by[p.method] -= take
                    left -= take
            if left:  # cannot happen while refunds never exceed what was paid
                raise Conflict(_("the refund is more than what is left of the payments"))
            return rows
        rows, given = [], 0
        for item in tenders:
            if not isinstance(item, (tuple, list)) or len(item) != 3:
                raise ValidationError(_("each refund tender is a method, an amount and a reference"), field="tenders")
            method, amount, reference = item
            if method not in METHODS:
                raise ValidationError(_("unknown refund method {method}",
                                        method=repr(method)), field="tenders")
            amount = _price(amount, "amount")
            if amount <= 0:
                raise ValidationError(_("refund tender amounts must be more than 0.00"),
                                      field="tenders")
            if amount > paid_by.get(method, 0):
                raise ValidationError(
                    _("cannot refund {amount} by {method}: only {available} was paid that way and"
                      " not yet refunded", amount=money.format_amount(amount), method=method,
                      available=money.format_amount(max(paid_by.get(method, 0), 0))),
                    field="tenders")
            paid_by[method] -= amount
            given += amount
            rows.append({"method": method, "amount": amount,
                         "reference": text(reference, "reference", 64)})
        if given != total:
            raise ValidationError(_("the refund tenders add up to {given}, but the refund is {total}",
                                    given=money.format_amount(given),
                                    total=money.format_amount(total)),
                                  field="tenders")
        return rows

    def adjust_stock(self, actor: Actor, product_id: str, delta: int, reason: str, *,
                     variant_id: str = "", note: str = "") -> int:
        require(actor, "stock.adjust", what="adjusting stock")
        if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0 \
                or abs(delta) > 1_000_000:
            raise ValidationError(_("delta must be a non-zero whole number"), field="delta")
        reason = text(reason, "reason", 40, required=True)
        product = self.master.catalog.find_product(product_id)
        if product is None:
            raise NotFound(_("product {product_id} does not exist", product_id=product_id))
        if variant_id:
            product.variant(variant_id)  # NotFound when the product has no such variant
        with self.ledger.transaction() as tx:
            tx.append("stock.adjusted", self._actor(actor), {
                "product_id": product_id, "variant_id": variant_id, "delta": delta,
                "reason": reason, "note": text(note, "note", 200, multiline=True)})
            audit.info("stock adjusted product=%s variant=%s delta=%d by=%s reason=%s",
                       product_id, variant_id, delta, actor.staff_id, reason)
            return self._stock_in_tx(tx, product_id, variant_id)


def actor_for(staff, terminal: str = "counter") -> Actor:
    """Build an Actor from an authenticated Staff record."""
    if not staff.active:
        raise Forbidden(_("{name} is deactivated", name=staff.name))
    return Actor(staff.id, staff.role, terminal)


__all__ = ["OrderEngine", "PaymentResult", "Actor", "actor_for"]
