"""Shared fixtures: a box in a temp directory with a small catalog and staff of every role."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from appliance.clock import FixedClock
from appliance.ledger import Ledger
from appliance.master import MasterData
from appliance.master.catalog import Category, Product, Variant
from appliance.orders import Actor, OrderEngine


class Shop:
    """A test shop: ledger + master data + engine, and one Actor per role."""

    def __init__(self, tmp_path, clock):
        self.clock = clock
        self.ledger = Ledger(tmp_path / "ledger.db", clock=clock)
        self.master = MasterData(tmp_path / "master")
        self.engine = OrderEngine(self.ledger, self.master)
        cat = self.master.catalog.save_category(Category(id="", name="绿茶", name_en="Green tea"))
        self.tea = self.master.catalog.save_product(Product(
            id="", sku="TEA-1", name="西湖龙井", category_id=cat.id, unit="盒", price=6800,
            cost=4000, barcodes=["6901234567892"]))
        self.cup = self.master.catalog.save_product(Product(
            id="", sku="CUP-1", name="汝窑茶杯", category_id=cat.id, unit="只", price=3500,
            cost=1500, barcodes=[], variants=[
                Variant(id="", spec={"颜色": "天青"}, sku="CUP-1-B", barcodes=["2000000000015"]),
                Variant(id="", spec={"颜色": "月白"}, sku="CUP-1-W", price=3900,
                        barcodes=["2000000000022"])]))
        self.wrap = self.master.catalog.save_product(Product(
            id="", sku="SVC-1", name="礼品包装", category_id=None, unit="次", price=500, cost=0,
            barcodes=[], stock_tracked=False))
        self.owner = Actor("s-owner", "owner", "counter")
        self.manager = Actor("s-manager", "manager", "counter")
        self.cashier = Actor("s-cashier", "cashier", "counter")
        self.assistant = Actor("s-assistant", "assistant", "phone-1")

    def close(self):
        self.master.close()
        self.ledger.close()

    def sale(self, *items, method="cash", amount=None, reference=""):
        """Open, add items (barcodes or (product_id, variant_id, qty)), pay in full."""
        e = self.engine
        order = e.open_order(self.assistant)
        for item in items:
            if isinstance(item, str):
                order = e.add_line(self.assistant, order.id, barcode=item)
            else:
                pid, vid, qty = item
                order = e.add_line(self.assistant, order.id, product_id=pid, variant_id=vid,
                                   qty=qty)
        due = e.due(order)
        return e.add_payment(self.cashier, order.id, method, due if amount is None else amount,
                             reference=reference)


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 11, 26, 2, 30, tzinfo=timezone.utc))


@pytest.fixture
def shop(tmp_path, clock):
    s = Shop(tmp_path, clock)
    yield s
    s.close()


@pytest.fixture
def make_shop(tmp_path_factory):
    """For property tests: a fresh shop per example (a function fixture is shared by all)."""
    made = []

    def make():
        s = Shop(tmp_path_factory.mktemp("shop"),
                 FixedClock(datetime(2026, 11, 26, 2, 30, tzinfo=timezone.utc)))
        made.append(s)
        return s
    yield make
    for s in made:
        s.close()
