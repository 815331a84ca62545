"""Shared by the shift tests (imported, not a conftest): a test shop (tests/conftest.py's Shop)
with its shift desk and member service on the same ledger, and a cash count helper."""

from __future__ import annotations

from appliance.members import MemberService
from appliance.orders import Actor
from appliance.shifts import ShiftDesk

TEA = "6901234567892"      # 68.00, category 绿茶, stock-tracked


def counter_people(web) -> tuple[Actor, Actor]:
    """The cashier and the manager of tests/conftest.py's ``web`` box, at the counter."""
    return (Actor(web.staff_ids["cashier"], "cashier", "counter"),
            Actor(web.staff_ids["manager"], "manager", "counter"))


def shift_with_a_cash_sale(web, float_: int, tendered: int) -> tuple[Actor, Actor]:
    """A shift opened with ``float_`` and one tea (68.00) paid with ``tendered`` cash."""
    box = web.box
    cashier, manager = counter_people(web)
    box.shifts.open(cashier, float_)
    order = box.orders.open_order(cashier)
    box.orders.add_line(cashier, order.id, barcode=TEA)
    box.orders.add_payment(cashier, order.id, "cash", tendered)
    return cashier, manager


def counts_for(amount: int) -> dict[str, int]:
    """The fewest notes and coins that make ``amount`` fen (a multiple of 0.10), as a count
    by denomination; worked out here by hand, not with the code under test."""
    assert amount >= 0 and amount % 10 == 0, amount
    out = {}
    for value in (10000, 5000, 2000, 1000, 500, 100, 50, 10):
        n, amount = divmod(amount, value)
        if n:
            out[str(value)] = n
    return out


class Till:
    def __init__(self, shop):
        self.shop = shop
        self.engine = shop.engine
        self.desk = ShiftDesk(shop.ledger, shop.master, "Asia/Shanghai")
        self.members = MemberService(shop.ledger, shop.master, "Asia/Shanghai")

    def order(self, *barcodes, who=None):
        e, who = self.engine, who or self.shop.assistant
        order = e.open_order(who)
        for code in barcodes:
            order = e.add_line(who, order.id, barcode=code)
        return order

    def pay(self, order, method, amount, **kw):
        return self.engine.add_payment(self.shop.cashier, order.id, method, amount, **kw)
