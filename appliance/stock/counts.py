"""Stocktakes (盘点): a count of one or more categories, or the whole shop, on several phones.

Every scan or typed quantity is one ``count.entry`` record carrying the system level at that
moment, read inside the write transaction (``BEGIN IMMEDIATE``: phones are serialised, and the
second sees the first's entry). An item's total is the sum over all phones; its expected
quantity is the level at its last entry, so a sale after an item was counted is neither undone
nor counted twice: the approval moves stock by ``counted - expected`` on top of whatever
happened since (docs/stocktake.md).

Blind counts: whoever lacks ``stock.count.manage`` never sees expected quantities or
differences, in any view, the CSV sheet or the printed one.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import asdict
from zoneinfo import ZoneInfo

from ..clock import format_ts, parse_ts
from ..csv_export import csv_bytes
from ..errors import Conflict, NotFound, ValidationError
from ..i18n import _, language
from ..ledger import Ledger
from ..ledger.store import Transaction
from ..master import MasterData
from ..master.catalog import Product, Variant
from ..money import format_amount
from ..orders.permissions import Actor, allowed, require
from ..validate import text
from . import stock_item

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")

MAX_ENTRY_QTY = 99_999
STATUSES = ("open", "approved", "cancelled")


def _scope(value) -> dict:
    """``{"all": true}`` or ``{"categories": [ids...]}`` (sorted, without repeats)."""
    if not isinstance(value, dict):
        raise ValidationError(_('scope must be {"all": true} or {"categories": [...]}'),
                              field="scope")
    if value.get("all") is True and not value.get("categories"):
        return {"all": True}
    cats = value.get("categories")
    if value.get("all") or not isinstance(cats, list) or not cats \
            or not all(isinstance(c, str) and c for c in cats):
        raise ValidationError(_('scope must be {"all": true} or {"categories": [...]}'),
                              field="scope")
    return {"categories": sorted(set(cats))}


def _overlaps(a: dict, b: dict) -> bool:
    if a.get("all") or b.get("all"):
        return True
    return bool(set(a["categories"]) & set(b["categories"]))


def _in_scope(scope: dict, product: Product) -> bool:
    return bool(scope.get("all")) or product.category_id in scope["categories"]


def blind_to(conn, actor: Actor):
    """Whether ``actor`` may not see the level of an item of a category right now: the item is
    in an open blind count, and they may not manage counts (they would count against the
    number instead of the shelf). Returns a test of a category id."""
    if allowed(actor, "stock.count.manage"):
        return lambda _category_id: False
    scopes = [json.loads(s) for (s,) in conn.execute(
        "SELECT scope FROM counts WHERE status = 'open' AND blind = 1")]
    if any(s.get("all") for s in scopes):
        return lambda _category_id: True
    hidden = {c for s in scopes for c in s.get("categories", ())}
    return lambda category_id: category_id in hidden


class Stocktake:
    def __init__(self, ledger: Ledger, master: MasterData, timezone: str = "Asia/Shanghai"):
        self.ledger = ledger
        self.master = master
        self.tz = ZoneInfo(timezone)

    # -- reading ---------------------------------------------------------------------------

    def find(self, actor: Actor, status: str | None = None, limit: int = 50) -> list[dict]:
        require(actor, "stock.count", what="looking at stocktakes")
        if status not in (None, "", *STATUSES):
            raise ValidationError(_("status must be one of {choices}",
                                    choices=", ".join(STATUSES)), field="status")
        sql = ("SELECT c.id, c.number, c.scope, c.blind, c.status, c.note, c.started_at,"
               " c.started_by, c.finished_at, c.finished_by, (SELECT COUNT(*) FROM count_items"
               " i WHERE i.count_id = c.id AND i.entries > 0) FROM counts c")
        params: tuple = ()
        if status:
            sql += " WHERE c.status = ?"
            params = (status,)
        with self.ledger.reading() as conn:
            rows = conn.execute(sql + " ORDER BY c.started_at DESC, c.number DESC LIMIT ?",
                                params + (min(limit, 200),)).fetchall()
        return [{**self._head_json(r[:10]), "items_counted": r[10]} for r in rows]

    def get(self, actor: Actor, count_id: str) -> dict:
        """The count as a phone shows it: each counted item's total over all phones; expected
        quantities and differences only for managers or when the count is not blind."""
        require(actor, "stock.count", what="looking at stocktakes")
        with self.ledger.reading() as conn:
            head = self._head(conn, count_id)
            items = self._items(conn, count_id)
            mine = conn.execute(
                "SELECT id, product_id, variant_id, qty, ts FROM count_entries WHERE count_id = ?"
                " AND staff = ? ORDER BY seq DESC LIMIT 20", (count_id, actor.staff_id)).fetchall()
            out = self._head_json(head)
            sees = self._sees_expected(actor, out)
            out["shows_expected"] = sees
            out["items"] = [self._item_json(conn, it, sees) for it in items]
        out["my_entries"] = [{"entry_id": e, "product_id": p, "variant_id": v, "qty": q,
                              "ts": ts, **self._names(p, v)} for e, p, v, q, ts in mine]
        return out

    def review(self, actor: Actor, count_id: str) -> dict:
        """The manager's review: per item counted, expected, difference in quantity and value,
        the totals, and the items in scope nobody counted. An approved count shows what its
        approval recorded."""
        require(actor, "stock.count.manage", what="reviewing stocktakes")
        with self.ledger.reading() as conn:
            head = self._head(conn, count_id)
            out = self._head_json(head)
            if out["status"] == "approved":
                approved = json.loads(conn.execute("SELECT data FROM journal WHERE seq = ?",
                                                   (head[-1],)).fetchone()[0])
                lines = approved["lines"]
                uncounted: list[dict] = []
            else:
                lines = self._lines(conn, self._items(conn, count_id))
                uncounted = self._uncounted(conn, out["scope"], count_id)
        rows = [{**ln, **self._names(ln["product_id"], ln.get("variant_id", "")),
                 "value": format_amount(ln["value"]), "entries": ln.get("entries"),
                 "unit_cost": (format_amount(ln["unit_cost"]) if "unit_cost" in ln else None)}
                for ln in lines]
        gain = sum(ln["value"] for ln in lines if ln["value"] > 0)
        loss = sum(ln["value"] for ln in lines if ln["value"] < 0)
        out["lines"] = rows
        out["not_counted"] = [{**u, "value": format_amount(u["value"]),
                               "unit_cost": format_amount(u["unit_cost"])} for u in uncounted]
        out["totals"] = {
            "items": len(lines), "counted": sum(ln["counted"] for ln in lines),
            "expected": sum(ln["expected"] for ln in lines),
            "difference": sum(ln["delta"] for ln in lines),
            "items_different": sum(1 for ln in lines if ln["delta"]),
            "value": format_amount(gain + loss), "gain": format_amount(gain),
            "loss": format_amount(loss), "not_counted": len(uncounted),
            "not_counted_qty": sum(u["qty"] for u in uncounted),
            "not_counted_value": format_amount(sum(u["value"] for u in uncounted))}
        return out

    # -- writing ---------------------------------------------------------------------------

    def start(self, actor: Actor, *, scope, blind: bool = True, note: str = "") -> dict:
        require(actor, "stock.count.manage", what="starting a stocktake")
        scope = _scope(scope)
        if not isinstance(blind, bool):
            raise ValidationError(_("{name} must be true or false", name="blind"), field="blind")
        note = text(note, "note", 200, multiline=True)
        for cid in scope.get("categories", ()):
            self.master.catalog.get_category(cid)  # NotFound names the unknown category
        count_id = f"cnt-{uuid.uuid4().hex[:12]}"
        with self.ledger.transaction() as tx:
            for number, other in tx.conn.execute(
                    "SELECT number, scope FROM counts WHERE status = 'open'").fetchall():
                if _overlaps(scope, json.loads(other)):
                    raise Conflict(_("stocktake {number} is still open for some of the same "
                                     "products: approve or cancel it first", number=number),
                                   field="scope")
            number = self._next_number(tx)
            tx.append("count.started", actor.journal(self.ledger.device_id),
                      {"count_id": count_id, "number": number, "scope": scope, "blind": blind,
                       "note": note})
            out = self._head_json(self._head(tx.conn, count_id))
        audit.info("stocktake %s started scope=%s blind=%s by=%s", number,
                   json.dumps(scope, ensure_ascii=False), blind, actor.staff_id)
        return out

    def add_entry(self, actor: Actor, count_id: str, *, qty, barcode: str | None = None,
                  product_id: str | None = None, variant_id: str | None = "") -> dict:
        """One scan or typed quantity (negative undoes a mis-scan); the item's new total."""
        require(actor, "stock.count", what="counting stock")
        if isinstance(qty, bool) or not isinstance(qty, int) or qty == 0 \
                or abs(qty) > MAX_ENTRY_QTY:
            raise ValidationError(_("qty must be a whole number from -{max} to {max}, not 0",
                                    max=MAX_ENTRY_QTY), field="qty")
        product, variant = self._resolve(barcode, product_id, variant_id or "")
        vid = variant.id if variant else ""
        entry_id = str(uuid.uuid4())
        with self.ledger.transaction() as tx:
            head = self._head_json(self._head(tx.conn, count_id))
            self._check_open(head)
            if not _in_scope(head["scope"], product):
                raise Conflict(_("{name} is not in stocktake {number}: count it in a count of "
                                 "its own category", name=product.name, number=head["number"]),
                               field="product_id")
            row = tx.one("SELECT counted, expected FROM count_items WHERE count_id = ? AND"
                         " product_id = ? AND variant_id = ?", (count_id, product.id, vid))
            total = (row[0] if row else 0) + qty
            if total < 0:
                raise ValidationError(_("{name} would be counted {total}: a total cannot go "
                                        "below 0", name=product.name, total=total),
                                      field="qty")
            # An entry that takes some back (a mis-scan undone) counts nothing new on the
            # shelf: it keeps the level the item was counted against, so a sale since then
            # is not added back.
            level = row[1] if row and qty < 0 else self._level(tx.conn, product.id, vid)
            tx.append("count.entry", actor.journal(self.ledger.device_id),
                      {"count_id": count_id, "entry_id": entry_id, "product_id": product.id,
                       "variant_id": vid, "qty": qty, "level": level})
            item = self._items(tx.conn, count_id, (product.id, vid))[0]
            shown = self._item_json(tx.conn, item, self._sees_expected(actor, head))
        return {"count_id": count_id, "entry_id": entry_id, **shown}

    def approve(self, actor: Actor, count_id: str, *, zero_uncounted: bool = False) -> dict:
        """Write the corrections: one ``count.approved`` record moving each item by counted
        minus expected (and, if asked, the items nobody counted to 0)."""
        require(actor, "stock.count.manage", what="approving stocktakes")
        if not isinstance(zero_uncounted, bool):
            raise ValidationError(_("{name} must be true or false", name="zero_uncounted"),
                                  field="zero_uncounted")
        with self.ledger.transaction() as tx:
            head = self._head_json(self._head(tx.conn, count_id))
            self._check_open(head)
            lines = self._lines(tx.conn, self._items(tx.conn, count_id))
            if zero_uncounted:
                for u in self._uncounted(tx.conn, head["scope"], count_id):
                    if u["qty"]:
                        lines.append({"product_id": u["product_id"],
                                      "variant_id": u["variant_id"], "counted": 0,
                                      "expected": u["qty"], "delta": -u["qty"],
                                      "value": -u["value"]})
            if not lines:
                raise Conflict(_("stocktake {number} has nothing counted: count something, "
                                 "or cancel it", number=head["number"]))
            record = [{k: ln[k] for k in ("product_id", "variant_id", "counted", "expected",
                                          "delta", "value")} for ln in lines]
            moves = [{"product_id": ln["product_id"], "variant_id": ln["variant_id"],
                      "delta": ln["delta"], "reason": "count", "ref": count_id}
                     for ln in lines if ln["delta"]]
            tx.append("count.approved", actor.journal(self.ledger.device_id),
                      {"count_id": count_id, "stock": moves, "lines": record,
                       "zero_uncounted": zero_uncounted})
        value = sum(ln["value"] for ln in lines)
        audit.info("stocktake %s approved items=%d corrections=%d difference=%s by=%s",
                   head["number"], len(lines), len(moves), format_amount(value),
                   actor.staff_id)
        return self.review(actor, count_id)

    def cancel(self, actor: Actor, count_id: str, reason: str) -> dict:
        require(actor, "stock.count.manage", what="cancelling stocktakes")
        reason = text(reason, "reason", 200, required=True)
        with self.ledger.transaction() as tx:
            head = self._head_json(self._head(tx.conn, count_id))
            self._check_open(head)
            tx.append("count.cancelled", actor.journal(self.ledger.device_id),
                      {"count_id": count_id, "reason": reason})
            out = self._head_json(self._head(tx.conn, count_id))
        audit.info("stocktake %s cancelled by=%s reason=%r", head["number"], actor.staff_id,
                   reason)
        return out

    # -- the count sheet -------------------------------------------------------------------

    def sheet_rows(self, actor: Actor, count_id: str) -> tuple[dict, list[dict], bool]:
        """(the count, one row per item in scope or counted, whether expected is shown)."""
        view = self.get(actor, count_id)
        sees = view["shows_expected"]
        rows = list(view["items"])
        with self.ledger.reading() as conn:
            uncounted = self._uncounted(conn, view["scope"], count_id)
        for u in uncounted:
            row = {"product_id": u["product_id"], "variant_id": u["variant_id"],
                   **self._names(u["product_id"], u["variant_id"]), "counted": None}
            if sees:
                row.update(expected=u["qty"], difference=None)
            rows.append(row)
        rows.sort(key=lambda r: (r["sku"], r["name"], r["spec"]))
        return view, rows, sees

    def sheet_csv(self, actor: Actor, count_id: str) -> bytes:
        """The count sheet as CSV: UTF-8 with a BOM, so Excel opens the Chinese correctly."""
        view, rows, sees = self.sheet_rows(actor, count_id)
        header = ["number", "sku", "barcode", "name", "spec", "unit", "counted"]
        if sees:
            header += ["expected", "difference", "unit_cost", "difference_value"]
        lines = []
        for r in rows:
            line = [view["number"], r["sku"], r["barcode"], r["name"], r["spec"], r["unit"],
                    "" if r["counted"] is None else r["counted"]]
            if sees:
                diff = r.get("difference")
                line += [r.get("expected", ""), "" if diff is None else diff,
                         r.get("unit_cost", ""), r.get("difference_value", "")]
            lines.append(line)
        return csv_bytes(header, lines)

    def print_sheet(self, actor: Actor, count_id: str) -> str:
        """Queue the count sheet for the receipt printer (a ``report`` job whose payload is the
        laid-out document); the job id. Paper, not stock: no journal record, like a setup
        slip."""
        from drivers.printer.layout import COLUMNS, Line, columns, wrap
        view, rows, sees = self.sheet_rows(actor, count_id)
        settings = self.master.settings
        paper = settings.get("receipt.width_mm")
        cols = COLUMNS[paper]
        lines: list = []
        with language(settings.get("receipt.language")):
            lines.append(Line(_("Stocktake {number}", number=view["number"]), "center",
                              bold=True, double=True))
            lines += [Line(t) for t in columns(_("Scope"), self._scope_text(view["scope"]),
                                               cols)]
            lines += [Line(t) for t in columns(_("Status"), _status_label(view["status"]),
                                               cols)]
            lines += [Line(t) for t in columns(_("Started"), self._local(view["started_at"]),
                                               cols)]
            lines += [Line(t) for t in columns(_("Printed"), self._local(
                format_ts(self.ledger.now())), cols)]
            lines.append(Line("-" * cols))
            right = _("counted/expected") if sees else _("counted")
            lines += [Line(t, bold=True) for t in columns(_("Item"), right, cols)]
            lines.append(Line("-" * cols))
            for r in rows:
                name = r["name"] + (f" {r['spec']}" if r["spec"] else "")
                lines += [Line(t) for t in wrap(name, cols)]
                counted = "____" if r["counted"] is None else str(r["counted"])
                figure = f"{counted}/{r['expected']}" if sees else counted
                if sees and r.get("difference"):
                    figure += f" ({r['difference']:+d})"
                lines += [Line(t) for t in columns("  " + (r["sku"] or r["barcode"]), figure,
                                                   cols)]
            lines.append(Line("-" * cols))
            counted_rows = [r for r in rows if r["counted"] is not None]
            lines += [Line(t, bold=True) for t in columns(
                _("Items counted"), f"{len(counted_rows)}/{len(rows)}", cols)]
            lines += [Line(t) for t in columns(
                _("Quantity counted"), str(sum(r["counted"] for r in counted_rows)), cols)]
            if sees:
                diff_value = sum(_fen(r.get("difference_value")) for r in rows)
                lines += [Line(t, bold=True) for t in columns(
                    _("Difference value"), format_amount(diff_value), cols)]
            lines.append(Line(""))
        doc = {"lines": [asdict(ln) for ln in lines], "cut": True, "paper_mm": paper}
        job_id = f"count-{uuid.uuid4().hex[:12]}"
        with self.ledger.transaction() as tx:
            seq = tx.one("SELECT MAX(seq) FROM journal")[0] or 0
            tx.conn.execute("INSERT INTO print_jobs (id, kind, payload, created_at, seq)"
                            " VALUES (?, 'report', ?, ?, ?)",
                            (job_id, json.dumps(doc, ensure_ascii=False), format_ts(tx.now()),
                             seq))
        log.info("count sheet %s queued for the printer (job %s) by %s", view["number"],
                 job_id, actor.staff_id)
        return job_id

    # -- internals -------------------------------------------------------------------------

    def _resolve(self, barcode, product_id, variant_id) -> tuple[Product, Variant | None]:
        return stock_item(self.master.catalog, barcode=barcode, product_id=product_id,
                          variant_id=variant_id)

    def _next_number(self, tx: Transaction) -> str:
        """PD<business day>-<nn>: the day's counts numbered from 01."""
        day = tx.now().astimezone(self.tz).strftime("%Y%m%d")
        prefix = f"PD{day}-"
        # By the number, not the text: "-100" sorts before "-99".
        last = tx.one("SELECT number FROM counts WHERE number LIKE ? ORDER BY"
                      " CAST(substr(number, ?) AS INTEGER) DESC LIMIT 1",
                      (prefix + "%", len(prefix) + 1))
        last = last[0] if last else None
        n = int(last[len(prefix):]) + 1 if last else 1
        return f"{prefix}{n:02d}"

    @staticmethod
    def _head(conn, count_id: str):
        row = conn.execute(
            "SELECT id, number, scope, blind, status, note, started_at, started_by, finished_at,"
            " finished_by, last_seq FROM counts WHERE id = ?", (count_id,)).fetchone()
        if row is None:
            raise NotFound(_("stocktake {count_id} does not exist", count_id=count_id))
        return row

    def _head_json(self, row) -> dict:
        cid, number, scope, blind, status, note, started_at, started_by, fin_at, fin_by = row[:10]
        scope = json.loads(scope)
        return {"id": cid, "number": number, "scope": scope,
                "scope_text": self._scope_text(scope), "blind": bool(blind), "status": status,
                "note": note, "started_at": started_at, "started_by": started_by,
                "finished_at": fin_at, "finished_by": fin_by}

    @staticmethod
    def _check_open(head: dict) -> None:
        if head["status"] != "open":
            raise Conflict(_("stocktake {number} is {status}: it cannot change any more",
                             number=head["number"], status=_status_label(head["status"])))

    @staticmethod
    def _sees_expected(actor: Actor, head: dict) -> bool:
        return allowed(actor, "stock.count.manage") or not head["blind"]

    @staticmethod
    def _items(conn, count_id: str, key: tuple[str, str] | None = None) -> list[tuple]:
        sql = ("SELECT product_id, variant_id, counted, expected, entries FROM count_items"
               " WHERE count_id = ?")
        params: tuple = (count_id,)
        if key:
            sql += " AND product_id = ? AND variant_id = ?"
            params += key
        return conn.execute(sql + " ORDER BY product_id, variant_id", params).fetchall()

    @staticmethod
    def _level(conn, product_id: str, variant_id: str) -> int:
        row = conn.execute("SELECT qty FROM stock_levels WHERE product_id = ? AND variant_id = ?",
                           (product_id, variant_id)).fetchone()
        return row[0] if row else 0

    def _unit_cost(self, conn, product_id: str, variant_id: str) -> int:
        """The moving-average cost when goods were received, else the catalog's cost."""
        row = conn.execute("SELECT avg_cost FROM stock_levels WHERE product_id = ? AND"
                           " variant_id = ?", (product_id, variant_id)).fetchone()
        if row and row[0] is not None:
            return row[0]
        product = self.master.catalog.find_product(product_id)
        if product is None:
            return 0
        variant = None
        if variant_id:
            variant = next((v for v in product.variants if v.id == variant_id), None)
        return product.cost_of(variant)

    def _lines(self, conn, items) -> list[dict]:
        out = []
        for pid, vid, counted, expected, entries in items:
            cost = self._unit_cost(conn, pid, vid)
            delta = counted - expected
            out.append({"product_id": pid, "variant_id": vid, "counted": counted,
                        "expected": expected, "delta": delta, "unit_cost": cost,
                        "value": delta * cost, "entries": entries})
        return out

    def _scope_items(self, scope: dict) -> list[tuple[Product, Variant | None]]:
        """Every stock-tracked item the scope covers (inactive ones too: they may be on a
        shelf)."""
        out: list[tuple[Product, Variant | None]] = []
        for p in self.master.catalog.list_products(include_inactive=True):
            if not p.stock_tracked or not _in_scope(scope, p):
                continue
            if p.variants:
                out += [(p, v) for v in p.variants]
            else:
                out.append((p, None))
        return out

    def _uncounted(self, conn, scope: dict, count_id: str) -> list[dict]:
        """Items in scope nobody counted: the active ones, and inactive ones still in stock."""
        counted = {(p, v) for p, v in conn.execute(
            "SELECT product_id, variant_id FROM count_items WHERE count_id = ?", (count_id,))}
        out = []
        for p, v in self._scope_items(scope):
            vid = v.id if v else ""
            if (p.id, vid) in counted:
                continue
            qty = self._level(conn, p.id, vid)
            if not qty and not (p.active and (v is None or v.active)):
                continue
            cost = self._unit_cost(conn, p.id, vid)
            out.append({"product_id": p.id, "variant_id": vid, **self._names(p.id, vid),
                        "qty": qty, "unit_cost": cost, "value": qty * cost})
        out.sort(key=lambda u: (u["sku"], u["name"], u["spec"]))
        return out

    def _names(self, product_id: str, variant_id: str) -> dict:
        product = self.master.catalog.find_product(product_id)
        if product is None:
            return {"name": product_id, "spec": "", "sku": "", "barcode": "", "unit": ""}
        variant = next((v for v in product.variants if v.id == variant_id), None) \
            if variant_id else None
        barcodes = (variant.barcodes if variant else product.barcodes) or product.barcodes
        return {"name": product.name, "spec": " ".join(variant.spec.values()) if variant else "",
                "sku": (variant.sku if variant and variant.sku else product.sku),
                "barcode": barcodes[0] if barcodes else "", "unit": product.unit}

    def _item_json(self, conn, item: tuple, sees_expected: bool) -> dict:
        pid, vid, counted, expected, entries = item
        out = {"product_id": pid, "variant_id": vid, **self._names(pid, vid),
               "counted": counted, "entries": entries}
        if sees_expected:
            cost = self._unit_cost(conn, pid, vid)
            out.update(expected=expected, difference=counted - expected,
                       unit_cost=format_amount(cost),
                       difference_value=format_amount((counted - expected) * cost))
        return out

    def _scope_text(self, scope: dict) -> str:
        if scope.get("all"):
            return _("whole shop")
        names = []
        for cid in scope["categories"]:
            try:
                names.append(self.master.catalog.get_category(cid).name)
            except NotFound:
                names.append(cid)
        return ", ".join(names)

    def _local(self, ts: str | None) -> str:
        return parse_ts(ts).astimezone(self.tz).strftime("%Y-%m-%d %H:%M") if ts else ""


def _status_label(status: str) -> str:
    return {"open": _("open"), "approved": _("approved"), "cancelled": _("cancelled")}[status]


def _fen(amount: str | None) -> int:
    """A decimal string from a sheet row back to fen (0 for none)."""
    if not amount:
        return 0
    from ..money import parse_amount
    return parse_amount(amount, allow_negative=True)
