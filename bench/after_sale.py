"""Customers after the sale over a big journal (issue 10; docs/returns.md, docs/ereceipt.md).

A copy of the cached shop (bench/ledger_fill.py, 1M records by default) gets a few hundred
sales to customers with phone numbers (some delivered, some with a ticket), then:

- ``find_by_phone`` / ``find_by_number``: the returns panel finding the original sale
  (a phone has no index: every paid order's phone is compared);
- ``ereceipt_box``: what the box's e-receipt page reads for one order (receipt, status,
  delivery, tickets, feedback);
- ``ereceipt_head_office``: the same page from head office's copy of the journal (every
  record copied into a head-office SQLite store), for a real link and for a forged one.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from common import Timer, emit, timed

from ledger_fill import ASSISTANT, CASHIER, cached_shop, copy_shop, make_shop

from appliance.aftersales import AfterSales
from appliance.fulfilment import Fulfilment
from appliance.headoffice.ereceipt import Reader
from appliance.headoffice.store import open_store
from appliance.orders import Actor
from appliance.returns import Returns

MANAGER = Actor("s-m", "manager", "counter")


class _Box:
    """Just what appliance.ereceipt.page_view reads."""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--customers", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    work = copy_shop(cached_shop(args.records))
    ho_dir = Path(tempfile.mkdtemp(prefix="ho-"))
    try:
        ledger, master, engine = make_shop(work)
        ful = Fulfilment(ledger, master, "Asia/Shanghai", orders=engine)
        desk = AfterSales(ledger, master, "Asia/Shanghai")
        product = master.catalog.list_products()[0]
        orders = []
        with ledger.transaction():
            for i in range(args.customers):
                o = engine.open_order(ASSISTANT, customer_phone=f"1390000{i:04d}")
                engine.add_line(ASSISTANT, o.id, product_id=product.id)
                o = engine.add_payment(CASHIER, o.id, "cash", 1000).order
                if i % 3 == 0:
                    ful.set(ASSISTANT, o.id, kind="delivery", recipient="顾客",
                            phone=f"1390000{i:04d}", address="某路 1 号")
                    ful.update(ASSISTANT, o.id, "packed")
                if i % 5 == 0:
                    desk.open_for_customer(o.id, "complaint", "包装破损")
                orders.append(o)
        returns = Returns(ledger, master, "Asia/Shanghai", orders=engine)
        target = orders[len(orders) // 2]
        phone = target.customer_phone
        box = _Box()
        box.ledger, box.master, box.orders = ledger, master, engine
        box.fulfilment, box.aftersales = ful, desk
        from appliance.ereceipt import page_view
        from appliance.members import MemberService
        box.members = MemberService(ledger, master, "Asia/Shanghai")
        box.public_url, box.receipt_key = "", "k"
        box.config = type("C", (), {"shop": type("S", (), {"timezone": "Asia/Shanghai"}),
                                    "web": type("W", (), {"ereceipt_url": ""})})()
        results = {
            "find_by_phone": timed(lambda: returns.find_sales(CASHIER, phone=phone),
                                   args.repeat),
            "find_by_number": timed(lambda: returns.find_sales(CASHIER, number=target.number),
                                    args.repeat),
            "ereceipt_box": timed(lambda: page_view(box, engine.get_order(target.id)),
                                  args.repeat),
        }
        records = ledger.head()[0]
        db = open_store(f"sqlite:///{ho_dir}/ho.db")
        with Timer() as copy_time:
            with db.transaction():
                for rec in ledger.records():
                    db.insert_record("s", "d", rec, rec.ts, "bench")
        reader = Reader(db)
        results["ereceipt_head_office"] = timed(lambda: reader.view("s", "d", target.id),
                                                max(3, args.repeat // 4))
        results["forged_link_head_office"] = timed(
            lambda: reader.signature("s", "d", f"{target.id}.AAAAAAAAAAAAAAAA"),
            max(3, args.repeat // 4))
        db.close()
        ledger.close()
        master.close()
        emit("after_sale", {"records": records, "customers": args.customers,
                            "head_office_copy_s": round(copy_time.seconds, 1), **results})
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(ho_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
