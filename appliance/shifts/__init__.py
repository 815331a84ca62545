"""Shifts and cash control (issue 9; docs/shifts.md): a shift opens with a float, cash is paid
in and out with a reason, the handover (交班) is a blind count; X and Z reports are journal
records.

One shift is open at a time per box (one cash drawer). Like the order engine, every command
checks against the projections inside one write transaction and then appends its record, so a
sale and a handover at the same moment are serialised and the handover's expected figures
include exactly the sales before it.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from .. import money
from ..clock import parse_ts
from ..errors import Conflict, NotFound, ValidationError
from ..i18n import _
from ..ledger.store import Transaction
from ..orders.permissions import Actor, allowed, require
from ..validate import text
from .counting import COUNTED_METHODS, counted_cash, denominations, over_limit, over_short
from .guard import open_shift_id
from .totals import expected_in_till, report_figures

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")

CASH_KINDS = ("paid_in", "paid_out")
#: Counts a cashier may try before a manager must close the shift: each refusal says only
#: "too far off", and unlimited tries would let a count home in on the expected cash.
MAX_BLIND_COUNTS = 3


class OverShortOverLimit(Conflict):
    """The count differs from what is expected by more than shifts.over_short_limit."""

    code = "over_short_over_limit"

    def __init__(self, message: str, tenders: list[str], *, field: str):
        super().__init__(message, field=field)
        self.tenders = tenders

    def to_json(self) -> dict:
        return {**super().to_json(), "tenders": self.tenders}


class UnsettledOrders(Conflict):
    code = "unsettled_orders"

    def __init__(self, message: str, numbers: list[str]):
        super().__init__(message)
        self.numbers = numbers

    def to_json(self) -> dict:
        return {**super().to_json(), "orders": self.numbers}


@dataclass
class Shift:
    id: str
    number: int
    status: str
    float: int
    opened_at: str
    opened_by: str
    open_seq: int
    closed_at: str | None
    closed_by: str | None
    close_seq: int | None
    expected: dict | None
    counted: dict | None         # {"denominations": {...}, "tenders": {method: fen}}
    over_short: dict | None
    override_by: str | None
    note: str
    close_reason: str
    cash_moves: list[dict] = field(default_factory=list)


_SHIFT_COLUMNS = ("id, number, status, float, opened_at, opened_by, open_seq, closed_at,"
                  " closed_by, close_seq, expected, counted, over_short, override_by, note,"
                  " close_reason")


def _shift_from_row(conn, row) -> Shift:
    values = list(row)
    for i in (10, 11, 12):
        values[i] = json.loads(values[i]) if values[i] else None
    if values[11] is not None:   # stored flat as {method: fen, "denominations": {...}}
        flat = dict(values[11])
        values[11] = {"denominations": flat.pop("denominations", {}), "tenders": flat}
    shift = Shift(*values)
    shift.cash_moves = [
        {"kind": kind, "amount": abs(delta), "reason": note, "staff": staff, "at": ts, "seq": seq}
        for seq, kind, delta, note, staff, ts in conn.execute(
            "SELECT seq, kind, delta, note, staff, ts FROM till_moves WHERE ref = ? AND kind IN"
            " ('paid_in', 'paid_out') ORDER BY seq", (shift.id,))]
    return shift


def load_shift(conn, shift_id: str) -> Shift | None:
    row = conn.execute(f"SELECT {_SHIFT_COLUMNS} FROM shifts WHERE id = ?",
                       (shift_id,)).fetchone()
    return _shift_from_row(conn, row) if row else None


def _report_from_row(row) -> dict:
    doc = json.loads(row[0])
    return {**doc, "created_at": row[1], "created_by": row[2], "seq": row[3]}


class ShiftDesk:
    def __init__(self, ledger, master, timezone: str = "Asia/Shanghai"):
        self.ledger = ledger
        self.master = master
        self.timezone = timezone
        self.tz = ZoneInfo(timezone)
        #: shift id -> counts refused as too far off (in memory: a restart gives new tries)
        self._refused: dict[str, int] = {}

    # -- reading ---------------------------------------------------------------------------

    def current(self) -> Shift | None:
        """The open shift, or None."""
        with self.ledger.reading() as conn:
            shift_id = open_shift_id(conn)
            return load_shift(conn, shift_id) if shift_id else None

    def get(self, shift_id: str) -> Shift:
        with self.ledger.reading() as conn:
            shift = load_shift(conn, shift_id)
        if shift is None:
            raise NotFound(_("shift {shift_id} does not exist", shift_id=shift_id))
        return shift

    def expected_now(self, shift: Shift) -> dict[str, int]:
        """What an open shift should hold now (for a manager; never for the person counting)."""
        with self.ledger.reading() as conn:
            return expected_in_till(conn, shift.float, shift.open_seq)

    def recent(self, limit: int = 50) -> list[Shift]:
        """The newest shifts first."""
        with self.ledger.reading() as conn:
            rows = conn.execute(f"SELECT {_SHIFT_COLUMNS} FROM shifts ORDER BY number DESC"
                                " LIMIT ?", (limit,)).fetchall()
            return [_shift_from_row(conn, r) for r in rows]

    def reports(self, kind: str | None = None, limit: int = 50) -> list[dict]:
        if kind not in (None, "x", "z"):
            raise ValidationError(_("kind must be x or z"), field="kind")
        with self.ledger.reading() as conn:
            rows = conn.execute(
                "SELECT doc, created_at, created_by, seq FROM till_reports WHERE kind ="
                " COALESCE(?, kind) ORDER BY seq DESC LIMIT ?", (kind, limit)).fetchall()
        return [_report_from_row(r) for r in rows]

    def report(self, report_id: str) -> dict:
        with self.ledger.reading() as conn:
            row = conn.execute("SELECT doc, created_at, created_by, seq FROM till_reports"
                               " WHERE id = ?", (report_id,)).fetchone()
        if row is None:
            raise NotFound(_("report {report_id} does not exist", report_id=report_id))
        return _report_from_row(row)

    # -- commands --------------------------------------------------------------------------

    def _actor(self, actor: Actor) -> dict:
        return actor.journal(self.ledger.device_id)

    def _day(self, tx: Transaction) -> str:
        return tx.now().astimezone(self.tz).strftime("%Y%m%d")

    @staticmethod
    def _open_in_tx(tx: Transaction) -> Shift:
        shift_id = open_shift_id(tx.conn)
        if shift_id is None:
            raise Conflict(_("no shift is open: open one first"))
        return load_shift(tx.conn, shift_id)

    @staticmethod
    def _drawer_job() -> dict:
        return {"id": str(uuid.uuid4()), "kind": "drawer", "payload": {}}

    def open(self, actor: Actor, float_: int | None = None, *, counts=None,
             note: str = "") -> Shift:
        """Open the box's shift with a float (fen; the setting's default when not given), or
        with the float counted by denomination (its total is the float)."""
        require(actor, "shift.open", what="opening a shift")
        counts = denominations(counts)
        if counts:
            total = counted_cash(counts)
            if float_ is not None and float_ != total:
                raise ValidationError(_("the float {float} is not what the denominations add up"
                                        " to ({total})", float=money.format_amount(float_),
                                        total=money.format_amount(total)), field="float")
            float_ = total
        if float_ is None:
            float_ = self.master.settings.get("shifts.default_float")
        if isinstance(float_, bool) or not isinstance(float_, int) \
                or not 0 <= float_ <= money.MAX_AMOUNT:
            raise ValidationError(_("float must be an amount of 0.00 or more"), field="float")
        note = text(note, "note", 200)
        with self.ledger.transaction() as tx:
            shift_id = open_shift_id(tx.conn)
            if shift_id is not None:
                number = tx.one("SELECT number FROM shifts WHERE id = ?", (shift_id,))[0]
                raise Conflict(_("shift {number} is still open: hand it over first",
                                 number=number))
            number = tx.one("SELECT COALESCE(MAX(number), 0) + 1 FROM shifts")[0]
            shift_id = str(uuid.uuid4())
            tx.append("shift.opened", self._actor(actor), {
                "shift_id": shift_id, "number": number, "float": float_,
                "denominations": counts, "business_day": self._day(tx), "note": note,
                # The float goes into the drawer.
                "print_jobs": [self._drawer_job()]})
            audit.info("shift opened shift=%d float=%s by=%s", number,
                       money.format_amount(float_), actor.staff_id)
            return load_shift(tx.conn, shift_id)

    def move_cash(self, actor: Actor, kind: str, amount: int, reason: str) -> dict:
        """Cash paid into or out of the drawer (change from the bank, a delivery paid in
        cash), with a reason; kicks the drawer."""
        require(actor, "shift.cash", what="paying cash in or out")
        if kind not in CASH_KINDS:
            raise ValidationError(_("kind must be paid_in or paid_out"), field="kind")
        if isinstance(amount, bool) or not isinstance(amount, int) \
                or not 0 < amount <= money.MAX_AMOUNT:
            raise ValidationError(_("amount must be more than 0.00"), field="amount")
        reason = text(reason, "reason", 200, required=True)
        with self.ledger.transaction() as tx:
            shift = self._open_in_tx(tx)
            rec = tx.append("shift.cash_moved", self._actor(actor), {
                "shift_id": shift.id, "number": shift.number, "kind": kind, "amount": amount,
                "reason": reason, "print_jobs": [self._drawer_job()]})
        audit.info("cash %s shift=%d amount=%s by=%s reason=%s", kind, shift.number,
                   money.format_amount(amount), actor.staff_id, reason)
        return {"shift_id": shift.id, "kind": kind, "amount": amount, "reason": reason,
                "seq": rec.seq, "at": rec.ts}

    def close(self, actor: Actor, *, counts, tenders: dict[str, int] | None = None,
              approver: Actor | None = None, reason: str = "") -> Shift:
        """The handover (交班): a blind count of the cash by denomination and an amount per
        other tender; over/short = counted − expected per tender is recorded. A difference
        over shifts.over_short_limit needs a manager (``approver``, or the actor) and a reason.
        Refused while an order is open or an unfinished order holds payments."""
        require(actor, "shift.close", what="handing over a shift")
        if counts is None:
            raise ValidationError(_("count the cash by denomination (denominations)"),
                                  field="denominations")
        counts = denominations(counts)
        counted = self._counted_tenders(tenders)
        counted["cash"] = counted_cash(counts)
        reason = text(reason, "reason", 200)
        with self.ledger.transaction() as tx:
            shift = self._open_in_tx(tx)
            self._check_settled(tx)
            manager_here = allowed(actor, "shift.override") or approver is not None
            if not manager_here and self._refused.get(shift.id, 0) >= MAX_BLIND_COUNTS:
                raise Conflict(_("the count was refused {n} times: a manager closes this shift",
                                 n=MAX_BLIND_COUNTS), field="approver_pin")
            expected = expected_in_till(tx.conn, shift.float, shift.open_seq)
            diff = over_short(expected, counted)
            limit = self.master.settings.get("shifts.over_short_limit")
            over = over_limit(diff, limit)
            override_by = None
            if over:
                if not manager_here:
                    self._refused[shift.id] = self._refused.get(shift.id, 0) + 1
                override_by = self._override(actor, approver, reason, over, limit, shift)
            job = {"id": str(uuid.uuid4()), "kind": "report",
                   "payload": {"document": "shift", "shift_id": shift.id}}
            tx.append("shift.closed", self._actor(actor), {
                "shift_id": shift.id, "number": shift.number,
                "counted": {"denominations": counts, "tenders": counted},
                "expected": expected, "over_short": diff, "override_by": override_by,
                "reason": reason, "business_day": self._day(tx), "print_jobs": [job]})
            audit.info("shift closed shift=%d over_short=%s by=%s override_by=%s reason=%s",
                       shift.number, {m: money.format_amount(d) for m, d in diff.items()},
                       actor.staff_id, override_by, reason)
            return load_shift(tx.conn, shift.id)

    @staticmethod
    def _counted_tenders(tenders) -> dict[str, int]:
        if tenders is None:
            return {}
        if not isinstance(tenders, dict):
            raise ValidationError(_("tenders must be an object of method: amount"),
                                  field="tenders")
        out = {}
        for method, amount in tenders.items():
            if method == "cash":
                raise ValidationError(_("cash is counted by denomination, not as an amount"),
                                      field="tenders")
            if method not in COUNTED_METHODS:
                raise ValidationError(_("{method} is not counted at a handover; count {methods}",
                                        method=repr(method),
                                        methods=", ".join(COUNTED_METHODS[1:])),
                                      field="tenders")
            if isinstance(amount, bool) or not isinstance(amount, int) \
                    or not 0 <= amount <= money.MAX_AMOUNT:
                raise ValidationError(_("the {method} amount must be 0.00 or more",
                                        method=method), field="tenders")
            out[method] = amount
        return out

    @staticmethod
    def _check_settled(tx: Transaction) -> None:
        """Open orders are settled or parked first; money taken on an unfinished sale is in
        the drawer without a sale to show for it. Parked orders without payments carry over."""
        numbers = [n for (n,) in tx.conn.execute(
            "SELECT number FROM orders WHERE status = 'open' OR (status = 'parked' AND paid > 0)"
            " ORDER BY number")]
        if numbers:
            raise UnsettledOrders(_("settle or park these orders before the handover: {numbers}",
                                    numbers=", ".join(numbers)), numbers)

    def _override(self, actor, approver, reason, over, limit, shift) -> str:
        """Who accepted a difference over the limit (a manager, with a reason), or refuse
        without saying what was expected."""
        names = ", ".join(over)
        if not (allowed(actor, "shift.override") or approver is not None):
            audit.info("shift close refused shift=%d: over/short over %s on %s by=%s",
                       shift.number, money.format_amount(limit), names, actor.staff_id)
            raise OverShortOverLimit(
                _("the count of {tenders} differs from what is expected by more than {limit}:"
                  " count again, or a manager approves", tenders=names,
                  limit=money.format_amount(limit)), over, field="approver_pin")
        approved_by = require(actor, "shift.override", approver,
                              what="accepting an over/short over the limit").staff_id
        if not reason:
            audit.info("shift close refused shift=%d: over/short over %s on %s approved by=%s"
                       " without a reason", shift.number, money.format_amount(limit), names,
                       approved_by)
            raise OverShortOverLimit(
                _("the count of {tenders} differs from what is expected by more than {limit}:"
                  " give the reason for accepting it", tenders=names,
                  limit=money.format_amount(limit)), over, field="reason")
        return approved_by

    # -- X and Z reports ---------------------------------------------------------------------

    def x_report(self, actor: Actor) -> dict:
        """The open shift so far (its records from the opening one to now), printed."""
        require(actor, "report.x", what="an X report")
        with self.ledger.transaction() as tx:
            shift = self._open_in_tx(tx)
            n = tx.one("SELECT COUNT(*) FROM till_reports WHERE kind = 'x' AND shift_id = ?",
                       (shift.id,))[0]
            return self._report(tx, actor, "x", n + 1, shift.open_seq,
                                {"shift_id": shift.id, "shift_number": shift.number,
                                 "float": shift.float})

    def z_report(self, actor: Actor) -> dict:
        """The day close: every record since the previous Z report, printed. Refused while a
        shift is open (its handover belongs in the day it closes)."""
        require(actor, "report.z", what="a Z report")
        with self.ledger.transaction() as tx:
            shift_id = open_shift_id(tx.conn)
            if shift_id is not None:
                number = tx.one("SELECT number FROM shifts WHERE id = ?", (shift_id,))[0]
                raise Conflict(_("shift {number} is open: hand it over before the Z report",
                                 number=number))
            # A part-paid order would put its tenders in this Z and its sale in the next.
            part_paid = [n for (n,) in tx.conn.execute(
                "SELECT number FROM orders WHERE status IN ('open', 'parked') AND paid > 0"
                " ORDER BY number")]
            if part_paid:
                raise UnsettledOrders(
                    _("settle these part-paid orders before the Z report: {numbers}",
                      numbers=", ".join(part_paid)), part_paid)
            prev = tx.one("SELECT number, last_seq FROM till_reports WHERE kind = 'z'"
                          " ORDER BY number DESC LIMIT 1")
            number, first = (prev[0] + 1, prev[1] + 1) if prev else (1, 1)
            return self._report(tx, actor, "z", number, first, {})

    def _report(self, tx: Transaction, actor: Actor, kind: str, number: int, first: int,
                extra: dict) -> dict:
        head = tx.one("SELECT seq, hash, ts FROM journal ORDER BY seq DESC LIMIT 1")
        if head is None or head[0] < first:
            raise Conflict(_("nothing has been recorded since the last Z report"))
        last, head_hash, to_ts = head
        from_ts = tx.one("SELECT ts FROM journal WHERE seq = ?", (first,))[0]
        report_id = str(uuid.uuid4())
        figures = report_figures(tx.conn, first, last, self._category_name)
        # A Z taken after midnight closes the day of the last thing it covers (usually the
        # handover), not the day the manager happened to press the button.
        day = (parse_ts(to_ts).astimezone(self.tz).strftime("%Y%m%d") if kind == "z"
               else self._day(tx))
        data = {"report_id": report_id, "kind": kind, "number": number, **extra,
                "business_day": day, "first_seq": first, "last_seq": last,
                "head_hash": head_hash, "from_ts": from_ts, "to_ts": to_ts, **figures,
                "print_jobs": [{"id": str(uuid.uuid4()), "kind": "report",
                                "payload": {"document": "shift", "report_id": report_id}}]}
        rec = tx.append(f"report.{kind}", self._actor(actor), data)
        audit.info("%s report %d seq %d-%d net=%s by=%s", kind.upper(), number, first, last,
                   money.format_amount(figures["orders"]["net"]), actor.staff_id)
        return {**{k: v for k, v in rec.data.items() if k != "print_jobs"},
                "created_at": rec.ts, "created_by": actor.staff_id, "seq": rec.seq}

    def _category_name(self, category_id: str) -> str:
        if not category_id:
            return ""
        try:
            return self.master.catalog.get_category(category_id).name
        except NotFound:   # deleted since the sale: the id is all there is
            return category_id

    def reprint(self, actor: Actor, report_id: str) -> dict:
        """The print payload of a copy of a report (the caller queues it: paper, not money)."""
        require(actor, "report.x", what="reprinting a report")
        report = self.report(report_id)
        audit.info("%s report %d reprinted by=%s", report["kind"].upper(), report["number"],
                   actor.staff_id)
        return {"document": "shift", "report_id": report_id, "copy": "reprint"}
