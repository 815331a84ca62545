"""Online orders from head office (``cmd/order.create``; docs/delivery.md, docs/mqtt.md).

The arguments are checked in full (products, prices, stock, the prepayment) before anything
is written, so a bad command leaves no half-made order behind. The order is then made with
the engine's own commands, in this order: opened, marked for delivery or pick-up (which
carries ``external_ref``, the idempotency key), items added, then either paid (prepaid:
the sale completes and its receipt prints) or parked for the counter; a pick slip is queued.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .. import money
from ..errors import Conflict, NotFound, TillboxError, ValidationError
from ..i18n import _
from ..tenders import METHODS, STORED_VALUE_METHODS
from ..validate import text

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")

MAX_LINES = 200


@dataclass
class OnlineLine:
    barcode: str
    product_id: str
    variant_id: str
    qty: int
    unit_price: int | None
    resolved: tuple = ()


@dataclass
class OnlineOrder:
    external_ref: str
    lines: list[OnlineLine]
    customer_name: str
    customer_phone: str
    fulfilment: dict
    note: str
    paid: dict | None = None

    @staticmethod
    def _dict(value, name: str, *, required: bool = True) -> dict:
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            raise ValidationError(_("{name} must be an object", name=name), field=name)
        return value

    @staticmethod
    def _int(value, name: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(_("{name} must be a whole number", name=name), field=name)
        if not low <= value <= high:
            raise ValidationError(_("{name} must be from {low} to {high}", name=name, low=low,
                                    high=high), field=name)
        return value

    @classmethod
    def parse(cls, args) -> "OnlineOrder":
        """The command's arguments, type-checked (no lookups yet)."""
        from . import Fulfilment
        args = cls._dict(args, "args")
        ref = text(args.get("external_ref"), "external_ref", 64, required=True)
        raw = args.get("lines")
        if not isinstance(raw, list) or not raw:
            raise ValidationError(_("lines must be a non-empty list"), field="lines")
        if len(raw) > MAX_LINES:
            raise ValidationError(_("an online order has at most {n} lines", n=MAX_LINES),
                                  field="lines")
        lines = []
        for i, item in enumerate(raw, start=1):
            where = f"lines[{i}]"
            item = cls._dict(item, where)
            barcode = text(item.get("barcode"), f"{where}.barcode", 48)
            product_id = text(item.get("product_id"), f"{where}.product_id", 64)
            if not barcode and not product_id:
                raise ValidationError(_("{name} needs a barcode or a product_id", name=where),
                                      field="lines")
            price = item.get("unit_price")
            lines.append(OnlineLine(
                barcode, product_id, text(item.get("variant_id"), f"{where}.variant_id", 64),
                cls._int(item.get("qty"), f"{where}.qty", 1, 9999),
                None if price is None else cls._int(price, f"{where}.unit_price", 0,
                                                    money.MAX_AMOUNT)))
        customer = cls._dict(args.get("customer"), "customer", required=False)
        from ..orders.engine import OrderEngine
        who = OrderEngine._customer_fields(customer.get("name"), customer.get("phone"),
                                           args.get("note"))
        ful = cls._dict(args.get("fulfilment"), "fulfilment")
        fields = Fulfilment._fields(ful.get("kind"), ful.get("recipient"),
                                    ful.get("phone"), ful.get("address"), ful.get("note"))
        paid = args.get("paid")
        if paid is not None:
            paid = cls._dict(paid, "paid")
            method = paid.get("method")
            # Not cash, and nothing only the box holds (a member's card, a credit note).
            if (not isinstance(method, str) or method not in METHODS
                    or method in STORED_VALUE_METHODS or method == "cash"):
                raise ValidationError(_("paid.method must be a tender head office takes, e.g."
                                        " transfer, wechat or alipay (not {value})",
                                        value=repr(method)), field="paid.method")
            paid = {"method": method,
                    "amount": cls._int(paid.get("amount"), "paid.amount", 1, money.MAX_AMOUNT),
                    "reference": text(paid.get("reference"), "paid.reference", 64)}
            if METHODS[method].needs_reference and not paid["reference"]:
                raise ValidationError(_("a {method} payment needs {reference_hint}",
                                        method=method,
                                        reference_hint=METHODS[method].reference_hint),
                                      field="paid.reference")
        return cls(ref, lines, who["customer_name"], who["customer_phone"], fields,
                   who["note"], paid)

    def check(self, ful) -> None:
        """Products, prices, stock and the prepayment, against this shop's data."""
        from ..orders.pricing import PricingLine
        from ..promotions.store import active_rules
        engine = ful.orders
        settings = ful.master.settings
        unknown, problems, wanted, priced = [], [], {}, []
        for i, ln in enumerate(self.lines, start=1):
            try:
                product, variant = engine._resolve(ln.barcode or None, ln.product_id or None,
                                                   ln.variant_id or None)
            except NotFound:
                unknown.append(ln.barcode or ln.product_id)
                continue
            except TillboxError as exc:
                problems.append(exc.message)
                continue
            ln.resolved = (product, variant)
            vid = variant.id if variant else ""
            if product.stock_tracked:
                key = (product.id, vid)
                wanted[key] = (wanted.get(key, (0, product.name))[0] + ln.qty, product.name)
            price = product.price_of(variant) if ln.unit_price is None else ln.unit_price
            priced.append(PricingLine(f"l{i}", product.id, vid, ln.qty, price,
                                      category_id=product.category_id or "", pos=i))
        if unknown:
            raise ValidationError(_("unknown products: {names}", names=", ".join(unknown)),
                                  field="lines")
        if problems:
            raise ValidationError("; ".join(problems), field="lines")
        if not settings.get("orders.allow_negative_stock"):
            for (pid, vid), (qty, name) in wanted.items():
                have = engine.stock_level(pid, vid)
                if qty > have:
                    problems.append(_("only {have} of {name} in stock, {qty} ordered",
                                      have=have, name=name, qty=qty))
            if problems:
                raise ValidationError("; ".join(problems), field="lines")
        if self.paid is not None:
            if self.paid["method"] not in settings.get("tenders.enabled"):
                raise ValidationError(_("payment method {method} is switched off in the"
                                        " settings", method=self.paid["method"]),
                                      field="paid.method")
            from ..shifts.guard import require_open_shift
            with ful.ledger.reading() as conn:
                require_open_shift(conn, settings)
                rules = active_rules(conn)
            due = engine._price_lines(priced, rules, ful.ledger.now(), None, (),
                                      {"external_ref": self.external_ref}).total
            if self.paid["amount"] != due:
                raise ValidationError(
                    _("paid.amount {amount} is not the order's total here ({total})",
                      amount=money.format_amount(self.paid["amount"]),
                      total=money.format_amount(due)), field="paid.amount")

    def create(self, ful, printing):
        """Write the order (checked already). Returns the order as it ends."""
        from . import head_office_actor
        engine = ful.orders
        actor = head_office_actor()
        journal = {**actor.journal(ful.ledger.device_id), "role": "head_office"}
        # One transaction (the engine's own become savepoints): a power cut part-way leaves
        # no half-made order behind, and head office's retry makes it whole.
        with ful.ledger.transaction():
            order = engine.open_order(actor, customer_name=self.customer_name,
                                      customer_phone=self.customer_phone, note=self.note)
            ful.set(actor, order.id, **self.fulfilment, source="head_office",
                    external_ref=self.external_ref, journal_actor=journal)
            try:
                for ln in self.lines:
                    product, variant = ln.resolved
                    order = engine.add_line(actor, order.id, product_id=product.id,
                                            variant_id=variant.id if variant else None,
                                            qty=ln.qty, unit_price=ln.unit_price)
                if self.paid is not None:
                    res = engine.add_payment(actor, order.id, self.paid["method"],
                                             self.paid["amount"], reference=self.paid["reference"],
                                             idempotency_key=f"ho:{self.external_ref}"[:64])
                    order = res.order
                    if not res.completed:   # the checks above make this impossible
                        raise Conflict(_("the prepayment did not settle order {number}",
                                         number=order.number))
                else:
                    order = engine.park(actor, order.id)
            except TillboxError:
                log.warning("online order %s refused half-way; nothing kept", self.external_ref)
                raise
            job = printing.add_report({"document": "pick_slip", "order_id": order.id},
                                      prefix="pick")
        audit.info("online order %s from head office: order=%s lines=%d prepaid=%s"
                   " pick_slip=%s", self.external_ref, order.number, len(self.lines),
                   money.format_amount(self.paid["amount"]) if self.paid else "no", job)
        return order

