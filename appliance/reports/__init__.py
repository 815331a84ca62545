"""Sales reports (issue 9; docs/reports.md): figures by period, hour, category, product,
staff, tender and member level, margins, refunds and foot traffic, read from the projections
in ledger.db.

Reports read through their own read-only connection (one per report, in one read
transaction, so every section sees the same moment): WAL readers never wait for the writer
and the writer never waits for them, so a month report does not hold the sale path's lock.
Amounts are fen; :func:`to_json` makes decimal strings of them.
"""

from __future__ import annotations

import contextlib
import threading
from datetime import date, datetime, time, timedelta
from typing import Iterator
from zoneinfo import ZoneInfo

from .. import money
from ..clock import format_ts
from ..i18n import _
from ..ledger.store import open_readonly
from . import figures
from .periods import Period, month_key, parse_day, preset, week_key

#: Keys whose values are fen (made decimal strings by :func:`to_json` and the CSV export).
AMOUNT_KEYS = frozenset({
    "sales", "refunds", "net", "cogs", "gross_profit", "amount", "average_basket", "value",
    "opened_sales", "settled_sales"})

TOP_N = 10
#: Figures of past periods kept in memory (each part of each period is one entry).
CACHE_ENTRIES = 64


def percent(part: int, whole: int) -> str | None:
    """part / whole as a percentage with one decimal, rounded half away from zero ("37.5");
    None when there is no whole to divide by. Integer arithmetic only."""
    if not whole:
        return None
    tenths = (abs(part) * 2000 + abs(whole)) // (2 * abs(whole))
    sign = "-" if (part < 0) != (whole < 0) and tenths else ""
    return f"{sign}{tenths // 10}.{tenths % 10}"


def average(total: int, count: int) -> int:
    """total / count in fen, rounded half up (0 for no count)."""
    if not count:
        return 0
    return (2 * total + count) // (2 * count) if total >= 0 else -average(-total, count)


def to_json(value):
    """The report with its amounts as decimal strings (recursively)."""
    if isinstance(value, dict):
        return {k: (money.format_amount(v) if k in AMOUNT_KEYS and isinstance(v, int)
                    else to_json(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    return value


def _money_row(sales: int, refunds: int, cost: int, refund_cost: int) -> dict:
    net, cogs = sales - refunds, cost - refund_cost
    return {"sales": sales, "refunds": refunds, "net": net, "cogs": cogs,
            "gross_profit": net - cogs, "margin_pct": percent(net - cogs, net)}


class Reports:
    def __init__(self, ledger, master, timezone: str = "Asia/Shanghai"):
        self.ledger = ledger
        self.master = master
        self.timezone = timezone
        self.tz = ZoneInfo(timezone)
        self._cache: dict[tuple, dict] = {}
        self._cache_lock = threading.Lock()

    # -- reading ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _read(self) -> Iterator:
        """A read-only connection of its own, inside one read transaction."""
        conn = open_readonly(self.ledger.path)
        try:
            conn.execute("BEGIN")
            yield conn
            conn.execute("COMMIT")
        finally:
            conn.close()

    def today(self) -> date:
        return self.ledger.now().astimezone(self.tz).date()

    def _gather(self, conn, period: Period, parts) -> dict:
        """The figures' parts for the period. Days before today never change (a record is
        never stamped earlier than the one before it, and a refund counts on its own day),
        so their figures are kept, and only today's are read again."""
        today = self.today()
        if period.last < today:
            pieces = [(period, True)]
        elif period.first < today:
            pieces = [(Period(period.first, today - timedelta(days=1), self.tz), True),
                      (Period(today, period.last, self.tz), False)]
        else:
            pieces = [(period, False)]
        out = {}
        for part in parts:
            merged = None
            for piece, keep in pieces:
                key = (piece.first, piece.last, part)
                with self._cache_lock:
                    data = self._cache.get(key) if keep else None
                if data is None:
                    data = figures.PARTS[part](conn, piece)
                    if keep:
                        self._remember(key, data)
                merged = data if merged is None else figures.merge(merged, data)
            out[part] = merged
        return out

    def _remember(self, key: tuple, data: dict) -> None:
        with self._cache_lock:
            while len(self._cache) >= CACHE_ENTRIES:
                del self._cache[next(iter(self._cache))]   # the oldest
            self._cache[key] = data

    def period(self, first: date | str | None = None, last: date | str | None = None, *,
               name: str | None = None) -> Period:
        """A checked period: a preset name, or from-to dates (text or date); default today."""
        if name:
            first, last = preset(name, self.today())
        if isinstance(first, str):
            first = parse_day(first, "from")
        if isinstance(last, str):
            last = parse_day(last, "to")
        first = first or last or self.today()
        return Period.of(first, last or first, self.tz)

    # -- the interface finance builds on ---------------------------------------------------

    def daily(self, first_day: date, last_day: date) -> list[dict]:
        """One row per shop-local day, days without sales included (amounts in fen)."""
        period = self.period(first_day, last_day)
        with self._read() as conn:
            return self._days(self._gather(conn, period, ["buckets"])["buckets"], period)

    def staff(self, first_day: date, last_day: date) -> list[dict]:
        """Orders completed in the period by who opened them (导购 commission) and who
        settled them."""
        period = self.period(first_day, last_day)
        with self._read() as conn:
            return self._staff(self._gather(conn, period, ["staff"])["staff"])

    # -- the whole report ---------------------------------------------------------------

    def build(self, period: Period) -> dict:
        """Every section of the report for the period (amounts in fen)."""
        with self._read() as conn:
            got = self._gather(conn, period, figures.PARTS)
            level_names = self._level_names(conn)
        rows, lines = got["buckets"], got["lines"]
        days = self._days(rows, period)
        report = {
            "from": period.first.isoformat(), "to": period.last.isoformat(),
            "timezone": self.timezone,
            "hours": self._hours(rows, period, got["visitors"]),
            "days": days, "weeks": _roll_up(days, week_key),
            "months": _roll_up(days, month_key),
            "categories": self._categories(lines), "products": _products(lines),
            "staff": self._staff(got["staff"]),
            "tenders": _tenders(got["tenders"]),
            "member_levels": _levels(got["levels"], level_names),
            "refund_reasons": sorted(got["reasons"].values(),
                                     key=lambda r: (-r["amount"], r["reason"])),
        }
        report["summary"] = self._summary(days, rows, report["hours"])
        report["top_products"] = report["products"][:TOP_N]
        report["slow_products"] = self._slow(lines)
        return report

    def summary(self, period: Period) -> dict:
        return self.build(period)["summary"]

    def today_so_far(self) -> dict:
        """The dashboard: today until now against the same weekday last week until the
        same time of day (visitors: whole hours up to the current one on both days)."""
        now = self.ledger.now().astimezone(self.tz)
        week_ago = now - timedelta(days=7)
        out = {"now": now.strftime("%Y-%m-%d %H:%M"), "day": now.date().isoformat(),
               "last_week_day": week_ago.date().isoformat()}
        with self._read() as conn:
            for label, moment in (("today", now), ("last_week", week_ago)):
                midnight = datetime.combine(moment.date(), time(), self.tz)
                t = figures.totals_between(conn, format_ts(midnight), format_ts(moment))
                first = f"{moment.date().isoformat()}T00"
                t["visitors"] = conn.execute(
                    "SELECT COALESCE(SUM(count), 0) FROM visitors WHERE hour >= ? AND hour <= ?",
                    (first, moment.strftime("%Y-%m-%dT%H"))).fetchone()[0]
                t["net"] = t["sales"] - t["refunds"]
                t["average_basket"] = average(t["net"], t["orders"])
                t["conversion_pct"] = percent(t["orders"], t["visitors"])
                out[label] = t
            out["open_orders"] = figures.open_orders(conn)
        out["change_pct"] = {k: percent(out["today"][k] - out["last_week"][k],
                                        out["last_week"][k])
                             for k in ("net", "orders", "average_basket", "visitors")}
        return out

    # -- sections -----------------------------------------------------------------------

    def _days(self, rows, period: Period) -> list[dict]:
        by_day = figures.by_local(rows, period, lambda t: t.date())
        out = []
        for day in period.days:
            b = by_day.get(day) or figures.Bucket()
            out.append({"day": day.isoformat(), "orders": b.orders,
                        **_money_row(b.sales, b.refunds, b.cost, b.refund_cost),
                        "refund_count": b.refund_count})
        return out

    def _hours(self, rows, period: Period, visitors: dict[str, int]) -> list[dict]:
        """By hour of the day (0-23) over the period, with foot traffic and conversion;
        hours before the first and after the last with anything in them are left out."""
        by_hour = figures.by_local(rows, period, lambda t: t.hour)
        people = [0] * 24
        for key, n in visitors.items():
            people[int(key[11:13])] += n
        out = []
        for hour in range(24):
            b = by_hour.get(hour) or figures.Bucket()
            out.append({"hour": hour, "label": f"{hour:02d}:00", "orders": b.orders,
                        "sales": b.sales, "refunds": b.refunds, "net": b.sales - b.refunds,
                        "visitors": people[hour],
                        "conversion_pct": percent(b.orders, people[hour])})
        busy = [i for i, r in enumerate(out) if r["orders"] or r["refunds"] or r["visitors"]]
        return out[busy[0]:busy[-1] + 1] if busy else []

    def _summary(self, days: list[dict], rows, hours: list[dict]) -> dict:
        orders = sum(d["orders"] for d in days)
        sales = sum(d["sales"] for d in days)
        refunds = sum(d["refunds"] for d in days)
        cogs = sum(d["cogs"] for d in days)
        visitors = sum(h["visitors"] for h in hours)
        net = sales - refunds
        return {"orders": orders, "sales": sales, "refunds": refunds,
                "refund_count": sum(d["refund_count"] for d in days), "net": net,
                "cogs": cogs, "gross_profit": net - cogs, "margin_pct": percent(net - cogs, net),
                "average_basket": average(net, orders), "visitors": visitors,
                "conversion_pct": percent(orders, visitors)}

    def _staff(self, rows: dict) -> list[dict]:
        out = []
        for staff_id, r in rows.items():
            out.append({**r, "name": self.master.staff.name_of(staff_id)})
        out.sort(key=lambda r: (-r["opened_sales"], -r["settled_sales"], r["name"]))
        return out

    def _categories(self, lines: dict) -> list[dict]:
        names = {c.id: c.name for c in self.master.catalog.list_categories()}
        sums: dict[str, list[int]] = {}
        for r in lines.values():
            s = sums.setdefault(r["category_id"], [0, 0, 0, 0, 0])
            for i, value in enumerate((r["qty"] - r["refunded_qty"], r["sales"], r["refunds"],
                                       r["cost"], r["refund_cost"])):
                s[i] += value
        out = [{"category_id": cid, "name": names.get(cid) or (cid or _("No category")),
                "qty": qty, **_money_row(sales, refunds, cost, refund_cost)}
               for cid, (qty, sales, refunds, cost, refund_cost) in sums.items()]
        out.sort(key=lambda r: (-r["net"], r["name"]))
        return out

    @staticmethod
    def _level_names(conn) -> dict[str, str]:
        from ..members.model import levels
        return {lv["id"]: lv.get("name", lv["id"]) for lv in levels(conn)}

    def _slow(self, lines: dict) -> list[dict]:
        """Stock on hand that sold least in the period (nothing first), the most money tied
        up first: the stock page's slow-mover idea over the report's own period."""
        from ..stock.levels import StockService
        items = [i for i in StockService(self.ledger, self.master, self.timezone).items()
                 if i.qty > 0 and i.active]
        rows = []
        for i in items:
            sold = lines.get((i.product_id, i.variant_id), {}).get("qty", 0)
            rows.append({"product_id": i.product_id, "variant_id": i.variant_id,
                         "name": i.name, "spec": i.spec, "sku": i.sku, "stock": i.qty,
                         "sold": sold, "value": i.value})
        rows.sort(key=lambda r: (r["sold"], -r["value"], r["name"]))
        return rows[:TOP_N]


def _products(lines: dict) -> list[dict]:
    out = [{"product_id": r["product_id"], "variant_id": r["variant_id"], "name": r["name"],
            "spec": r["spec"], "qty": r["qty"] - r["refunded_qty"], "sold_qty": r["qty"],
            "refunded_qty": r["refunded_qty"],
            **_money_row(r["sales"], r["refunds"], r["cost"], r["refund_cost"])}
           for r in lines.values()]
    out.sort(key=lambda r: (-r["net"], -r["qty"], r["name"], r["spec"]))
    return out


def _levels(rows: dict, names: dict[str, str]) -> list[dict]:
    out = []
    for level_id, r in rows.items():
        net = r["sales"] - r["refunds"]
        out.append({**r, "name": names.get(level_id, level_id) if level_id
                    else _("Not a member"), "net": net,
                    "average_basket": average(net, r["orders"])})
    out.sort(key=lambda r: (r["level_id"] == "", -r["net"]))
    return out


def _tenders(rows: dict) -> list[dict]:
    out = [{**r, "net": r["sales"] - r["refunds"]} for r in rows.values()]
    out.sort(key=lambda r: (-r["net"], r["method"]))
    return out


def _roll_up(days: list[dict], key) -> list[dict]:
    """Day rows summed by week or month (only the period's days)."""
    out: dict[str, dict] = {}
    for d in days:
        k = key(date.fromisoformat(d["day"]))
        r = out.setdefault(k, {"key": k, "first_day": d["day"], "last_day": d["day"],
                               "orders": 0, "sales": 0, "refunds": 0, "cogs": 0,
                               "refund_count": 0})
        r["last_day"] = d["day"]
        for name in ("orders", "sales", "refunds", "cogs", "refund_count"):
            r[name] += d[name]
    for r in out.values():
        r["net"] = r["sales"] - r["refunds"]
        r["gross_profit"] = r["net"] - r["cogs"]
        r["margin_pct"] = percent(r["gross_profit"], r["net"])
    return list(out.values())
