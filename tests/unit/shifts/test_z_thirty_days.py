"""Z report totals equal the sum of the journal records of the day, for 30 simulated days.

Each day: a shift opens, sales are rung with mixed tenders (split, cash with change, a
member paying from stored value, a 满减 discount), a refund, a voided payment, a member top-up,
cash paid in and out, an X report, the handover and the Z report. The expected figures are
summed here straight from the journal records in [first_seq, last_seq], never with the
report code.
"""

from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from fractions import Fraction

from appliance.promotions.commands import PromotionAdmin

from tilldesk import TEA, Till, counts_for

DAYS = 30
CUP_BLUE = "2000000000015"     # 35.00, 绿茶
TAX = {TEA: 1300, CUP_BLUE: 900}   # basis points, set on the products below


def _half_up(x: Fraction) -> int:
    return int(x + Fraction(1, 2)) if x >= 0 else -int(-x + Fraction(1, 2))


class JournalSums:
    """What a report over records first..last must say, from the records alone."""

    def __init__(self, records):
        self.records = records
        self.by_seq = {r.seq: r for r in records}

    def over(self, first, last):
        lines = {}          # (order_id, line_id) -> {"category", "rate", "qty", "net"}
        payments = {}       # payment id -> (method, amount, what stayed in the till)
        till = defaultdict(lambda: defaultdict(int))
        s = defaultdict(int)
        rates, cats = defaultdict(int), defaultdict(lambda: [0, 0])
        over_short = defaultdict(int)
        for rec in self.records:
            if rec.seq > last:
                break
            d, inside = rec.data, rec.seq >= first
            if rec.type == "order.line_added":
                ln = d["line"]
                lines[(d["order_id"], ln["line_id"])] = {
                    "category": ln.get("category_id") or "", "rate": ln.get("tax_rate", 0),
                    "qty": ln["qty"], "net": ln["unit_price"] * ln["qty"]}
            elif rec.type == "order.line_changed":
                ln = lines[(d["order_id"], d["line_id"])]
                ln.update(qty=d["qty"], net=d["unit_price"] * d["qty"])
            elif rec.type == "order.line_removed":
                del lines[(d["order_id"], d["line_id"])]
            elif rec.type == "order.payment_added":
                p = d["payment"]
                for line_id, priced in (d.get("pricing") or {}).get("lines", {}).items():
                    lines[(d["order_id"], line_id)]["net"] = priced["net"]
                stored = p.get("stored_change", 0)      # 存零: change left on a card
                kept = p["tendered"] - p["change"] - stored
                payments[p["id"]] = (p["method"], p["amount"], kept, stored)
                if inside:
                    till[p["method"]]["sales"] += kept
                    till[p["method"]]["stored_change"] += stored
            elif rec.type == "order.payment_voided":
                method, amount, kept, stored = payments[d["payment_id"]]
                if inside:
                    till[method]["sales"] -= kept
                    till[method]["stored_change"] -= stored
                    s["voids"] += 1
                    s["voided"] += amount
            elif rec.type == "order.paid" and inside:
                s["orders"] += 1
                s["total"] += d["total"]
                for (order_id, _line), ln in lines.items():
                    if order_id == d["order_id"]:
                        rates[ln["rate"]] += ln["net"]
                        cats[ln["category"]][0] += ln["qty"]
                        cats[ln["category"]][1] += ln["net"]
            elif rec.type == "order.refunded" and inside:
                s["refunds"] += 1
                s["refunded"] += d["amount"]
                for t in d["tenders"]:
                    till[t["method"]]["refunds"] += t["amount"]
                for rl in d["lines"]:
                    ln = lines[(d["order_id"], rl["line_id"])]
                    rates[ln["rate"]] -= rl["amount"]
                    cats[ln["category"]][0] -= rl["qty"]
                    cats[ln["category"]][1] -= rl["amount"]
            elif rec.type == "member.topped_up" and inside:
                s["topups"] += 1
                s["topped_up"] += d["amount"]
                till[d["method"]]["top_ups"] += d["tendered"] - d["change"]
            elif rec.type == "shift.cash_moved" and inside:
                till["cash"][d["kind"]] += d["amount"]
                s[d["kind"]] += d["amount"]
            elif rec.type == "shift.opened" and inside:
                s["floats"] += d["float"]
            elif rec.type == "shift.closed" and inside:
                for m, diff in d["over_short"].items():
                    over_short[m] += diff
        tenders = {}
        for m, f in till.items():
            row = {k: f[k] for k in ("sales", "refunds", "top_ups", "stored_change", "paid_in",
                                     "paid_out")}
            row["net"] = (row["sales"] - row["refunds"] + row["top_ups"] + row["stored_change"]
                          + row["paid_in"] - row["paid_out"])
            tenders[m] = row
        return {"tenders": tenders, "sums": dict(s), "over_short": dict(over_short),
                "tax": {r: (g, _half_up(Fraction(g * r, 10000 + r))) for r, g in rates.items()},
                "categories": {c: tuple(v) for c, v in cats.items()}}


def _set_up(shop):
    catalog = shop.master.catalog
    for code, rate in TAX.items():
        product, _variant = catalog.lookup_barcode(code)
        catalog.save_product(replace(product, tax_rate=rate))
    PromotionAdmin(shop.ledger).save(shop.manager, {
        "name": "满200减30", "kind": "threshold", "tiers": [{"min": "200", "off": "30"}]})


def _one_day(till, shop, day, member, yesterday):
    e, cashier, manager = till.engine, shop.cashier, shop.manager
    if yesterday is not None:
        # Returned before the shift opens: right after the last Z, in no shift's drawer.
        e.refund(cashier, yesterday, reason="隔日退货")
    float_ = 50000 + 1000 * (day % 4)
    till.desk.open(cashier, counts=counts_for(float_))
    # Cash with change.
    cash_sale = till.order(TEA)
    till.pay(cash_sale, "cash", 10000)
    # Split over card, WeChat and cash (over 200.00: 满200减30 prices it).
    split = till.order(TEA, TEA, TEA, CUP_BLUE, *([CUP_BLUE] * (day % 3)))
    due = e.due(split)
    till.pay(split, "card", 5000 + day * 10, reference=f"C{day}")
    till.pay(split, "wechat", 3000, reference=f"W{day}")
    left = due - (5000 + day * 10) - 3000
    till.pay(split, "cash", left + (730 if day % 2 else 0))     # change on odd days
    # A voided card payment, then paid by Alipay.
    voided = till.order(CUP_BLUE)
    p = till.pay(voided, "card", 2000, reference=f"V{day}")
    e.void_payment(manager, voided.id, p.payment_id, "刷错金额")
    till.pay(e.get_order(voided.id), "alipay", 3500, reference=f"A{day}")
    # A member pays from stored value (not counted at the handover) after topping up.
    till.members.top_up(cashier, member.id, 20000, "cash", tendered=20000 + 5000 * (day % 2))
    mine = till.order(TEA)
    e.set_member(shop.assistant, mine.id, member.id)
    till.pay(e.get_order(mine.id), "member_balance", e.due(e.get_order(mine.id)))
    # The member pays cash and leaves the change on the card (存零).
    kept = till.order(CUP_BLUE)
    e.set_member(shop.assistant, kept.id, member.id)
    till.pay(e.get_order(kept.id), "cash", e.due(e.get_order(kept.id)) + 70 + day,
             change_to_card=True)
    # A refund of one cup from the split sale (back to its newest tenders).
    cup = next(ln for ln in e.get_order(split.id).lines if ln.barcode == CUP_BLUE)
    e.refund(cashier, split.id, reason="杯子有裂纹", lines=[(cup.line_id, 1)])
    till.desk.move_cash(cashier, "paid_in", 2000, "换零钱")
    till.desk.move_cash(cashier, "paid_out", 1500 + day * 10, "买水")
    if day % 5 == 0:
        till.desk.x_report(manager)
    # The handover: counted from what the records of the shift put in the drawer.
    shift = till.desk.current()
    sums = JournalSums(shop.ledger.records()).over(shift.open_seq + 1, 10**9)
    cash = float_ + sums["tenders"]["cash"]["net"]
    others = {m: t["net"] for m, t in sums["tenders"].items()
              if m not in ("cash", "member_balance", "points")}
    short = 50 if day % 7 == 3 else 0                    # now and then 0.50 short
    if day == 13:                                         # a bad day: a manager accepts it
        short = 2000
    short += (cash - short) % 10                          # no coin below 0.10
    if day == 13:
        closed = till.desk.close(cashier, counts=counts_for(cash - short), tenders=others,
                                 approver=manager, reason="少了一张二十")
        assert closed.override_by == manager.staff_id
    else:
        closed = till.desk.close(cashier, counts=counts_for(cash - short), tenders=others)
    assert closed.over_short["cash"] == -short
    return till.desk.z_report(manager), cash_sale.id


def test_z_reports_add_up_the_journal_over_thirty_days(shop, clock, ledger_invariants):
    _set_up(shop)
    till = Till(shop)
    member = till.members.sign_up(shop.assistant, name="周女士", phone="13800138000")
    reports, yesterday = [], None
    for day in range(DAYS):
        z, yesterday = _one_day(till, shop, day, member, yesterday)
        reports.append(z)
        clock.advance(days=1)
    records = shop.ledger.records()
    sums = JournalSums(records)
    by_seq = {r.seq: r for r in records}
    previous_last = 0
    for day, z in enumerate(reports):
        assert z["number"] == day + 1
        assert z["business_day"] == (date(2026, 11, 26) + timedelta(days=day)).strftime("%Y%m%d")
        # Contiguous ranges, each up to the record before the Z itself, sealed by its hash.
        assert z["first_seq"] == previous_last + 1
        assert z["last_seq"] == z["seq"] - 1
        assert z["head_hash"] == by_seq[z["last_seq"]].hash
        assert by_seq[z["seq"]].type == "report.z" and by_seq[z["seq"]].data["number"] == day + 1
        previous_last = z["last_seq"]
        want = sums.over(z["first_seq"], z["last_seq"])
        got_tenders = {m: {k: f[k] for k in ("sales", "refunds", "top_ups", "stored_change",
                                             "paid_in", "paid_out", "net")}
                       for m, f in z["tenders"].items()}
        assert got_tenders == want["tenders"], day
        assert z["tenders"]["cash"]["stored_change"] == 70 + day    # 存零, apart from sales
        s = want["sums"]
        assert z["orders"]["count"] == s["orders"] == 5
        assert z["orders"]["total"] == s["total"]
        assert z["orders"]["net"] == s["total"] - s["refunded"]
        assert z["orders"]["discounts"] == 3000     # the split sale's 满200减30
        assert (z["refunds"]["count"], z["refunds"]["amount"]) == (s["refunds"], s["refunded"])
        assert s["refunds"] == (1 if day == 0 else 2)
        assert (z["voids"]["count"], z["voids"]["amount"]) == (s["voids"], s["voided"]) == \
            (1, 2000)
        assert (z["top_ups"]["count"], z["top_ups"]["amount"]) == (s["topups"], s["topped_up"])
        assert z["cash"]["paid_in"] == s["paid_in"] and z["cash"]["paid_out"] == s["paid_out"]
        assert z["floats"] == {"count": 1, "amount": s["floats"]}
        assert z["over_short"] == want["over_short"]
        assert {t["rate"]: (t["gross"], t["tax"]) for t in z["tax_rates"]} == want["tax"]
        assert {c["category_id"]: (c["qty"], c["net"]) for c in z["categories"]} == \
            want["categories"]
    # Every record of the 30 days is in exactly one Z, and the ledger is sound.
    assert reports[-1]["last_seq"] == len(records) - 1
    ledger_invariants(shop.ledger)
