"""Time to build the month report from 100k orders (issue 9).

The ledger's projections are filled directly with SQL in one transaction (orders, lines,
payments, refunds, members, stock levels, visitors for one month of 31 days, opening hours
09:00-22:00 shop time): the report reads only projections, and ringing 100k orders through
the engine would take minutes for the same rows. Cached by size in the bench cache.

Cold: the ledger file is dropped from the OS page cache first (posix_fadvise DONTNEED, no
root needed) and the report opens its own read-only connection, as every report does.
Warm: the same report again from a new Reports (nothing remembered); "remembered": again from
the same one (days before today are kept in memory: they cannot change). Meanwhile a writer
thread keeps committing small transactions through the ledger's own connection, to show that
a report does not hold up the sale path.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import tempfile
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from common import CACHE, Timer, emit, summary_ms

from appliance.clock import FixedClock, format_ts
from appliance.ledger import Ledger
from appliance.master import MasterData
from appliance.master.catalog import Category, Product
from appliance.reports import Reports
from appliance.reports.export import section_csv

TZ = ZoneInfo("Asia/Shanghai")
MONTH = date(2026, 10, 1)
DAYS = 31
METHODS = ("cash", "wechat", "alipay", "card")
LEVELS = ("lv-normal", "lv-silver", "lv-gold")


def build_shop(directory: Path, orders: int, products: int, seed: int = 9) -> None:
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    cats = [Category(id=f"c-{i:02d}", name=f"类别{i}") for i in range(20)]
    prods = [Product(id=f"p-{i:05d}", sku=f"M{i}", name=f"月报商品{i}",
                     category_id=cats[i % 20].id, unit="件", price=500 + (i * 37) % 20000,
                     cost=300 + (i * 23) % 9000, barcodes=[]) for i in range(products)]
    with MasterData(directory / "master") as master:
        master.catalog.replace_catalog(cats, prods)
    end = datetime.combine(MONTH + timedelta(days=DAYS + 1), datetime.min.time(), TZ)
    ledger = Ledger(directory / "ledger.db", clock=FixedClock(end))
    conn = ledger._conn   # the bench fills projections as one bulk load, outside the engine
    staff = [f"s-{i}" for i in range(8)]
    moments = sorted(
        datetime.combine(MONTH + timedelta(days=rng.randrange(DAYS)), datetime.min.time(), TZ)
        + timedelta(seconds=rng.randrange(9 * 3600, 22 * 3600)) for _ in range(orders))
    order_rows, line_rows, pay_rows, refund_rows, rline_rows, rtender_rows = ([] for _ in range(6))
    for n, moment in enumerate(moments, 1):
        oid, ts = f"o-{n:07d}", format_ts(moment)
        lines, total = [], 0
        for pos in range(1, rng.randint(1, 4) + 1):
            p = prods[rng.randrange(products)]
            qty = rng.randint(1, 3)
            lines.append((oid, f"l{pos}", pos, p.id, "", p.name, qty, p.price, p.price, p.cost,
                          1, p.price * qty, p.price * qty, p.category_id))
            total += p.price * qty
        member = f"m-{rng.randrange(2000):04d}" if rng.random() < 0.3 else None
        order_rows.append((oid, f"{moment.date():%Y%m%d}-{n:06d}", moment.date().isoformat(),
                           "paid", 5, "counter", rng.choice(staff), format_ts(moment - timedelta(
                               minutes=3)), ts, total, total, total, n, ts, rng.choice(staff),
                           n * 5, member, rng.choice(LEVELS) if member else None))
        line_rows += lines
        split = total // 3 if rng.random() < 0.1 else 0
        for i, amount in enumerate((total - split, split)):
            if amount:
                method = rng.choice(METHODS)
                pay_rows.append((f"{oid}-p{i}", oid, method, amount, amount, 0, staff[0], ts,
                                 n * 5))
        if rng.random() < 0.02:   # refunded in full a day later
            rid, when = f"r-{n:07d}", format_ts(moment + timedelta(days=1))
            refund_rows.append((rid, oid, total, rng.choice(("damaged", "changed mind")),
                                staff[0], when, n * 5 + 1))
            rline_rows += [(rid, ln[1], ln[6], ln[11], 1) for ln in lines]
            rtender_rows.append((rid, 0, "cash", total))
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO orders (id, number, business_day, status, version, terminal, opened_by,"
        " opened_at, updated_at, subtotal, total, paid, receipt_no, completed_at, completed_by,"
        " last_seq, member_id, member_level) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        order_rows)
    conn.executemany(
        "INSERT INTO order_lines (order_id, line_id, pos, product_id, variant_id, name, qty,"
        " list_price, unit_price, cost, stock_tracked, amount, net, category_id)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", line_rows)
    conn.executemany("INSERT INTO payments (id, order_id, method, amount, tendered, change,"
                     " taken_by, taken_at, seq) VALUES (?,?,?,?,?,?,?,?,?)", pay_rows)
    conn.executemany("INSERT INTO refunds (id, order_id, amount, reason, refunded_by,"
                     " refunded_at, seq) VALUES (?,?,?,?,?,?,?)", refund_rows)
    conn.executemany("INSERT INTO refund_lines (refund_id, line_id, qty, amount, restock)"
                     " VALUES (?,?,?,?,?)", rline_rows)
    conn.executemany("INSERT INTO refund_tenders (refund_id, pos, method, amount)"
                     " VALUES (?,?,?,?)", rtender_rows)
    conn.executemany("INSERT INTO member_levels (id, doc, sort, last_seq) VALUES (?,?,?,1)",
                     [(lv, f'{{"id": "{lv}", "name": "{lv}"}}', i) for i, lv in enumerate(LEVELS)])
    conn.executemany("INSERT INTO members (id, phone, name, level_id, joined_at, joined_by,"
                     " last_seq) VALUES (?,?,?,?,?,?,1)",
                     [(f"m-{i:04d}", f"1380000{i:04d}", f"会员{i}", LEVELS[i % 3], "", "s-0")
                      for i in range(2000)])
    conn.executemany("INSERT INTO stock_levels (product_id, variant_id, qty, last_seq)"
                     " VALUES (?, '', ?, 1)", [(p.id, rng.randint(0, 50)) for p in prods])
    conn.executemany("INSERT INTO visitors (hour, count) VALUES (?, ?)",
                     [(f"{MONTH + timedelta(days=d)}T{h:02d}", rng.randint(20, 150))
                      for d in range(DAYS) for h in range(9, 22)])
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ledger.close()


def cached(orders: int, products: int) -> Path:
    target = CACHE / f"month-{orders}-{products}"
    if (target / "ready").exists():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="month-", dir=CACHE))
    build_shop(work, orders, products)
    (work / "ready").write_text("ok")
    shutil.rmtree(target, ignore_errors=True)
    work.rename(target)
    return target


def drop_from_page_cache(path: Path) -> None:
    for p in (path, path.with_name(path.name + "-wal")):
        if p.exists():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--products", type=int, default=500)
    ap.add_argument("--warm", type=int, default=5, help="warm repeats")
    args = ap.parse_args()
    with Timer() as fill:
        src = cached(args.orders, args.products)
    work = Path(tempfile.mkdtemp(prefix="month-run-", dir=CACHE))
    try:
        shutil.copytree(src, work, dirs_exist_ok=True)
        end = datetime.combine(MONTH + timedelta(days=DAYS), datetime.min.time(), TZ)
        ledger = Ledger(work / "ledger.db", clock=FixedClock(end.astimezone(timezone.utc)))
        master = MasterData(work / "master")
        reports = Reports(ledger, master, "Asia/Shanghai")
        month = reports.period(MONTH, MONTH + timedelta(days=DAYS - 1))
        ledger._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        drop_from_page_cache(ledger.path)
        with Timer() as cold:
            report = reports.build(month)

        commits: list[float] = []
        stop = threading.Event()

        def writer():   # small commits through the writer's connection, like sales
            while not stop.is_set():
                with Timer() as t:
                    with ledger.transaction() as tx:
                        tx.conn.execute("INSERT INTO visitors (hour, count) VALUES"
                                        " ('2026-11-01T09', 1) ON CONFLICT(hour) DO UPDATE"
                                        " SET count = count + 1")
                commits.append(t.seconds)
                time.sleep(0.005)
        thread = threading.Thread(target=writer, daemon=True)
        thread.start()
        warm = []
        for _ in range(args.warm):   # a fresh Reports each time: nothing remembered
            fresh = Reports(ledger, master, "Asia/Shanghai")
            with Timer() as t:
                fresh.build(month)
            warm.append(t.seconds)
        stop.set()
        thread.join()
        with Timer() as remembered:   # the past month again from the same Reports
            reports.build(month)

        with Timer() as day:
            Reports(ledger, master, "Asia/Shanghai").build(
                reports.period(MONTH + timedelta(days=14), MONTH + timedelta(days=14)))
        with Timer() as dash:
            reports.today_so_far()
        with Timer() as csv_t:
            body = section_csv(Reports(ledger, master, "Asia/Shanghai").build(month),
                               "products")
        s = report["summary"]
        emit("month_report", {
            "orders": args.orders, "products": args.products,
            "orders_in_report": s["orders"], "refunds_in_report": s["refund_count"],
            "fill_or_cache_seconds": round(fill.seconds, 2),
            "ledger_mib": round((work / "ledger.db").stat().st_size / 2**20, 1),
            "cold_seconds": round(cold.seconds, 3),
            "warm_seconds_median": round(statistics.median(warm), 3),
            "warm_seconds_max": round(max(warm), 3),
            "remembered_seconds": round(remembered.seconds, 4),
            "day_report_seconds": round(day.seconds, 3),
            "dashboard_seconds": round(dash.seconds, 3),
            "products_csv_seconds": round(csv_t.seconds, 3), "products_csv_bytes": len(body),
            "writer_commits_during_reports": summary_ms(commits) if commits else None})
        ledger.close()
        master.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
