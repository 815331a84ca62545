"""Read models of an order, loaded from the projections; ``to_json`` gives the API shape."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..money import format_amount


@dataclass
class Line:
    line_id: str
    pos: int
    product_id: str
    variant_id: str
    sku: str
    barcode: str
    name: str
    spec: str
    unit: str
    qty: int
    list_price: int
    unit_price: int
    cost: int
    override_by: str | None
    stock_tracked: bool
    amount: int
    discount: int
    net: int | None
    refunded_qty: int
    refunded_amount: int
    category_id: str = ""
    points: int = 0               # earned by this line when the order was paid
    points_reversed: int = 0      # taken back by refunds (shortfalls included)

    def to_json(self) -> dict:
        return {"id": self.line_id, "product_id": self.product_id,
                "variant_id": self.variant_id or None, "sku": self.sku,
                "barcode": self.barcode, "name": self.name, "spec": self.spec,
                "unit": self.unit, "qty": self.qty, "list_price": format_amount(self.list_price),
                "unit_price": format_amount(self.unit_price),
                "price_overridden": self.override_by is not None,
                "amount": format_amount(self.amount), "discount": format_amount(self.discount),
                "net": format_amount(self.net) if self.net is not None else None,
                "refunded_qty": self.refunded_qty,
                "refunded_amount": format_amount(self.refunded_amount),
                "category_id": self.category_id or None, "points": self.points}


@dataclass
class Payment:
    id: str
    method: str
    amount: int
    tendered: int
    change: int
    reference: str
    idempotency_key: str | None
    taken_by: str
    taken_at: str
    voided: bool
    member_id: str | None = None
    points: int = 0               # points spent by a points payment
    stored_change: int = 0        # 存零: change put on the member's card

    def to_json(self) -> dict:
        return {"id": self.id, "method": self.method, "amount": format_amount(self.amount),
                "tendered": format_amount(self.tendered), "change": format_amount(self.change),
                "reference": self.reference, "taken_by": self.taken_by,
                "taken_at": self.taken_at, "voided": self.voided,
                "points": self.points, "stored_change": format_amount(self.stored_change)}


@dataclass
class Refund:
    id: str
    amount: int
    reason: str
    refunded_by: str
    approved_by: str | None
    refunded_at: str
    lines: list[dict]
    tenders: list[dict]

    def to_json(self) -> dict:
        return {"id": self.id, "amount": format_amount(self.amount), "reason": self.reason,
                "refunded_by": self.refunded_by, "approved_by": self.approved_by,
                "refunded_at": self.refunded_at,
                "lines": [{"line_id": ln["line_id"], "qty": ln["qty"],
                           "amount": format_amount(ln["amount"])} for ln in self.lines],
                "tenders": [{"method": t["method"], "amount": format_amount(t["amount"]),
                             "reference": t["reference"], "points": t.get("points", 0)}
                            for t in self.tenders]}


@dataclass
class Order:
    id: str
    number: str
    business_day: str
    status: str
    version: int
    terminal: str
    opened_by: str
    opened_at: str
    updated_at: str
    customer_name: str
    customer_phone: str
    note: str
    subtotal: int
    discount: int
    rounding: int
    total: int | None
    adjustments: list
    paid: int
    change_given: int
    refunded: int
    receipt_no: int | None
    completed_at: str | None
    completed_by: str | None
    cancel_reason: str | None
    member_id: str | None
    coupons: list[str]
    points_earned: int
    lines: list[Line] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)

    @property
    def live_payments(self) -> list[Payment]:
        return [p for p in self.payments if not p.voided]

    @property
    def frozen(self) -> bool:
        """Lines cannot change once money has been taken (void the payments to edit)."""
        return self.total is not None

    def line(self, line_id: str) -> Line | None:
        return next((ln for ln in self.lines if ln.line_id == line_id), None)

    def to_json(self, due: int | None = None) -> dict:
        total = self.total if self.total is not None else due
        return {
            "id": self.id, "number": self.number, "status": self.status,
            "version": self.version, "terminal": self.terminal, "opened_by": self.opened_by,
            "opened_at": self.opened_at, "updated_at": self.updated_at,
            "customer": {"name": self.customer_name, "phone": self.customer_phone},
            "note": self.note,
            "lines": [ln.to_json() for ln in self.lines],
            "subtotal": format_amount(self.subtotal),
            "discount": format_amount(self.discount), "rounding": format_amount(self.rounding),
            "adjustments": [{**a, "amount": format_amount(a["amount"])} for a in self.adjustments],
            "total": format_amount(total) if total is not None else None,
            "paid": format_amount(self.paid),
            "due": format_amount(max(total - self.paid, 0)) if total is not None else None,
            "change": format_amount(self.change_given),
            "refunded": format_amount(self.refunded),
            "receipt_no": self.receipt_no, "completed_at": self.completed_at,
            "completed_by": self.completed_by, "cancel_reason": self.cancel_reason,
            "payments": [p.to_json() for p in self.payments],
            "refunds": [r.to_json() for r in self.refunds],
            "member_id": self.member_id, "coupons": list(self.coupons),
            "points_earned": self.points_earned,
        }


ORDER_COLUMNS = ("id, number, business_day, status, version, terminal, opened_by, opened_at,"
                 " updated_at, customer_name, customer_phone, note, subtotal, discount, rounding,"
                 " total, adjustments, paid, change_given, refunded, receipt_no, completed_at,"
                 " completed_by, cancel_reason, member_id, coupons, points_earned")


def load_order(conn, order_id: str, *, with_details: bool = True) -> Order | None:
    row = conn.execute(f"SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?", (order_id,)).fetchone()
    if row is None:
        return None
    return _order_from_row(conn, row, with_details)


def _order_from_row(conn, row, with_details: bool) -> Order:
    values = list(row)
    values[16] = json.loads(values[16])
    values[25] = json.loads(values[25] or "[]")
    order = Order(*values)
    if not with_details:
        return order
    order.lines = [Line(*r[:14], bool(r[14]), *r[15:]) for r in conn.execute(
        "SELECT line_id, pos, product_id, variant_id, sku, barcode, name, spec, unit, qty,"
        " list_price, unit_price, cost, override_by, stock_tracked, amount, discount, net,"
        " refunded_qty, refunded_amount, category_id, points, points_reversed FROM order_lines WHERE order_id = ? ORDER BY pos",
        (order.id,))]
    order.payments = [Payment(*r[:9], bool(r[9]), *r[10:]) for r in conn.execute(
        "SELECT id, method, amount, tendered, change, reference, idempotency_key, taken_by,"
        " taken_at, voided, member_id, points, stored_change FROM payments WHERE order_id = ? ORDER BY seq", (order.id,))]
    order.refunds = []
    for r in conn.execute("SELECT id, amount, reason, refunded_by, approved_by, refunded_at"
                          " FROM refunds WHERE order_id = ? ORDER BY seq", (order.id,)).fetchall():
        lines = [{"line_id": a, "qty": b, "amount": c, "restock": bool(d)} for a, b, c, d in
                 conn.execute("SELECT line_id, qty, amount, restock FROM refund_lines"
                              " WHERE refund_id = ?", (r[0],))]
        tenders = [{"method": a, "amount": b, "reference": c, "points": d} for a, b, c, d in
                   conn.execute("SELECT method, amount, reference, points FROM refund_tenders"
                                " WHERE refund_id = ? ORDER BY pos", (r[0],))]
        order.refunds.append(Refund(*r, lines, tenders))
    return order


def list_orders(conn, *, status: str | None = None, business_day: str | None = None,
                limit: int = 100) -> list[Order]:
    where, params = [], []
    if status:
        where.append("status = ?")
        params.append(status)
    if business_day:
        where.append("business_day = ?")
        params.append(business_day)
    sql = f"SELECT {ORDER_COLUMNS} FROM orders"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY updated_at DESC LIMIT ?"
    params.append(limit)
    return [_order_from_row(conn, r, True) for r in conn.execute(sql, params).fetchall()]
