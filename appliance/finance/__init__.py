"""Finance (issue 9; docs/finance.md): income and expense entries as journal records, and
profit by day and month.

An entry is money that moved outside the till (rent paid, wages, a supplier's invoice, a
refund from the power company): ``finance.entry_added``. It is never edited or deleted; a
wrong one is voided (``finance.entry_voided``, with the reason) and entered again.

Profit = sales revenue (after refunds) - cost of goods sold - expenses + other income, per
shop-local day; revenue and cost of goods sold come from the sales reports
(:meth:`appliance.reports.Reports.daily`), so the finance page and the reports agree.
"""

from __future__ import annotations

import calendar
import logging
import uuid
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from .. import money
from ..csv_export import csv_bytes
from ..errors import Conflict, NotFound, ValidationError
from ..i18n import _
from ..master.suppliers import parse_day
from ..orders.permissions import Actor, require
from ..validate import text

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")

#: category -> kind. Supplier payments may name the supplier (master data).
CATEGORIES = {
    "rent": "expense",
    "wages": "expense",
    "utilities": "expense",
    "supplier": "expense",
    "other_expense": "expense",
    "other_income": "income",
}


def category_labels() -> dict[str, str]:
    """What a person calls each category (in the screen's language)."""
    return {"rent": _("Rent"), "wages": _("Wages"), "utilities": _("Utilities"),
            "supplier": _("Supplier payment"), "other_expense": _("Other expense"),
            "other_income": _("Other income")}


MAX_NOTE = 200
MAX_REASON = 200
#: The earliest day an entry may be for (typos like 1026 are refused).
EARLIEST_DAY = "2000-01-01"


def _month_bounds(month: str) -> tuple[str, str]:
    """``2026-11`` -> (``2026-11-01``, ``2026-11-30``)."""
    try:
        year, mon = (int(x) for x in month.split("-"))
        last = calendar.monthrange(year, mon)[1]
        if len(month) != 7 or not 2000 <= year <= 2999:
            raise ValueError(month)
    except (ValueError, AttributeError):
        raise ValidationError(_("month must look like 2026-11"), field="month") from None
    return f"{year:04d}-{mon:02d}-01", f"{year:04d}-{mon:02d}-{last:02d}"


def _year(value) -> int:
    if isinstance(value, str) and value.isdigit() and len(value) == 4:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 2000 <= value <= 2999:
        raise ValidationError(_("year must look like 2026"), field="year")
    return value


def entry_json(row: dict) -> dict:
    """An entry for the API: amounts as decimal strings."""
    return {**row, "amount": money.format_amount(row["amount"])}


def profit_json(row: dict) -> dict:
    return {k: (money.format_amount(v) if isinstance(v, int) and k not in ("orders",) else v)
            for k, v in row.items()}


class Finance:
    def __init__(self, ledger, master, timezone: str = "Asia/Shanghai", *, reports=None):
        self.ledger = ledger
        self.master = master
        self.timezone = timezone
        self.tz = ZoneInfo(timezone)
        #: The box's reports (their remembered past days are shared), else our own.
        self._reports = reports

    @property
    def reports(self):
        """The sales reports over the same ledger (revenue and cost of goods sold)."""
        if self._reports is None:
            from ..reports import Reports
            self._reports = Reports(self.ledger, self.master, self.timezone)
        return self._reports

    def today(self) -> str:
        return self.ledger.now().astimezone(self.tz).date().isoformat()

    def _actor(self, actor: Actor) -> dict:
        return actor.journal(self.ledger.device_id)

    # -- entries ---------------------------------------------------------------------------

    def add_entry(self, actor: Actor, category: str, amount: int, day: str | None = None,
                  note: str = "", supplier_id: str | None = None) -> dict:
        """Record income or an expense (owner). Returns the entry as stored."""
        require(actor, "finance", what="entering income and expenses")
        if category not in CATEGORIES:
            raise ValidationError(_("category must be one of {names}",
                                    names=", ".join(CATEGORIES)), field="category")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0 \
                or amount > money.MAX_AMOUNT:
            raise ValidationError(_("amount must be more than 0.00"), field="amount")
        today = self.today()
        day = today if day in (None, "") else parse_day(day, "day")
        if day > today:
            raise ValidationError(_("day {day} is in the future: enter money when it moves",
                                    day=day), field="day")
        if day < EARLIEST_DAY:
            raise ValidationError(_("day {day} is too long ago", day=day), field="day")
        note = text(note, "note", MAX_NOTE, multiline=True)
        data = {"entry_id": str(uuid.uuid4()), "kind": CATEGORIES[category],
                "category": category, "amount": amount, "day": day, "note": note}
        if supplier_id:
            if category != "supplier":
                raise ValidationError(_("only a supplier payment names a supplier"),
                                      field="supplier_id")
            self.master.suppliers.get(supplier_id)   # NotFound names it
            data["supplier_id"] = supplier_id
        with self.ledger.transaction() as tx:
            tx.append("finance.entry_added", self._actor(actor), data)
            row = self._entry(tx.conn, data["entry_id"])
        audit.info("finance entry added id=%s kind=%s category=%s amount=%s day=%s by=%s",
                   data["entry_id"], data["kind"], category, money.format_amount(amount), day,
                   actor.staff_id)
        return row

    def void_entry(self, actor: Actor, entry_id: str, reason: str) -> dict:
        """Take back a wrong entry (it stays on the list, struck through, with the reason)."""
        require(actor, "finance", what="voiding income and expenses")
        reason = text(reason, "reason", MAX_REASON, required=True)
        with self.ledger.transaction() as tx:
            row = self._entry(tx.conn, entry_id)
            if row is None:
                raise NotFound(_("there is no finance entry {entry_id}", entry_id=entry_id),
                               field="entry_id")
            if row["voided"]:
                raise Conflict(_("the entry is already voided"), field="entry_id")
            tx.append("finance.entry_voided", self._actor(actor),
                      {"entry_id": entry_id, "reason": reason})
            row = self._entry(tx.conn, entry_id)
        audit.info("finance entry voided id=%s amount=%s by=%s reason=%s", entry_id,
                   money.format_amount(row["amount"]), actor.staff_id, reason)
        return row

    _COLUMNS = ("id", "kind", "category", "amount", "day", "note", "supplier_id",
                "created_at", "created_by", "seq", "voided", "void_reason", "voided_by")

    def _row(self, values) -> dict:
        row = dict(zip(self._COLUMNS, values))
        row["voided"] = bool(row["voided"])
        return row

    def _entry(self, conn, entry_id: str) -> dict | None:
        values = conn.execute(f"SELECT {', '.join(self._COLUMNS)} FROM finance_entries"
                              " WHERE id = ?", (entry_id,)).fetchone()
        return self._row(values) if values else None

    def entries(self, actor: Actor, first_day: str, last_day: str) -> list[dict]:
        """Entries of these days (voided ones too), newest day first."""
        require(actor, "finance", what="looking at income and expenses")
        first_day, last_day = self._days(first_day, last_day)
        with self.ledger.reading() as conn:
            rows = conn.execute(f"SELECT {', '.join(self._COLUMNS)} FROM finance_entries"
                                " WHERE day BETWEEN ? AND ? ORDER BY day DESC, seq DESC",
                                (first_day, last_day)).fetchall()
        out = [self._row(r) for r in rows]
        names = self._names()
        for row in out:
            row["created_by_name"] = names.get(row["created_by"], row["created_by"])
            row["voided_by_name"] = names.get(row["voided_by"] or "", row["voided_by"])
            supplier = self.master.suppliers.find(row["supplier_id"])
            row["supplier_name"] = supplier.name if supplier else ""
        return out

    def _names(self) -> dict:
        return {s.id: s.name for s in self.master.staff.list(include_inactive=True)}

    @staticmethod
    def _days(first_day, last_day) -> tuple[str, str]:
        first_day, last_day = parse_day(first_day, "from"), parse_day(last_day, "to")
        if last_day < first_day:
            raise ValidationError(_("the period ends before it starts"), field="to")
        return first_day, last_day

    # -- profit ----------------------------------------------------------------------------

    def _entry_totals(self, first_day: str, last_day: str) -> dict[str, tuple[int, int]]:
        """day -> (expenses, other income) of the entries not voided."""
        with self.ledger.reading() as conn:
            rows = conn.execute(
                "SELECT day, COALESCE(SUM(CASE WHEN kind = 'expense' THEN amount END), 0),"
                " COALESCE(SUM(CASE WHEN kind = 'income' THEN amount END), 0)"
                " FROM finance_entries WHERE voided = 0 AND day BETWEEN ? AND ?"
                " GROUP BY day", (first_day, last_day)).fetchall()
        return {day: (expenses, income) for day, expenses, income in rows}

    def profit_by_day(self, actor: Actor, first_day: str, last_day: str) -> list[dict]:
        """One row per day (every day of the period, also those without sales), fen ints:
        revenue (sales less refunds), cogs, gross_profit, expenses, other_income, profit."""
        require(actor, "finance", what="looking at profit")
        first_day, last_day = self._days(first_day, last_day)
        sales = {row["day"]: row for row in self.reports.daily(first_day, last_day)}
        entries = self._entry_totals(first_day, last_day)
        out = []
        day = date.fromisoformat(first_day)
        while day.isoformat() <= last_day:
            key = day.isoformat()
            s = sales.get(key, {})
            expenses, income = entries.get(key, (0, 0))
            out.append(_profit_row(key, s.get("orders", 0), s.get("net", 0), s.get("cogs", 0),
                                   expenses, income))
            day += timedelta(days=1)
        return out

    def profit_of_month(self, actor: Actor, month: str) -> list[dict]:
        first_day, last_day = _month_bounds(month)
        return self.profit_by_day(actor, first_day, last_day)

    def profit_by_month(self, actor: Actor, year) -> list[dict]:
        """Twelve rows (``2026-01`` ... ``2026-12``), the sums of their days."""
        year = _year(year)
        days = self.profit_by_day(actor, f"{year}-01-01", f"{year}-12-31")
        months = {}
        for row in days:
            key = row["day"][:7]
            acc = months.setdefault(key, {"month": key, **{k: 0 for k in SUMMED}})
            for k in SUMMED:
                acc[k] += row[k]
        return list(months.values())

    # -- CSV -------------------------------------------------------------------------------

    def entries_csv(self, actor: Actor, first_day: str, last_day: str) -> bytes:
        rows = self.entries(actor, first_day, last_day)
        return csv_bytes(
            ["day", "kind", "category", "amount", "supplier", "note", "entered_by",
             "entered_at", "voided", "void_reason", "voided_by", "id"],
            [[r["day"], r["kind"], r["category"], money.format_amount(r["amount"]),
              r["supplier_name"], r["note"], r["created_by_name"], r["created_at"],
              "yes" if r["voided"] else "", r["void_reason"] or "", r["voided_by_name"] or "",
              r["id"]] for r in reversed(rows)])

    def profit_csv(self, rows: list[dict]) -> bytes:
        """Rows of profit_by_day or profit_by_month as CSV."""
        first = "month" if rows and "month" in rows[0] else "day"
        return csv_bytes([first, "orders", *SUMMED[1:]],
                         [[r[first], r["orders"], *(money.format_amount(r[k])
                                                    for k in SUMMED[1:])] for r in rows])


#: The figures of a profit row, in the order of the CSV columns.
SUMMED = ("orders", "revenue", "cogs", "gross_profit", "expenses", "other_income", "profit")


def _profit_row(day: str, orders: int, revenue: int, cogs: int, expenses: int,
                income: int) -> dict:
    gross = revenue - cogs
    return {"day": day, "orders": orders, "revenue": revenue, "cogs": cogs,
            "gross_profit": gross, "expenses": expenses, "other_income": income,
            "profit": gross - expenses + income}
