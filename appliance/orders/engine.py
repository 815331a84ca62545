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

from .. import modules, money
from ..errors import Conflict, Forbidden, NotFound, ValidationError
from ..ledger import Ledger
from ..ledger.store import Transaction
from ..master import MasterData
from . import model
from .permissions import Actor, allowed, require
from .pricing import PricingLine, PricingPipeline, Priced
from ..tenders import EXCHANGE, MEMBER_METHODS, METHODS, STORE_CREDIT
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

    #: ``fn(order_id) -> str``: the signature part of an order's e-receipt link (set by Box).
    ereceipt_mac = None

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
        now = self.ledger.now()
        with self.ledger.reading() as conn:
            return self._price(order, conn, now)

    def preview(self, lines: Sequence[tuple[str, str, int]], *, draft: dict | None = None,
                member_id: str | None = None, coupons: Sequence[str] = ()) -> Priced:
        """Price a made-up cart of (product_id, variant_id, qty) at list prices with the live
        rules, plus ``draft`` (a rule's API JSON, not saved) as if it were switched on; line
        ids are "l1", "l2", ... in the given order. Nothing is written."""
        from ..members.model import level_of_member, load_member
        from ..promotions.rules import normalize_code, normalize_rule
        from ..promotions.store import active_rules
        priced_lines = []
        for i, (product_id, variant_id, qty) in enumerate(lines, start=1):
            product, variant = self._resolve(None, product_id, variant_id)
            priced_lines.append(PricingLine(f"l{i}", product.id, variant.id if variant else "",
                                            _qty(qty), product.price_of(variant),
                                            category_id=product.category_id or "", pos=i))
        rule = normalize_rule(draft) if draft is not None else None
        codes = tuple(normalize_code(c) for c in coupons)
        now = self.ledger.now()
        with self.ledger.reading() as conn:
            if member_id and load_member(conn, member_id) is None:
                raise NotFound(_("member {member_id} does not exist", member_id=member_id),
                               field="member_id")
            rules = active_rules(conn)
            level = level_of_member(conn, member_id)
        if rule is not None:
            rules = [r for r in rules if r["id"] != rule["id"]] + [{**rule, "active": True}]
        return self._price_lines(priced_lines, rules, now, level, codes,
                                 {"member_id": member_id})

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

    def _price(self, order: model.Order, conn, now) -> Priced:
        """Price with the live promotions, the member's level and the order's coupons.

        ``conn`` is a read or the write transaction's connection (rules and levels are
        journalled, so a price taken inside the payment's transaction is the one recorded)."""
        from ..members.model import level_of_member
        from ..promotions.store import active_rules
        lines = [PricingLine(ln.line_id, ln.product_id, ln.variant_id, ln.qty, ln.unit_price,
                             category_id=ln.category_id, pos=ln.pos) for ln in order.lines]
        return self._price_lines(lines, active_rules(conn), now,
                                 level_of_member(conn, order.member_id), tuple(order.coupons),
                                 {"order_id": order.id, "member_id": order.member_id})

    def _price_lines(self, lines, rules, now, level, coupons, context) -> Priced:
        """The pipeline every price goes through: the shop's own steps, the live rules for
        this member level and these coupons, then the shop's round-off."""
        from ..promotions.engine import PriceContext, pricing_steps
        s = self.master.settings
        if not modules.enabled(s, "promotions"):  # issue 11: switched off, no discounts
            rules = []
        steps = pricing_steps(rules, PriceContext(now, self.tz, level, coupons))
        return PricingPipeline([*self.pipeline.rules, *steps]).price(
            lines, round_off_unit=s.get("money.round_off_unit"),
            round_off_mode=s.get("money.round_off_mode"), context=context)

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

    def _unit_cost_in_tx(self, tx: Transaction, product, variant) -> int:
        """What one unit cost the shop: the moving average of what was received (issue 8),
        or the catalog's cost until something has been received."""
        row = tx.one("SELECT avg_cost FROM stock_levels WHERE product_id = ? AND variant_id = ?",
                     (product.id, variant.id if variant else ""))
        return row[0] if row and row[0] is not None else product.cost_of(variant)

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
        # Kept as digits (with a leading +): one person is one number however it was typed,
        # so finding, exporting and erasing their data finds every order (docs/customer-data.md).
        phone = re.sub(r"[\s-]", "", phone)
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
                    "unit_price": price, "cost": self._unit_cost_in_tx(tx, product, variant),
                    "override_by": override_by, "stock_tracked": product.stock_tracked,
                    "category_id": product.category_id or "",
                    "tax_rate": product.tax_rate}})
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

    # -- members and coupons -------------------------------------------------------------

    def _priced_editable(self, order: model.Order) -> None:
        """Member and coupons change the price: open or parked, and no money taken yet."""
        if order.status not in ("open", "parked"):
            raise Conflict(_("order {number} is {status} and can no longer change",
                             number=order.number, status=order.status))
        if order.frozen:
            raise Conflict(_("order {number} has payments: void them before changing the"
                             " member or coupons", number=order.number))

    def set_member(self, actor: Actor, order_id: str, member_id: str | None, *,
                   expected_version: int | None = None) -> model.Order:
        """Put a member on the order (their level prices it, they earn its points), or take
        them off with ``member_id`` None."""
        from ..members.model import load_member
        require(actor, "order.edit", what="changing an order")
        if member_id is not None:
            member_id = text(member_id, "member_id", 64) or None
        with self.ledger.transaction() as tx:
            order = self._load(tx, order_id, expected_version)
            self._priced_editable(order)
            if member_id is not None:
                member = load_member(tx.conn, member_id)
                if member is None:
                    raise NotFound(_("member {member_id} does not exist", member_id=member_id),
                                   field="member_id")
                if not member.active:
                    raise Conflict(_("member {name} is deactivated", name=member.name),
                                   field="member_id")
            if member_id == order.member_id:
                return order
            tx.append("order.member_set", self._actor(actor),
                      {"order_id": order_id, "member_id": member_id})
            return self._load(tx, order_id)

    def add_coupon(self, actor: Actor, order_id: str, code: str, *,
                   expected_version: int | None = None) -> model.Order:
        from ..promotions.rules import normalize_code
        require(actor, "order.edit", what="adding coupons")
        code = normalize_code(code)
        with self.ledger.transaction() as tx:
            order = self._load(tx, order_id, expected_version)
            self._priced_editable(order)
            if code in order.coupons:
                return order
            rule = self._coupon_rule(tx, order, code)
            twin = next((c for c in order.coupons if c in rule["codes"]), None)
            if twin is not None:
                raise Conflict(_("coupon {code} is the same offer as {twin}, already on this"
                                 " order", code=code, twin=twin), field="code")
            tx.append("order.coupon_added", self._actor(actor),
                      {"order_id": order_id, "code": code, "rule_id": rule["id"]})
            return self._load(tx, order_id)

    def remove_coupon(self, actor: Actor, order_id: str, code: str, *,
                      expected_version: int | None = None) -> model.Order:
        require(actor, "order.edit", what="removing coupons")
        code = text(code, "code", 40, required=True).upper()
        with self.ledger.transaction() as tx:
            order = self._load(tx, order_id, expected_version)
            self._priced_editable(order)
            if code not in order.coupons:
                raise NotFound(_("order {number} has no coupon {code}", number=order.number,
                                 code=code), field="code")
            tx.append("order.coupon_removed", self._actor(actor),
                      {"order_id": order_id, "code": code})
            return self._load(tx, order_id)

    def _coupon_rule(self, tx: Transaction, order: model.Order, code: str) -> dict:
        """The live coupon rule of ``code`` if the order may still use it, else an error."""
        from ..promotions import engine as promo
        from ..promotions import store
        ctx = promo.PriceContext(tx.now(), self.tz)
        rule = promo.coupon_rule(store.active_rules(tx.conn), code, ctx)
        if rule is None:
            if any(r["kind"] == "coupon" and code in r.get("codes", ())
                   for r in store.all_rules(tx.conn)):
                raise Conflict(_("coupon {code} is not valid now", code=code), field="code")
            raise NotFound(_("there is no coupon {code}", code=code), field="code")
        # Limits are per rule: a rule's codes share its uses.
        if rule["max_uses"] and store.coupon_uses(tx.conn, rule["id"]) >= rule["max_uses"]:
            raise Conflict(_("coupon {code} is used up ({n} uses)", code=code,
                             n=rule["max_uses"]), field="code")
        per_member = rule["max_uses_per_member"]
        if per_member:
            if not order.member_id:
                raise Conflict(_("coupon {code} is for members ({n} per member): put the"
                                 " member on the order first", code=code, n=per_member),
                               field="code")
            if store.coupon_uses(tx.conn, rule["id"], order.member_id) >= per_member:
                raise Conflict(_("this member has already used coupon {code} {n} times",
                                 code=code, n=per_member), field="code")
        return rule

    @staticmethod
    def _coupons_used(tx: Transaction, order: model.Order, pricing: Priced) -> list[dict]:
        """One use per coupon rule that took something off the price being frozen."""
        from ..promotions import store
        used, seen = [], set()
        for adj in pricing.adjustments:
            rule = store.rule(tx.conn, adj.source) if adj.kind == "promotion" else None
            if rule is None or rule["kind"] != "coupon" or rule["id"] in seen:
                continue
            code = next((c for c in order.coupons if c in rule["codes"]), None)
            if code is not None:
                seen.add(rule["id"])
                used.append({"code": code, "rule_id": rule["id"]})
        return used

    def _check_coupons(self, tx: Transaction, order: model.Order) -> None:
        for code in order.coupons:
            self._coupon_rule(tx, order, code)

    def add_payment(self, actor: Actor, order_id: str, method: str, amount: int, *,
                    reference: str = "", idempotency_key: str | None = None,
                    change_to_card: bool = False) -> PaymentResult:
        """Take a tender. ``member_balance`` and ``points`` draw on the order's member (checked
        inside the transaction, so two terminals cannot overdraw one card); ``change_to_card``
        puts a cash payment's change on the member's balance instead (存零)."""
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
        if method in MEMBER_METHODS or change_to_card is True:  # issue 11: members off
            modules.require(self.master.settings, "members")
        if not isinstance(change_to_card, bool):
            raise ValidationError(_("{name} must be true or false", name="change_to_card"),
                                  field="change_to_card")
        if change_to_card and not tender.gives_change:
            raise ValidationError(_("only a cash payment has change to put on the card"),
                                  field="change_to_card")
        amount = _price(amount, "amount")
        reference = text(reference, "reference", 64)
        if method == "credit_note" and reference:
            from ..returns.codes import normalize
            code = normalize(reference)
            if not code:
                raise NotFound(_("there is no credit note {code}", code=reference),
                               field="reference")
            reference = code
        if tender.needs_reference and not reference:
            raise ValidationError(_("a {method} payment needs {reference_hint}",
                                    method=method, reference_hint=tender.reference_hint),
                                  field="reference")
        fen_per_point = self.master.settings.get("members.fen_per_point")
        if method == "points" and amount % fen_per_point:
            raise ValidationError(
                _("a points payment must be a whole number of points ({value} each)",
                  value=money.format_amount(fen_per_point)), field="amount")
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
            from ..shifts.guard import require_open_shift  # shifts.required (docs/shifts.md)
            require_open_shift(tx.conn, self.master.settings)
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
            if (method in MEMBER_METHODS or change_to_card) and not order.member_id:
                raise ValidationError(_("put the member on order {number} first: {method}"
                                        " needs a member", number=order.number,
                                        method=method if method in MEMBER_METHODS
                                        else "change_to_card"), field="method")
            if not order.frozen and actor.terminal != "head_office":
                # Serialised goods need their serial numbers before money is taken (checked
                # here, in the payment's transaction; docs/aftersales.md). Head office's
                # prepaid online orders get theirs when packed (docs/delivery.md).
                from ..aftersales.serials import check as check_serials
                check_serials(tx.conn, self.master, order_id)
            pricing = None
            if order.frozen:
                due = order.total
            else:
                # Check stock before any money is taken: once it is, the sale must complete.
                self._check_order_stock(tx, order)
                # And the coupons: another till may have used the last one since it was added.
                self._check_coupons(tx, order)
                pricing = self._price(order, tx.conn, tx.now())
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
            if method == "credit_note":
                self._check_credit_note(tx, reference, applied)
            payment = {"id": str(uuid.uuid4()), "method": method, "amount": applied,
                       "tendered": amount, "change": change, "reference": reference,
                       "idempotency_key": idempotency_key}
            if method in MEMBER_METHODS or change_to_card:
                payment["member_id"] = order.member_id
                self._check_member_funds(tx, order, method, applied, fen_per_point, payment)
                if change_to_card and change:
                    most = self.master.settings.get("members.max_change_to_card")
                    if change > most:
                        # Small change only: more on a card is a top-up, with its own record.
                        raise ValidationError(
                            _("{change} is more change than may go on a card ({most}): hand"
                              " it over, or top the card up", change=money.format_amount(change),
                              most=money.format_amount(most)), field="change_to_card")
                    payment.update(stored_change=change, change=0)
                    change = 0
            payment_id = payment["id"]
            data = {"order_id": order_id, "payment": payment}
            if pricing is not None:
                data["pricing"] = pricing.to_record()
                data["coupons"] = self._coupons_used(tx, order, pricing)
            tx.append("order.payment_added", self._actor(actor), data)
            audit.info("payment order=%s method=%s amount=%s change=%s stored_change=%s by=%s",
                       order.number, method, money.format_amount(applied),
                       money.format_amount(change),
                       money.format_amount(payment.get("stored_change", 0)), actor.staff_id)
            completed = order.paid + applied == due
            if completed:
                self._complete(tx, actor, order_id)
            return PaymentResult(self._load(tx, order_id), payment_id, applied, change,
                                 completed)

    def refund_value(self, order: model.Order, lines) -> int:
        """What returning these lines gives back (the same shares :meth:`refund` uses)."""
        return sum(money.share_for_qty(line.net, line.qty, line.refunded_qty, qty,
                                       line.refunded_amount)
                   for line, qty in self._refund_lines(order, lines))

    def exchange_payment_in_tx(self, tx: Transaction, actor: Actor, order_id: str, amount: int,
                               exchange: dict) -> bool:
        """The first payment of an exchange's new order: ``amount`` carried over from the
        returned lines (``exchange``: {"order_id", "number", "refund_id"} of the original).
        Freezes the price like any first payment; True when it pays the order in full."""
        require(actor, "payment.take", what="taking payment")
        order = self._load(tx, order_id)
        if order.status != "open" or order.frozen or not order.lines:
            raise Conflict(_("order {number} cannot take an exchange now", number=order.number))
        from ..shifts.guard import require_open_shift
        require_open_shift(tx.conn, self.master.settings)
        self._check_order_stock(tx, order)
        self._check_coupons(tx, order)
        from ..aftersales.serials import check as check_serials
        check_serials(tx.conn, self.master, order_id)   # like any first payment
        pricing = self._price(order, tx.conn, tx.now())
        if not 0 <= amount <= pricing.total:
            raise Conflict(_("the exchange carries over more than the new order costs"))
        payment = {"id": str(uuid.uuid4()), "method": EXCHANGE, "amount": amount,
                   "tendered": amount, "change": 0, "reference": exchange["number"],
                   "idempotency_key": None}
        tx.append("order.payment_added", self._actor(actor), {
            "order_id": order_id, "payment": payment, "pricing": pricing.to_record(),
            "coupons": self._coupons_used(tx, order, pricing), "exchange": exchange})
        audit.info("exchange order=%s from=%s amount=%s by=%s", order.number,
                   exchange["number"], money.format_amount(amount), actor.staff_id)
        if amount == pricing.total:
            self._complete(tx, actor, order_id)
            return True
        return False

    @staticmethod
    def _check_credit_note(tx: Transaction, code: str, applied: int) -> None:
        """Refuse an unknown or used-up credit note, or more than is left on it."""
        from ..returns.codes import display
        row = tx.one("SELECT remaining FROM credit_notes WHERE code = ?", (code,))
        if row is None:
            raise NotFound(_("there is no credit note {code}", code=display(code)),
                           field="reference")
        if row[0] <= 0:
            raise Conflict(_("credit note {code} is used up", code=display(code)),
                           field="reference")
        if applied > row[0]:
            raise ValidationError(
                _("credit note {code} has {remaining} left: not enough to pay {amount}",
                  code=display(code), remaining=money.format_amount(row[0]),
                  amount=money.format_amount(applied)), field="amount")

    def _check_member_funds(self, tx: Transaction, order: model.Order, method: str,
                            applied: int, fen_per_point: int, payment: dict) -> None:
        """Refuse an overdraft of the member's balance or points (inside the transaction)."""
        from ..members.model import load_member
        member = load_member(tx.conn, order.member_id)
        if member is None:
            raise NotFound(_("member {member_id} does not exist", member_id=order.member_id))
        if not member.active:   # e.g. a card reported lost after it went on the order
            raise Conflict(_("member {name} is deactivated", name=member.name),
                           field="member_id")
        if method == "member_balance" and applied > member.balance:
            raise ValidationError(
                _("{name}'s balance is {balance}: not enough to pay {amount}", name=member.name,
                  balance=money.format_amount(member.balance),
                  amount=money.format_amount(applied)), field="amount")
        if method == "points":
            points = applied // fen_per_point
            if points > member.points:
                raise ValidationError(
                    _("{name} has {points} points (worth {value}): not enough to pay {amount}",
                      name=member.name, points=member.points,
                      value=money.format_amount(member.points * fen_per_point),
                      amount=money.format_amount(applied)), field="amount")
            payment["points"] = points

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
            "print_jobs": jobs, "member_id": order.member_id,
            "member_level": self._member_level(tx, order),
            "points": self._points_earned(tx, order),
            # The e-receipt link's signature, so head office (which has the journal, not the
            # box's key) can serve the page at web.ereceipt_url (docs/ereceipt.md).
            **({"ereceipt": self.ereceipt_mac(order_id)} if self.ereceipt_mac else {})})
        audit.info("sale order=%s receipt=%d total=%s by=%s", order.number, receipt_no,
                   money.format_amount(order.total), actor.staff_id)

    @staticmethod
    def _member_level(tx: Transaction, order: model.Order) -> str | None:
        """The member's level at the sale, for sales by level (a level can change later)."""
        if not order.member_id:
            return None
        row = tx.one("SELECT level_id FROM members WHERE id = ?", (order.member_id,))
        return row[0] if row else None

    @staticmethod
    def _points_earned(tx: Transaction, order: model.Order) -> dict | None:
        """Points for a member's sale: what was paid (less the part paid with points) on
        lines outside the level's excluded categories, at the level's rate, shared over
        those lines by their nets."""
        from ..members.model import level_of_member
        level = level_of_member(tx.conn, order.member_id)
        if level is None:
            return None
        excluded = set(level.get("excluded_categories", ()))
        eligible = [ln for ln in order.lines if ln.category_id not in excluded and ln.net]
        base = sum(ln.net for ln in eligible)
        by_points = sum(p.amount for p in order.live_payments if p.method == "points")
        if order.total:
            base = base * (order.total - by_points) // order.total
        earned = base * level.get("points_per_yuan_c", 0) // 10000 if order.total else 0
        parts = money.allocate(earned, [ln.net for ln in eligible]) if eligible else []
        return {"member_id": order.member_id, "earned": earned,
                "lines": {ln.line_id: n for ln, n in zip(eligible, parts) if n}}

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
               approver: Actor | None = None, restock: bool = True,
               reason_code: str | None = None) -> model.Refund:
        """Give back what was paid for some lines (all remaining ones when ``lines`` is None).

        The amount per line is its share of what the customer actually paid (after discounts
        and round-off), so refunding a line in parts never gives back more than it cost.
        ``tenders`` defaults to the order's own tenders, newest first; ``store_credit`` may
        stand for any part (the member's balance, or a credit note: docs/returns.md).
        """
        require(actor, "refund", what="refunding")
        reason = text(reason, "reason", 200, required=True)
        with self.ledger.transaction() as tx:
            refund_id = self.refund_in_tx(tx, actor, order_id, reason=reason, lines=lines,
                                          tenders=tenders, approver=approver, restock=restock,
                                          reason_code=reason_code)
            return next(r for r in self._load(tx, order_id).refunds if r.id == refund_id)

    def refund_in_tx(self, tx: Transaction, actor: Actor, order_id: str, *, reason: str,
                     lines=None, tenders=None, approver: Actor | None = None,
                     restock: bool = True, reason_code: str | None = None,
                     exchange: dict | None = None) -> str:
        """The refund inside the caller's transaction; returns the refund id.

        ``exchange`` ({"amount", "order_id", "number"}): that much of the refund is carried
        over to the new order of an exchange (an ``exchange`` tender) and ``tenders`` (or the
        order's own tenders) give back only the rest. The cashier's limit counts only what is
        given back; a sale older than ``returns.window_days`` always needs a manager."""
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
        carried = exchange["amount"] if exchange else 0
        if not 0 <= carried <= total:
            raise Conflict(_("the exchange carries over more than the returned lines are worth"))
        given = total - carried
        settings = self.master.settings
        limit = settings.get("orders.cashier_refund_limit")
        # The limit is per order: refunds nobody approved add up, so splitting one large
        # refund into small ones still needs a manager. Value carried over to an exchange
        # leaves the shop as goods, not money, and does not count.
        unapproved = sum(r.amount - sum(t["amount"] for t in r.tenders
                                        if t["method"] == EXCHANGE)
                         for r in order.refunds if r.approved_by is None)
        approved_by = None
        if unapproved + given > limit:
            approved_by = require(
                actor, "refund.over_limit", approver,
                what=f"refunds over {money.format_amount(limit)} on one order").staff_id
        window = settings.get("returns.window_days")
        if order.completed_at and approved_by is None:
            from ..clock import parse_ts
            age = tx.now() - parse_ts(order.completed_at)
            if age.days >= window:
                approved_by = require(
                    actor, "refund.over_limit", approver,
                    what=f"returns of sales older than {window} days").staff_id
        tender_rows = self._refund_tenders(tx, order, given, tenders) if given else []
        if tenders is not None and not given and tenders:
            raise ValidationError(_("nothing is given back: the exchange takes the whole"
                                    " returned value"), field="tenders")
        if exchange:
            tender_rows.insert(0, {"method": EXCHANGE, "amount": carried,
                                   "reference": exchange["number"],
                                   "order_id": exchange["order_id"]})
        self._member_tenders(order, tender_rows)
        print_jobs = self._store_credit_targets(tx, order, tender_rows)
        reversed_ = self._points_reversed(tx, order, refund_lines, tender_rows)
        refund_id = str(uuid.uuid4())
        data = {"order_id": order_id, "number": order.number, "refund_id": refund_id,
                "amount": total, "reason": reason, "approved_by": approved_by,
                "lines": refund_lines, "tenders": tender_rows, "stock": moves,
                "points_reversed": reversed_}
        if reason_code:
            data["reason_code"] = reason_code
        if exchange:
            data["exchange"] = {"order_id": exchange["order_id"], "number": exchange["number"]}
        if print_jobs:
            data["print_jobs"] = print_jobs
        tx.append("order.refunded", self._actor(actor), data)
        if reversed_ and reversed_["shortfall"]:
            audit.info("points reversal short order=%s member=%s wanted=%d shortfall=%d",
                       order.number, order.member_id,
                       reversed_["total"] + reversed_["shortfall"], reversed_["shortfall"])
        audit.info("refund order=%s amount=%s exchanged=%s by=%s approved_by=%s reason=%s",
                   order.number, money.format_amount(total), money.format_amount(carried),
                   actor.staff_id, approved_by, reason)
        return refund_id

    @staticmethod
    def _store_credit_targets(tx: Transaction, order: model.Order, rows: list[dict]
                              ) -> list[dict]:
        """Where store credit goes: the order's member's balance when the member is active,
        else a new credit note (an unguessable code, printed on a slip). A refund of what a
        credit note paid becomes store credit the same way. Returns the slips to print."""
        from ..returns.codes import new_code
        jobs = []
        member = None
        if order.member_id:
            row = tx.one("SELECT active FROM members WHERE id = ?", (order.member_id,))
            member = order.member_id if row and row[0] else None
        for row in rows:
            if row["method"] not in (STORE_CREDIT, "credit_note"):
                continue
            if member:
                row["member_id"] = member
            else:
                code = new_code()
                while tx.one("SELECT 1 FROM credit_notes WHERE code = ?", (code,)):
                    code = new_code()  # 80 random bits: never in practice
                row["credit_code"] = code
                jobs.append({"id": str(uuid.uuid4()), "kind": "report",
                             "payload": {"document": "credit_note", "code": code}})
        return jobs

    @staticmethod
    def _member_tenders(order: model.Order, rows: list[dict]) -> None:
        """Balance and points go back to the member's card; points in proportion to what
        the points payments were worth (all of them when all is refunded)."""
        pay_amount = sum(p.amount for p in order.live_payments if p.method == "points")
        pay_points = sum(p.points for p in order.live_payments if p.method == "points")
        back_amount = sum(t["amount"] for r in order.refunds for t in r.tenders
                          if t["method"] == "points")
        back_points = sum(t.get("points", 0) for r in order.refunds for t in r.tenders
                          if t["method"] == "points")
        for row in rows:
            if row["method"] not in MEMBER_METHODS:
                continue
            row["member_id"] = order.member_id
            if row["method"] == "points":
                back_amount += row["amount"]
                points = (pay_points if back_amount == pay_amount
                          else pay_points * back_amount // pay_amount) - back_points
                row["points"] = points
                back_points += points

    @staticmethod
    def _points_reversed(tx: Transaction, order: model.Order, refund_lines: list[dict],
                         rows: list[dict]) -> dict | None:
        """Take back what the order no longer earns: points follow what was paid other than
        in points, on the lines that earned them. What is left after this refund earns the
        same share of the original points as its base is of the original base, so the mix of
        tenders refunded (cash first or points first) never leaves points wrongly earned, and
        a full refund takes back everything. Never below zero: what the member has already
        spent is recorded as the shortfall."""
        earning = [ln for ln in order.lines if ln.points]
        if not earning or not order.member_id:
            return None
        now = {rl["line_id"]: rl["amount"] for rl in refund_lines}
        by_points = sum(p.amount for p in order.live_payments if p.method == "points")
        points_back = sum(t["amount"] for r in order.refunds for t in r.tenders
                          if t["method"] == "points") + \
            sum(t["amount"] for t in rows if t["method"] == "points")
        total_left = order.total - order.refunded - sum(now.values())

        def base(nets, total, points):
            return sum(nets) * (total - points) // total if total > 0 else 0
        base0 = base([ln.net for ln in earning], order.total, by_points)
        base1 = base([ln.net - ln.refunded_amount - now.get(ln.line_id, 0) for ln in earning],
                     total_left, by_points - points_back)
        earned = sum(ln.points for ln in earning)
        left = earned - sum(ln.points_reversed for ln in earning)
        keep = min(earned * base1 // base0, left) if base0 > 0 else 0
        want = left - keep
        if want <= 0:
            return None
        parts = money.allocate(want, [ln.points - ln.points_reversed for ln in earning])
        lines = {ln.line_id: n for ln, n in zip(earning, parts) if n}
        row = tx.one("SELECT points FROM members WHERE id = ?", (order.member_id,))
        # Points this same refund gives back (a points tender) are applied first.
        available = (row[0] if row else 0) + sum(t.get("points", 0) for t in rows
                                                 if t["method"] == "points")
        total = min(want, available)
        return {"member_id": order.member_id, "lines": lines, "total": total,
                "shortfall": want - total}

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
                # store credit given for what an exchange paid says so in its reference
                paid_as = (EXCHANGE if t["method"] == STORE_CREDIT
                           and t.get("reference") == EXCHANGE else t["method"])
                paid_by[paid_as] = paid_by.get(paid_as, 0) - t["amount"]
        if tenders is None:
            rows, left = [], total
            for p in reversed(order.live_payments):
                take = min(left, paid_by.get(p.method, 0))
                if take > 0:
                    if p.method == EXCHANGE:
                        # What goods from an exchange paid comes back as store credit (the
                        # member's balance or a credit note), never as nothing.
                        rows.append({"method": STORE_CREDIT, "amount": take,
                                     "reference": EXCHANGE})
                    else:
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
            if method not in METHODS and method != STORE_CREDIT:
                raise ValidationError(_("unknown refund method {method}",
                                        method=repr(method)), field="tenders")
            amount = _price(amount, "amount")
            if amount <= 0:
                raise ValidationError(_("refund tender amounts must be more than 0.00"),
                                      field="tenders")
            if method == STORE_CREDIT:
                # Store credit may stand for any part of what is given back.
                given += amount
                rows.append({"method": method, "amount": amount, "reference": ""})
                continue
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
        from ..stock.reasons import manual_reason
        note = text(note, "note", 200, multiline=True)
        reason = manual_reason(reason, note)
        product = self.master.catalog.find_product(product_id)
        if product is None:
            raise NotFound(_("product {product_id} does not exist", product_id=product_id))
        if variant_id:
            product.variant(variant_id)  # NotFound when the product has no such variant
        with self.ledger.transaction() as tx:
            tx.append("stock.adjusted", self._actor(actor), {
                "product_id": product_id, "variant_id": variant_id, "delta": delta,
                "reason": reason, "note": note})
            audit.info("stock adjusted product=%s variant=%s delta=%d by=%s reason=%s",
                       product_id, variant_id, delta, actor.staff_id, reason)
            return self._stock_in_tx(tx, product_id, variant_id)


def actor_for(staff, terminal: str = "counter") -> Actor:
    """Build an Actor from an authenticated Staff record."""
    if not staff.active:
        raise Forbidden(_("{name} is deactivated", name=staff.name))
    return Actor(staff.id, staff.role, terminal)


__all__ = ["OrderEngine", "PaymentResult", "Actor", "actor_for"]
