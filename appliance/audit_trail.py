"""The audit page (issue 9; docs/staff-audit.md): sensitive actions with who and when, read
straight from the journal, newest first.

Each kind is one or two record types (``journal_type`` index), sometimes narrowed by the
record's data (a price override is a line whose ``override_by`` is set). Every type is
queried on its own, newest first with a LIMIT, and the pieces are merged: a page costs a few
index range scans, not a pass over the journal. A range of shop-local days becomes a range
of seq by bisection (``ts`` never goes backwards along ``seq``). Reads use a read-only
connection of their own, so a long CSV export never holds up a sale.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from . import money
from .clock import format_ts, parse_ts
from .csv_export import csv_bytes
from .errors import ValidationError
from .i18n import _
from .ledger.store import open_readonly
from .reports.periods import parse_day
from .orders.permissions import Actor, require

# A line's override_by is null unless a manager set the price; testing the canonical JSON's
# text first keeps json_extract off the many ordinary lines.
_LINE_OVERRIDE = ("instr(data, '\"override_by\":null') = 0 AND"
                  " json_extract(data, '$.line.override_by') IS NOT NULL")
_CHANGE_OVERRIDE = ("instr(data, '\"override_by\":null') = 0 AND"
                    " json_extract(data, '$.override_by') IS NOT NULL")

#: kind -> ((record type, extra SQL condition or None), ...)
KINDS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "refund": (("order.refunded", None),),
    "payment_void": (("order.payment_voided", None),),
    "order_cancel": (("order.cancelled", None),),
    "price_override": (("order.line_added", _LINE_OVERRIDE),
                       ("order.line_changed", _CHANGE_OVERRIDE)),
    "drawer_open": (("drawer.opened", None),),
    "reprint": (("receipt.reprinted", None),),
    "stock_adjust": (("stock.adjusted", None),),
    "points": (("member.points_adjusted", "json_extract(data, '$.gift') IS NULL"),),
    "cash_move": (("shift.cash_moved", None),),
    "shift_override": (("shift.closed", "json_extract(data, '$.override_by') IS NOT NULL"),),
    "finance": (("finance.entry_added", None), ("finance.entry_voided", None)),
    "settings": (("settings.changed", None), ("config.changed", None)),
    "staff": (("staff.changed", None),),
    "customer_data": (("customer.exported", None), ("customer.erased", None)),
}
KIND_OF_TYPE = {t: kind for kind, parts in KINDS.items() for t, _c in parts}

MAX_PAGE = 200
MAX_CSV = 50_000

# Who took part: the actor, or the manager who approved (refunds, voids, overrides).
_STAFF_SQL = ("(json_extract(actor, '$.staff') = :staff OR json_extract(data, '$.approved_by')"
              " = :staff OR json_extract(data, '$.override_by') = :staff"
              " OR json_extract(data, '$.line.override_by') = :staff)")


def kind_labels() -> dict[str, str]:
    return {
        "refund": _("Refund"), "payment_void": _("Payment voided"),
        "order_cancel": _("Order cancelled"), "price_override": _("Price override"),
        "drawer_open": _("Drawer opened without a sale"), "reprint": _("Receipt reprinted"),
        "stock_adjust": _("Stock adjusted"), "points": _("Points corrected"),
        "cash_move": _("Cash paid in or out"), "shift_override": _("Shift over/short accepted"),
        "finance": _("Finance entry"), "settings": _("Settings changed"),
        "staff": _("Staff changed"), "customer_data": _("Customer data exported or erased"),
    }


class AuditTrail:
    def __init__(self, ledger, master, timezone: str = "Asia/Shanghai"):
        self.ledger = ledger
        self.master = master
        self.tz = ZoneInfo(timezone)

    # -- query -----------------------------------------------------------------------------

    def list(self, actor: Actor, *, first_day: str | None = None, last_day: str | None = None,
             kind: str | None = None, staff: str | None = None, before: int | None = None,
             limit: int = 50) -> dict:
        """{"entries": [...], "next_before": seq of the next page or None}."""
        require(actor, "audit.view", what="looking at the audit trail")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
            raise ValidationError(_("limit must be from 1 to {n}", n=MAX_PAGE), field="limit")
        conn = open_readonly(self.ledger.path)
        try:
            rows = self._rows(conn, first_day, last_day, kind, staff, before, limit + 1)
            entries = self._present(conn, rows[:limit])
        finally:
            conn.close()
        return {"entries": entries,
                "next_before": entries[-1]["seq"] if len(rows) > limit else None}

    def csv(self, actor: Actor, **filters) -> bytes:
        require(actor, "audit.view", what="looking at the audit trail")
        conn = open_readonly(self.ledger.path)
        try:
            entries = self._present(conn, self._rows(conn, filters.get("first_day"),
                                                     filters.get("last_day"),
                                                     filters.get("kind"), filters.get("staff"),
                                                     None, MAX_CSV))
        finally:
            conn.close()
        return csv_bytes(
            ["time", "kind", "staff", "approved_by", "order_number", "amount", "reason",
             "detail", "seq"],
            [[e["time"], e["kind_label"], e["staff_name"], e["approved_by_name"] or "",
              e["order_number"] or "", e["amount"] or "", e["reason"], e["detail"], e["seq"]]
             for e in entries])

    def _rows(self, conn, first_day, last_day, kind, staff, before, limit) -> list[tuple]:
        if kind not in (None, "") and kind not in KINDS:
            raise ValidationError(_("kind must be one of {names}", names=", ".join(KINDS)),
                                  field="kind")
        if before is not None and (isinstance(before, bool) or not isinstance(before, int)):
            raise ValidationError(_("before must be a whole number"), field="before")
        low, high = self._seq_range(conn, first_day, last_day)
        if before is not None:
            high = min(high, before - 1)
        if high < low:
            return []
        parts, params = [], {"low": low, "high": high, "limit": limit, "staff": staff}
        for i, (type_, cond) in enumerate(p for k, ps in KINDS.items()
                                           if kind in (None, "", k) for p in ps):
            params[f"t{i}"] = type_
            where = f"type = :t{i} AND seq BETWEEN :low AND :high"
            if cond:
                where += " AND " + cond
            if staff:
                where += " AND " + _STAFF_SQL
            parts.append(f"SELECT * FROM (SELECT seq, ts, type, actor, data FROM journal"
                         f" WHERE {where} ORDER BY seq DESC LIMIT :limit)")
        sql = " UNION ALL ".join(parts) + " ORDER BY seq DESC LIMIT :limit"
        return conn.execute(sql, params).fetchall()

    def _seq_range(self, conn, first_day, last_day) -> tuple[int, int]:
        """Records of shop-local days [first_day, last_day] (either open) as a seq range."""
        head = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM journal").fetchone()[0]
        low, high = 1, head
        if first_day:
            start = datetime.combine(parse_day(first_day, "from"), time(),
                                     self.tz)
            low = _first_seq_at(conn, format_ts(start), head)
        if last_day:
            end = datetime.combine(parse_day(last_day, "to")
                                   + timedelta(days=1), time(), self.tz)
            high = _first_seq_at(conn, format_ts(end), head) - 1
        return low, high

    # -- presentation ----------------------------------------------------------------------

    def _present(self, conn, rows) -> list[dict]:
        names = {s.id: s.name for s in self.master.staff.list(include_inactive=True)}
        records = [(seq, ts, type_, json.loads(actor), json.loads(data))
                   for seq, ts, type_, actor, data in rows]
        lookups = _Lookups(conn, records)
        labels = kind_labels()
        out = []
        for seq, ts, type_, actor, data in records:
            kind = KIND_OF_TYPE[type_]
            entry = {"seq": seq, "ts": ts, "type": type_, "kind": kind,
                     "kind_label": labels[kind],
                     "time": parse_ts(ts).astimezone(self.tz).strftime("%Y-%m-%d %H:%M:%S"),
                     "staff_id": actor.get("staff", ""), "terminal": actor.get("terminal", ""),
                     "approved_by": None, "order_number": None, "amount": None,
                     "reason": data.get("reason") or "", "detail": ""}
            entry["order_number"] = data.get("number") or lookups.order_number(
                data.get("order_id"))
            _DESCRIBE[kind](entry, type_, data, lookups, self.master)
            if entry["approved_by"] == entry["staff_id"]:
                entry["approved_by"] = None     # no second person took part
            entry["staff_name"] = names.get(entry["staff_id"], entry["staff_id"])
            entry["approved_by_name"] = (names.get(entry["approved_by"], entry["approved_by"])
                                         if entry["approved_by"] else None)
            out.append(entry)
        return out


def _first_seq_at(conn, ts: str, head: int) -> int:
    """The first seq whose ts is at or after ``ts`` (head + 1 if none), by bisection."""
    low, high = 1, head + 1
    while low < high:
        mid = (low + high) // 2
        if conn.execute("SELECT ts FROM journal WHERE seq = ?", (mid,)).fetchone()[0] >= ts:
            high = mid
        else:
            low = mid + 1
    return low


class _Lookups:
    """What the records of one page refer to, fetched in a few queries."""

    def __init__(self, conn: sqlite3.Connection, records):
        datas = [d for *_r, d in records]
        self.conn = conn
        self.orders = self._map("SELECT id, number FROM orders WHERE id IN ({})",
                                {d.get("order_id") for d in datas} - {None})
        self.payments = {row[0]: row[1:] for row in self._rows(
            "SELECT id, method, amount FROM payments WHERE id IN ({})",
            {d.get("payment_id") for d in datas} - {None})}
        self.members = self._map("SELECT id, name FROM members WHERE id IN ({})",
                                 {d.get("member_id") for d in datas} - {None})
        self.entries = self._map("SELECT id, amount FROM finance_entries WHERE id IN ({})",
                                 {d.get("entry_id") for d in datas} - {None})
        self.lines = {(r[0], r[1]): r[2:] for r in self._rows(
            "SELECT order_id, line_id, name, list_price FROM order_lines WHERE order_id"
            " IN ({})", {d["order_id"] for d in datas if d.get("line_id")
                         and d.get("order_id")})}

    def _rows(self, sql: str, keys: set) -> list[tuple]:
        keys = sorted(keys)
        if not keys:
            return []
        return self.conn.execute(sql.format(",".join("?" * len(keys))), keys).fetchall()

    def _map(self, sql: str, keys: set) -> dict:
        return {row[0]: row[1] for row in self._rows(sql, keys)}

    def order_number(self, order_id):
        return self.orders.get(order_id) if order_id else None


def _fmt(fen) -> str | None:
    return money.format_amount(fen) if isinstance(fen, int) and not isinstance(fen, bool) \
        else None


def _refund(e, type_, d, lk, master):
    e.update(amount=_fmt(d.get("amount")), approved_by=d.get("approved_by"))
    e["detail"] = ", ".join(f"{t['method']} {_fmt(t['amount'])}" for t in d.get("tenders", []))


def _payment_void(e, type_, d, lk, master):
    method, amount = lk.payments.get(d.get("payment_id"), ("", None))
    e.update(amount=_fmt(amount), approved_by=d.get("approved_by"), detail=method)


def _order_cancel(e, type_, d, lk, master):
    pass


def _price_override(e, type_, d, lk, master):
    if type_ == "order.line_added":
        ln = d["line"]
        name, listed, price, qty = ln["name"], ln["list_price"], ln["unit_price"], ln["qty"]
        e["approved_by"] = ln.get("override_by")
    else:
        name, listed = lk.lines.get((d["order_id"], d["line_id"]), ("", None))
        price, qty = d["unit_price"], d["qty"]
        e["approved_by"] = d.get("override_by")
    e["amount"] = _fmt(price)
    e["detail"] = _("{name}: list price {listed}, sold at {price} × {qty}", name=name,
                    listed=_fmt(listed) or "?", price=_fmt(price), qty=qty)


def _drawer_open(e, type_, d, lk, master):
    pass


def _reprint(e, type_, d, lk, master):
    e["detail"] = _("receipt {n}", n=d.get("receipt_no"))


def _stock_adjust(e, type_, d, lk, master):
    product = master.catalog.find_product(d.get("product_id", ""))
    name = product.name if product else d.get("product_id", "")
    e["detail"] = f"{name} {d.get('delta', 0):+d}"
    if d.get("note"):
        e["reason"] = f"{e['reason']}: {d['note']}"


def _points(e, type_, d, lk, master):
    name = lk.members.get(d.get("member_id"), d.get("member_id", ""))
    e["detail"] = _("{member}: {delta} points", member=name, delta=f"{d.get('delta', 0):+d}")
    if d.get("note"):
        e["reason"] = f"{e['reason']}: {d['note']}"


def _cash_move(e, type_, d, lk, master):
    kind = d.get("kind", "")
    e["amount"] = _fmt(d.get("amount"))
    e["detail"] = {"paid_in": _("paid in"), "paid_out": _("paid out")}.get(kind, kind)


def _shift_override(e, type_, d, lk, master):
    e["approved_by"] = d.get("override_by")
    over_short = d.get("over_short")
    if isinstance(over_short, dict):
        e["detail"] = ", ".join(f"{m} {_fmt(v)}" for m, v in sorted(over_short.items())
                                if isinstance(v, int) and v)
    e["reason"] = e["reason"] or d.get("note", "")


def _finance(e, type_, d, lk, master):
    if type_ == "finance.entry_added":
        e["amount"] = _fmt(d.get("amount"))
        from .finance import category_labels
        category = d.get("category", "")
        e["detail"] = _("{category} for {day}", category=category_labels().get(category, category),
                        day=d.get("day"))
        e["reason"] = d.get("note", "")
    else:
        e["amount"] = _fmt(lk.entries.get(d.get("entry_id")))
        e["detail"] = _("voided an entry")


def _settings(e, type_, d, lk, master):
    from .settings_changes import FEN_SETTINGS

    def show(key, value):
        if key in FEN_SETTINGS and isinstance(value, int):
            return money.format_amount(value)
        return ",".join(value) if isinstance(value, list) else str(value)
    e["detail"] = "; ".join(f"{k}: {show(k, c.get('from'))} → {show(k, c.get('to'))}"
                            for k, c in sorted(d.get("changes", {}).items()))


def _staff(e, type_, d, lk, master):
    from .staffing import change_labels, role_labels
    roles, change = role_labels(), d.get("change", "")
    role = roles.get(d.get("role"), d.get("role", ""))
    e["detail"] = _("{name} ({role}): {change}", name=d.get("name", ""), role=role,
                    change=change_labels().get(change, change))
    if change == "role" and d.get("from_role"):
        e["detail"] += f" ({roles.get(d['from_role'], d['from_role'])} → {role})"


def _customer_data(e, type_, d, lk, master):
    n = len(d.get("order_ids", []))
    who = d.get("member_id") or "-"
    if type_ == "customer.erased":
        e["detail"] = _("erased: member {member}, {n} orders, {points} points forfeited",
                        member=who, n=n, points=d.get("points_forfeited", 0))
    else:
        e["detail"] = _("exported: member {member}, {n} orders", member=who, n=n)


_DESCRIBE = {"refund": _refund, "payment_void": _payment_void, "order_cancel": _order_cancel,
             "price_override": _price_override, "drawer_open": _drawer_open,
             "reprint": _reprint, "stock_adjust": _stock_adjust, "points": _points,
             "cash_move": _cash_move, "shift_override": _shift_override,
             "finance": _finance, "settings": _settings, "staff": _staff,
             "customer_data": _customer_data}
