"""Pricing a 30-line cart against 200 active promotion rules: the work done on every scan.

``price`` times building the steps from the rules (liveness, levels, coupons, scopes) plus the
pipeline run; ``read_rules`` times reading the active rules from the ``promotions`` table (a
real projection built from ``promotion.saved`` records, in memory); ``scan`` is both. The
rules are a realistic mix of every pricing kind: flash and member prices, category and
product discounts, 第二件半价 and 买二送一, tiered 满减 and coupons; some in exclusive
groups, some with windows, weekdays, hours or member levels. Far more of them touch this
one cart than a real campaign would (a worst case for time), so the discount is no picture
of a real receipt.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from common import emit, summary_ms

from appliance.ledger import Record, projections
from appliance.orders.pricing import PricingLine, PricingPipeline
from appliance.promotions import store
from appliance.promotions.engine import PriceContext, pricing_steps
from appliance.promotions.rules import normalize_level, normalize_rule

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 4, 15, tzinfo=timezone.utc)      # Thursday 12:15 in Shanghai
CATEGORIES = [f"cat-{i}" for i in range(8)]


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def make_cart(rnd: random.Random, n: int) -> list[PricingLine]:
    return [PricingLine(f"l{i}", f"p-{rnd.randrange(120):03d}", rnd.choice(["", "v-1"]),
                        rnd.choice([1, 1, 1, 2, 3, 6]), rnd.randint(300, 60_000),
                        rnd.choice(CATEGORIES), i + 1) for i in range(n)]


def make_rules(rnd: random.Random, n: int) -> list[dict]:
    kinds = (["fixed_price"] * 6 + ["percent_off"] * 5 + ["amount_off"] * 3 + ["multi_buy"] * 2
             + ["threshold"] * 2 + ["coupon"] * 2)
    rules = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        doc = {"name": f"{kind}-{i}", "kind": kind}
        if rnd.random() < 0.7:
            doc["products"] = [f"p-{rnd.randrange(120):03d}" for _ in range(rnd.randint(1, 8))]
            doc["products"] = sorted(set(doc["products"]))
        elif rnd.random() < 0.8:
            doc["categories"] = [rnd.choice(CATEGORIES)]
        if rnd.random() < 0.3:      # most campaigns of a season do not stack
            doc["group"] = rnd.choice(["weekend", "clearance", "brand", "season", "vip"])
        if rnd.random() < 0.15:
            doc["levels"] = rnd.choice([["*"], ["lv-gold"], ["lv-silver", "lv-gold"]])
        r = rnd.random()
        if r < 0.2:
            start = NOW - timedelta(days=rnd.randint(0, 10))
            doc["valid_from"] = start.astimezone(TZ).isoformat()
            doc["valid_to"] = (start + timedelta(days=rnd.randint(1, 20))).isoformat()
        elif r < 0.3:
            doc["days"] = sorted(rnd.sample(range(1, 8), rnd.randint(2, 6)))
        elif r < 0.4:
            doc["hours"] = rnd.choice([["10:00", "14:00"], ["18:00", "22:00"], ["09:00", "21:00"]])
        if kind == "fixed_price":
            doc["price"] = yuan(rnd.randint(5_000, 60_000))
        elif kind == "percent_off":
            doc["percent"] = str(rnd.choice([2, 5, 8, 10]))
        elif kind == "amount_off":
            doc.update(amount=yuan(rnd.choice([100, 200, 500, 1000])),
                       per=rnd.choice(["unit", "scope"]))
        elif kind == "multi_buy":
            doc.update(rnd.choice([{"group_size": 2, "discounted": 1, "percent": "50"},
                                   {"group_size": 3, "discounted": 1, "percent": "100"}]))
        elif kind == "threshold":
            doc.update(tiers=[{"min": "200", "off": "20"}, {"min": "500", "off": "60"},
                              {"min": "1000", "off": "150"}],
                       repeat=rnd.random() < 0.5, cap=rnd.choice(["0", "300"]))
        else:
            doc.update(codes=[f"CODE-{i}"], min_spend="100",
                       **rnd.choice([{"amount": "10"}, {"percent": "8"}]))
        rules.append(normalize_rule(doc, existing_id=f"pr-{i:012x}"))
    return rules


def ledger_with(rules: list[dict]):
    """An in-memory projection holding the rules, built through the real handlers."""
    records = [Record(seq=i + 1, id=f"r{i}", ts="2026-11-26T02:00:00.000000Z",
                      clock_synced=True, type="promotion.saved", actor={"staff": "s-1"},
                      data={"rule": r, "source": "shop"}, prev_hash="", hash="")
               for i, r in enumerate(rules)]
    return projections.replay(records)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--rules", type=int, default=200)
    ap.add_argument("--lines", type=int, default=30)
    args = ap.parse_args()
    rnd = random.Random(20261126)
    lines = make_cart(rnd, args.lines)
    rules = make_rules(rnd, args.rules)
    conn = ledger_with(rules)
    level = normalize_level({"id": "lv-gold", "name": "金卡", "discount_percent": "5"})
    ctx = PriceContext(NOW, TZ, level, ("code-5", "CODE-11"))
    read, price, scan = [], [], []
    result = None
    for _ in range(args.samples):
        t0 = time.perf_counter()
        active = store.active_rules(conn)
        t1 = time.perf_counter()
        steps = pricing_steps(active, ctx)
        result = PricingPipeline(steps).price(lines, round_off_unit="0.1")
        t2 = time.perf_counter()
        read.append(t1 - t0)
        price.append(t2 - t1)
        scan.append(t2 - t0)
    sources = {a.source for a in result.adjustments if a.kind == "promotion"}
    emit("pricing", {
        "rules": len(rules), "lines": len(lines), "samples": args.samples,
        "steps": len(steps), "rules_applied": len(sources),
        "subtotal": result.subtotal, "discount": result.discount, "total": result.total,
        "price": summary_ms(price), "read_rules": summary_ms(read), "scan": summary_ms(scan)})


if __name__ == "__main__":
    main()
