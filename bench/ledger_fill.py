"""Build a ledger of N journal records of real sales through the engine (cached by size).

Sales are batched many to a transaction (nested engine transactions become savepoints), so a
million records take minutes, not the hours that one fsync per command would.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from common import CACHE  # noqa: F401  (sets sys.path)

from appliance.ledger import Ledger
from appliance.master import MasterData
from appliance.master.catalog import Product
from appliance.orders import Actor, OrderEngine

ASSISTANT = Actor("s-a", "assistant", "phone")
CASHIER = Actor("s-c", "cashier", "counter")
RECORDS_PER_SALE = 5  # opened, 2 x line_added, payment_added, paid


def make_shop(directory: Path) -> tuple[Ledger, MasterData, OrderEngine]:
    directory.mkdir(parents=True, exist_ok=True)
    ledger = Ledger(directory / "ledger.db")
    master = MasterData(directory / "master")
    if not master.catalog.counts()["products"]:
        for i in range(2):
            master.catalog.save_product(Product(
                id="", sku=f"B{i}", name=f"基准商品{i}", category_id=None, unit="件",
                price=1000 + i * 250, cost=500, barcodes=[]))
    return ledger, master, OrderEngine(ledger, master)


def sell(engine: OrderEngine, products) -> None:
    order = engine.open_order(ASSISTANT)
    for p in products:
        engine.add_line(ASSISTANT, order.id, product_id=p.id)
    order = engine.get_order(order.id)
    engine.add_payment(CASHIER, order.id, "cash", engine.due(order) + 50)


def fill(ledger: Ledger, master: MasterData, engine: OrderEngine, records: int,
         batch_sales: int = 400) -> None:
    products = master.catalog.list_products()[:2]
    while ledger.head()[0] + RECORDS_PER_SALE <= records:
        left = (records - ledger.head()[0]) // RECORDS_PER_SALE
        with ledger.transaction():
            for _ in range(min(batch_sales, left)):
                sell(engine, products)


def cached_shop(records: int) -> Path:
    """A directory holding a shop whose journal has about ``records`` records."""
    target = CACHE / f"shop-{records}"
    if (target / "ready").exists():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="fill-", dir=CACHE))
    ledger, master, engine = make_shop(work)
    fill(ledger, master, engine, records)
    ledger.close()
    master.close()
    (work / "ready").write_text("ok")
    shutil.rmtree(target, ignore_errors=True)
    work.rename(target)
    return target


def copy_shop(src: Path) -> Path:
    dst = Path(tempfile.mkdtemp(prefix="shop-", dir=CACHE))
    shutil.copytree(src, dst, dirs_exist_ok=True)
    return dst
