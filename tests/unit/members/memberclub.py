"""Shared by the member tests (imported, not a conftest: one conftest name is enough).

A test shop with members: the order engine, the member service and promotion rules all on
one ledger (tests/conftest.py's Shop)."""

from __future__ import annotations

from appliance.members import MemberService
from appliance.promotions.commands import PromotionAdmin

TEA = "6901234567892"      # 68.00, category 绿茶, stock-tracked


class Club:
    def __init__(self, shop):
        self.shop = shop
        self.engine = shop.engine
        self.members = MemberService(shop.ledger, shop.master, "Asia/Shanghai")
        self.promotions = PromotionAdmin(shop.ledger)

    def join(self, phone="13800138000", name="周女士", **extra):
        return self.members.sign_up(self.shop.assistant, name=name, phone=phone, **extra)

    def rule(self, doc):
        return self.promotions.save(self.shop.manager, doc)

    def order(self, *items, member=None):
        """An open order with items (barcodes or (product_id, qty)) and a member on it."""
        e, who = self.engine, self.shop.assistant
        order = e.open_order(who)
        for item in items:
            if isinstance(item, str):
                order = e.add_line(who, order.id, barcode=item)
            else:
                order = e.add_line(who, order.id, product_id=item[0], qty=item[1])
        if member is not None:
            order = e.set_member(who, order.id, member.id)
        return order

    def pay(self, order, method, amount, **kw):
        return self.engine.add_payment(self.shop.cashier, order.id, method, amount, **kw)

    def member(self, member_id):
        return self.members.summary(member_id)

    def replay_matches(self):
        from appliance.ledger.projections import replay, snapshot
        records = self.shop.ledger.records()
        with self.shop.ledger.reading() as conn:
            return snapshot(conn) == snapshot(replay(records))
