"""The audit page over a journal of 1M records (issue 9; docs/staff-audit.md).

A copy of the cached 1M-record shop (bench/ledger_fill.py: sales, 400k ordinary lines) gets
a few hundred sensitive actions spread through it at the end (drawer opens, price
overrides, refunds), then the audit trail is read as the page does: the first page of
everything (the worst case: every ordinary line must be told from an override), a page of
one kind, a page of one day, a page for one person, the page after the last action (every
ordinary line looked at in vain: the worst case), and the CSV of everything.
"""

from __future__ import annotations

import argparse
import shutil

from common import emit, timed

from ledger_fill import ASSISTANT, CASHIER, cached_shop, copy_shop, make_shop

from appliance.audit_trail import AuditTrail
from appliance.orders import Actor

OWNER = Actor("s-o", "owner", "counter")
MANAGER = Actor("s-m", "manager", "counter")


def add_sensitive(engine, ledger, n: int) -> None:
    products = engine.master.catalog.list_products()[:2]
    with ledger.transaction():
        for i in range(n):
            engine.open_drawer(CASHIER, f"零钱 {i}")
            order = engine.open_order(ASSISTANT)
            order = engine.add_line(ASSISTANT, order.id, product_id=products[0].id,
                                    unit_price=800, approver=MANAGER)
            paid = engine.add_payment(CASHIER, order.id, "cash", 800).order
            engine.refund(CASHIER, paid.id, reason="退货")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--sensitive", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    work = copy_shop(cached_shop(args.records))
    try:
        ledger, master, engine = make_shop(work)
        records_before = ledger.head()[0]
        add_sensitive(engine, ledger, args.sensitive)
        trail = AuditTrail(ledger, master, "Asia/Shanghai")
        today = engine.today()
        day = f"{today[:4]}-{today[4:6]}-{today[6:]}"
        first_sensitive = records_before + 1
        results = {
            "first_page_everything": timed(lambda: trail.list(OWNER, limit=50), args.repeat),
            "first_page_price_overrides": timed(
                lambda: trail.list(OWNER, kind="price_override", limit=50), args.repeat),
            "first_page_refunds": timed(lambda: trail.list(OWNER, kind="refund", limit=50),
                                        args.repeat),
            "one_day": timed(lambda: trail.list(OWNER, first_day=day, last_day=day, limit=50),
                             args.repeat),
            "one_person": timed(lambda: trail.list(OWNER, staff=MANAGER.staff_id, limit=50),
                                args.repeat),
            # the worst case: nothing sensitive among the 1M older records, so every
            # ordinary line is looked at once before the page comes back empty
            "page_older_than_any_action": timed(
                lambda: trail.list(OWNER, before=first_sensitive, limit=50), args.repeat),
            "csv_everything": timed(lambda: trail.csv(OWNER), 1),
        }
        records = ledger.head()[0]
        ledger.close()
        master.close()
        emit("audit_page", {"records": records, "sensitive_actions": 4 * args.sensitive,
                            **results})
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
