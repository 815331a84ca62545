"""Durable sale commit latency (p50/p99) at 1k and 1M journal records, beside a bare
append+fsync of the same size to the same disk, sampled alternately in the same run.

The "sale commit" is the engine's add_payment that completes an order: one BEGIN IMMEDIATE
transaction appending order.payment_added and order.paid, updating the projections and the
print queue, committed with synchronous=FULL. It must stay flat as the journal grows.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time

from common import CACHE, Timer, emit, summary_ms
from ledger_fill import ASSISTANT, CASHIER, cached_shop, copy_shop

from appliance.ledger import Ledger
from appliance.master import MasterData
from appliance.orders import OrderEngine


def measure(size: int, samples: int, background: bool) -> dict:
    src = cached_shop(size)
    work = copy_shop(src)  # never disturb the cached fixture
    try:
        ledger = Ledger(work / "ledger.db")
        if background:
            ledger.start_background_checkpoints()
        master = MasterData(work / "master")
        engine = OrderEngine(ledger, master)
        products = master.catalog.list_products()[:2]
        records_before = ledger.head()[0]
        bare_path = work / "bare.log"
        fd = os.open(bare_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        payload = b"x" * 700 + b"\n"  # about one sale's two records
        sale, bare = [], []
        for _ in range(samples):
            order = engine.open_order(ASSISTANT)
            for p in products:
                engine.add_line(ASSISTANT, order.id, product_id=p.id)
            due = engine.due(engine.get_order(order.id))
            with Timer() as t:
                engine.add_payment(CASHIER, order.id, "cash", due)
            sale.append(t.seconds)
            with Timer() as t:
                os.write(fd, payload)
                os.fsync(fd)
            bare.append(t.seconds)
        os.close(fd)
        ledger.close()
        master.close()
        return {"journal_records": records_before, "sale_commit": summary_ms(sale),
                "bare_append_fsync": summary_ms(bare)}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,1000000")
    ap.add_argument("--samples", type=int, default=200)
    args = ap.parse_args()
    results = {}
    for size in [int(s) for s in args.sizes.split(",")]:
        t0 = time.perf_counter()
        cached_shop(size)
        fill_s = time.perf_counter() - t0
        auto = measure(size, args.samples, background=False)
        bg = measure(size, args.samples, background=True)
        results[str(size)] = {"journal_records": auto["journal_records"],
                              "sale_commit": bg["sale_commit"],
                              "sale_commit_checkpoint_in_commit": auto["sale_commit"],
                              "bare_append_fsync": bg["bare_append_fsync"],
                              "fill_seconds": round(fill_s, 1)}
    emit("ledger_commit", {"samples": args.samples, "cache": str(CACHE), "sizes": results})


if __name__ == "__main__":
    main()
