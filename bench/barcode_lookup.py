"""Barcode lookup latency with a catalog of N products (in-memory index), plus what the
index costs: loading the catalog and rebuilding the index, and one product edit (TinyDB
rewrites the whole file, through the atomic storage)."""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile

from common import CACHE, Timer, emit, summary_ms

from appliance.master import MasterData
from appliance.master.catalog import Product
from appliance.master.ean import make_internal_ean13


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=100_000)
    ap.add_argument("--lookups", type=int, default=20_000)
    args = ap.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    work = tempfile.mkdtemp(prefix="catalog-", dir=CACHE)
    try:
        products = [Product(id=f"p-{i:08d}", sku=f"SKU{i}", name=f"商品{i}", category_id=None,
                            unit="件", price=100 + i % 5000, cost=50,
                            barcodes=[make_internal_ean13("21", i)])
                    for i in range(args.products)]
        with MasterData(work) as master:
            with Timer() as write:
                master.catalog.replace_catalog([], products)
        with Timer() as load:
            master = MasterData(work)
            master.catalog.counts()
        rng = random.Random(1)
        codes = [make_internal_ean13("21", rng.randrange(args.products)) if i % 10 else
                 make_internal_ean13("22", i) for i in range(args.lookups)]  # 10% misses
        samples = []
        hits = 0
        for code in codes:
            with Timer() as t:
                found = master.catalog.lookup_barcode(code)
            samples.append(t.seconds)
            hits += found is not None
        p = master.catalog.get_product("p-00000007")
        p.price += 1
        with Timer() as edit:
            master.catalog.save_product(p)
        master.close()
        emit("barcode_lookup", {"products": args.products, "lookup": summary_ms(samples),
                                "hits": hits, "misses": len(codes) - hits,
                                "bulk_write_seconds": round(write.seconds, 2),
                                "load_and_index_seconds": round(load.seconds, 2),
                                "one_product_edit_ms": round(edit.seconds * 1000, 1)})
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
