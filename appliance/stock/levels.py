"""Stock levels, each product's history, low-stock alerts, stock value and slow movers.

Levels, moves and costs are projections of the journal (``stock_levels``, ``stock_moves``);
this module joins them with the catalog (which products are tracked, their names and catalog
cost) and the shop's settings (the default low-stock level, the slow-mover window). The only
record it writes is ``stock.rule_set``: a product's low-stock level and reorder facts.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from .. import money
from ..clock import format_ts
from ..errors import NotFound
from ..i18n import _
from ..ledger import Ledger
from ..master import MasterData
from ..orders.permissions import Actor, require
from ..validate import text, whole
from . import rule_for
from .reasons import LABELS

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")

MAX_LEVEL = 1_000_000
MAX_MOVES = 500


@dataclass
class StockItem:
    """One product, or one variant of a product, with its level and what it is worth."""
    product_id: str
    variant_id: str
    name: str
    spec: str
    sku: str
    unit: str
    category_id: str | None
    qty: int
    low_level: int          # alert at or below this; 0: no alert
    avg_cost: int | None    # moving average from deliveries (None before the first one)
    cost: int               # the catalog cost, used while there is no average
    active: bool = True

    @property
    def low(self) -> bool:
        return self.low_level > 0 and self.qty <= self.low_level

    @property
    def negative(self) -> bool:
        return self.qty < 0

    @property
    def unit_cost(self) -> int:
        return self.avg_cost if self.avg_cost is not None else self.cost

    @property
    def value(self) -> int:
        """What the stock on hand cost (fen); nothing for none or less than none."""
        return self.qty * self.unit_cost if self.qty > 0 else 0

    def to_json(self, *, with_cost: bool) -> dict:
        """JSON for the API: costs (and so value) only for those who may see them."""
        out = {"product_id": self.product_id, "variant_id": self.variant_id,
               "name": self.name, "spec": self.spec, "sku": self.sku, "unit": self.unit,
               "category_id": self.category_id, "qty": self.qty, "negative": self.negative,
               "low_level": self.low_level, "low": self.low, "active": self.active,
               "avg_cost": None, "value": None}
        if with_cost:
            out["avg_cost"] = (money.format_amount(self.avg_cost)
                               if self.avg_cost is not None else None)
            out["value"] = money.format_amount(self.value)
        return out


def low_level_for(rules: dict, product_id: str, variant_id: str, default: int) -> int:
    """The variant's own rule, else the product's, else the shop default (0: no alert).

    A rule with low_level 0 silences the alert for that item even when the shop has a
    default: that is how a manager says "this one does not matter"."""
    rule = rule_for(rules, product_id, variant_id)
    return rule["low_level"] if rule is not None else default


class StockService:
    def __init__(self, ledger: Ledger, master: MasterData, timezone: str = "Asia/Shanghai"):
        self.ledger = ledger
        self.master = master
        self.tz = ZoneInfo(timezone)

    # -- levels -----------------------------------------------------------------------------

    def items(self, q: str = "", category_id: str | None = None) -> list[StockItem]:
        """Every stock-tracked product and variant, by name; no permission check.

        Deactivated products and variants are listed only while they still have stock (or
        owe some): what is on the shelf or missing from it counts whatever the catalog says."""
        return self._items(self.master.catalog.search(q, limit=None, category_id=category_id,
                                                      include_inactive=True))

    def _items(self, products) -> list[StockItem]:
        default = self.master.settings.get("stock.low_stock_default")
        with self.ledger.reading() as conn:
            levels = {(p, v): (qty, avg) for p, v, qty, avg in conn.execute(
                "SELECT product_id, variant_id, qty, avg_cost FROM stock_levels")}
            rules = self._rules(conn)
        out = []
        for p in products:
            if not p.stock_tracked:
                continue
            keys = [(v, p.active and v.active) for v in p.variants] or [(None, p.active)]
            if p.variants and levels.get((p.id, ""), (0, None))[0]:
                keys.insert(0, (None, False))   # stock booked before the product had variants
            for v, active in keys:
                vid = v.id if v is not None else ""
                qty, avg = levels.get((p.id, vid), (0, None))
                if not active and not qty:
                    continue
                out.append(StockItem(
                    product_id=p.id, variant_id=vid, name=p.name,
                    spec=v.spec_text if v is not None else "",
                    sku=(v.sku if v is not None and v.sku else p.sku), unit=p.unit,
                    category_id=p.category_id, qty=qty,
                    low_level=low_level_for(rules, p.id, vid, default), avg_cost=avg,
                    cost=p.cost_of(v), active=active))
        return out

    def levels(self, actor: Actor, q: str = "", category_id: str | None = None, *,
               low_only: bool = False, negative_only: bool = False) -> list[StockItem]:
        require(actor, "stock.view", what="looking at stock")
        q = text(q, "q", 40)
        found = self.items(q, category_id or None)
        if low_only:
            found = [i for i in found if i.low]
        if negative_only:
            found = [i for i in found if i.negative]
        return found

    def item(self, product_id: str, variant_id: str = "") -> StockItem:
        product = self._product(product_id, variant_id)
        for i in self._items([product]):
            if i.variant_id == variant_id:
                return i
        # Not listed (deactivated with no stock, or not tracked): still answer with its level.
        v = product.variant(variant_id) if variant_id else None
        with self.ledger.reading() as conn:
            row = conn.execute("SELECT qty, avg_cost FROM stock_levels WHERE product_id = ?"
                               " AND variant_id = ?", (product_id, variant_id)).fetchone()
            rules = self._rules(conn)
        return StockItem(product.id, variant_id, product.name, v.spec_text if v else "",
                         (v.sku if v and v.sku else product.sku), product.unit,
                         product.category_id, row[0] if row else 0,
                         low_level_for(rules, product.id, variant_id,
                                       self.master.settings.get("stock.low_stock_default")),
                         row[1] if row else None, product.cost_of(v), active=False)

    # -- alerts -----------------------------------------------------------------------------

    def low_stock_count(self) -> int:
        """Items at or below their low-stock level: the status LED and the heartbeat."""
        return sum(1 for i in self.items() if i.low and i.active)

    def alerts(self, actor: Actor, limit: int = 50) -> dict:
        """What needs attention: low items (emptiest first, relative to their level) and
        items below zero, whichever the shop's negative-stock setting is."""
        require(actor, "stock.view", what="looking at stock")
        items = self.items()
        low = [i for i in items if i.low and i.active]
        negative = [i for i in items if i.negative]
        shown = sorted({(i.product_id, i.variant_id): i for i in [*negative, *low]}.values(),
                       key=lambda i: (not i.negative, i.qty - i.low_level, i.name))
        return {"low_stock": len(low), "negative": len(negative), "items": shown[:limit]}

    # -- history ----------------------------------------------------------------------------

    def moves(self, actor: Actor, product_id: str, variant_id: str | None = None,
              limit: int = 100) -> list[dict]:
        """A product's moves, newest first, each with its reason in the reader's language,
        what it belongs to (order, purchase order, count number) and who made it."""
        require(actor, "stock.view", what="looking at stock history")
        self._product(product_id, variant_id or "")
        limit = whole(limit, "limit", low=1, high=MAX_MOVES)
        sql = ("SELECT seq, ts, variant_id, delta, after, reason, ref FROM stock_moves"
               " WHERE product_id = ?")
        params: list = [product_id]
        if variant_id is not None:
            sql += " AND variant_id = ?"
            params.append(variant_id)
        with self.ledger.reading() as conn:
            rows = conn.execute(sql + " ORDER BY seq DESC, rowid DESC LIMIT ?",
                                (*params, limit)).fetchall()
            refs = _ref_labels(conn, {r[6] for r in rows if r[6]})
            records = _records(conn, {r[0] for r in rows})
        out = []
        for seq, ts, vid, delta, after, reason, ref in rows:
            rtype, actor_doc, data = records.get(seq, ("", {}, {}))
            kind, label = refs.get(ref, (None, None))
            staff = self.master.staff.find(actor_doc.get("staff", "")) if actor_doc else None
            out.append({"seq": seq, "ts": ts, "variant_id": vid, "delta": delta,
                        "after": after, "negative": after < 0, "reason": reason,
                        "reason_label": _(LABELS[reason]) if reason in LABELS else reason,
                        "record": rtype, "ref": ref, "ref_kind": kind, "ref_label": label,
                        "staff": staff.name if staff else actor_doc.get("staff", ""),
                        "note": data.get("note", "") if rtype == "stock.adjusted" else ""})
        return out

    # -- value and slow movers --------------------------------------------------------------

    def report(self, actor: Actor) -> dict:
        """What the stock on hand cost (moving average, else catalog cost) and the slow
        movers: stock on hand, held for at least ``stock.slow_mover_days`` (a delivery that
        just arrived has had no time to sell), and no sale within them."""
        require(actor, "purchasing", what="the stock report")
        days = self.master.settings.get("stock.slow_mover_days")
        since = format_ts(self.ledger.now() - timedelta(days=days))
        items = [i for i in self.items() if i.qty > 0]
        with self.ledger.reading() as conn:
            last_sale = {(p, v): ts for p, v, ts in conn.execute(
                "SELECT product_id, variant_id, MAX(ts) FROM stock_moves WHERE reason = 'sale'"
                " GROUP BY product_id, variant_id")}
            # Stock that came in within the window is judged when the window has passed.
            last_in = {(p, v): ts for p, v, ts in conn.execute(
                "SELECT product_id, variant_id, MAX(ts) FROM stock_moves WHERE delta > 0 AND"
                " reason IN ('receiving', 'opening_stock', 'transfer_in')"
                " GROUP BY product_id, variant_id")}
        slow = []
        for i in items:
            last = last_sale.get((i.product_id, i.variant_id))
            arrived = last_in.get((i.product_id, i.variant_id))
            if (last is None or last < since) and (arrived is None or arrived < since):
                slow.append({"product_id": i.product_id, "variant_id": i.variant_id,
                             "name": i.name, "spec": i.spec, "sku": i.sku, "qty": i.qty,
                             "last_sale": last, "value": i.value})
        slow.sort(key=lambda s: (-s["value"], s["name"]))
        return {"value": sum(i.value for i in items), "items": len(items),
                "units": sum(i.qty for i in items), "slow_mover_days": days,
                "slow_movers": slow}

    # -- rules ------------------------------------------------------------------------------

    def rule(self, product_id: str, variant_id: str = "") -> dict | None:
        with self.ledger.reading() as conn:
            return self._rules(conn, product_id).get((product_id, variant_id))

    def set_rule(self, actor: Actor, product_id: str, variant_id: str = "", *,
                 low_level: int, lead_time_days: int = 0, supplier_id: str | None = None,
                 pack_qty: int = 1) -> dict:
        """Set when an item is low and how it is reordered (journal ``stock.rule_set``).
        ``variant_id`` "" sets it for the product and every variant without its own."""
        require(actor, "purchasing", what="setting stock rules")
        product = self._product(product_id, variant_id)
        data = {"product_id": product.id, "variant_id": variant_id,
                "low_level": whole(low_level, "low_level", low=0, high=MAX_LEVEL),
                "lead_time_days": whole(lead_time_days, "lead_time_days", low=0, high=365),
                "supplier_id": text(supplier_id, "supplier_id", 40) or None,
                "pack_qty": whole(pack_qty, "pack_qty", low=1, high=MAX_LEVEL)}
        if data["supplier_id"]:
            self.master.suppliers.get(data["supplier_id"])  # NotFound names the supplier
        with self.ledger.transaction() as tx:
            tx.append("stock.rule_set", actor.journal(self.ledger.device_id), data)
            audit.info("stock rule set product=%s variant=%s low_level=%d by=%s", product.id,
                       variant_id, data["low_level"], actor.staff_id)
            return self._rules(tx.conn, product.id)[(product.id, variant_id)]

    # -- internals --------------------------------------------------------------------------

    def _product(self, product_id: str, variant_id: str = ""):
        product = self.master.catalog.find_product(product_id)
        if product is None:
            raise NotFound(_("product {product_id} does not exist", product_id=product_id))
        if variant_id:
            product.variant(variant_id)  # NotFound when the product has no such variant
        return product

    @staticmethod
    def _rules(conn, product_id: str | None = None) -> dict:
        sql = ("SELECT product_id, variant_id, low_level, lead_time_days, supplier_id, pack_qty"
               " FROM stock_rules")
        rows = (conn.execute(sql + " WHERE product_id = ?", (product_id,)) if product_id
                else conn.execute(sql))
        return {(r[0], r[1]): {"product_id": r[0], "variant_id": r[1], "low_level": r[2],
                               "lead_time_days": r[3], "supplier_id": r[4], "pack_qty": r[5]}
                for r in rows}


def _ref_labels(conn, refs: set[str]) -> dict[str, tuple[str, str]]:
    """ref -> (kind, number people know it by): an order's number, a purchase order's number
    (a delivery shows its order's; one without an order has none), a count's number."""
    if not refs:
        return {}
    ids = sorted(refs)
    marks = ",".join("?" * len(ids))
    found: dict[str, tuple[str, str]] = {}
    for ref, number in conn.execute(f"SELECT id, number FROM orders WHERE id IN ({marks})", ids):
        found[ref] = ("order", number)
    for ref, number in conn.execute(
            f"SELECT id, number FROM purchase_orders WHERE id IN ({marks})", ids):
        found[ref] = ("purchase_order", number)
    for ref, number in conn.execute(
            "SELECT r.id, p.number FROM receipts_in r LEFT JOIN purchase_orders p"
            f" ON p.id = r.po_id WHERE r.id IN ({marks})", ids):
        found[ref] = ("receipt", number or "")
    for ref, number in conn.execute(f"SELECT id, number FROM counts WHERE id IN ({marks})", ids):
        found[ref] = ("count", number)
    return found


def _records(conn, seqs: set[int]) -> dict[int, tuple[str, dict, dict]]:
    if not seqs:
        return {}
    ids = sorted(seqs)
    rows = conn.execute(f"SELECT seq, type, actor, data FROM journal WHERE seq IN"
                        f" ({','.join('?' * len(ids))})", ids).fetchall()
    return {seq: (rtype, json.loads(actor), json.loads(data)) for seq, rtype, actor, data in rows}


__all__ = ["StockItem", "StockService", "low_level_for"]
