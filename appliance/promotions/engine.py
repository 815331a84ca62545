"""The promotion engine: normalised rules + a context -> pricing steps for the pipeline.

Pure and deterministic: the same lines, rules (in any order) and context give the same
result. The order of application is explicit: by priority, then rule id. A rule in an
exclusive ``group`` competes with the group's other live rules at the position of the
group's first member; the one that takes the most off at that point wins (ties: lower
priority, then id). Each step sees the nets left by the steps before it and returns one
:class:`Adjustment` (label = rule name, source = rule id, line_ids = the lines it touched);
the pipeline applies it, clamped so that no line goes below zero.

Per-rule work that does not depend on the cart (scope sets, parsed windows) is done once
when the steps are built, so a scan against hundreds of rules stays in the low milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence
from zoneinfo import ZoneInfo

from ..orders.pricing import Adjustment, PricingLine
from .rules import LEVEL_PRIORITY, PRICING_KINDS, aware, in_window, window

BP = 10000


@dataclass(frozen=True)
class PriceContext:
    now: datetime
    tz: ZoneInfo
    level: dict | None = None          # the order's member's normalised level; None: no member
    coupons: tuple[str, ...] = ()      # codes the order carries (any case)


# -- applicability ---------------------------------------------------------------------------

class _Compiled:
    """What a rule needs on every scan that does not depend on the cart, parsed once."""

    __slots__ = ("window", "levels", "products", "variants", "categories", "everything",
                 "narrow")

    def __init__(self, rule: dict):
        self.window = window(rule)
        self.levels = frozenset(rule.get("levels") or ())
        products = rule.get("products") or ()
        self.products = tuple(p for p in products if ":" not in p)
        self.variants = tuple(tuple(p.split(":", 1)) for p in products if ":" in p)
        self.categories = tuple(rule.get("categories") or ())
        self.everything = not (products or self.categories)
        self.narrow = len(products) + len(self.categories)


# By id(rule), holding the rule itself so the id cannot be reused while cached. Rules are
# treated as immutable (the store hands out the same parsed dicts scan after scan).
_COMPILED: dict[int, tuple[dict, _Compiled]] = {}
_MAX_COMPILED = 20000


def _compiled(rule: dict) -> _Compiled:
    hit = _COMPILED.get(id(rule))
    if hit is not None and hit[0] is rule:
        return hit[1]
    if len(_COMPILED) >= _MAX_COMPILED:
        _COMPILED.clear()
    comp = _Compiled(rule)
    _COMPILED[id(rule)] = (rule, comp)
    return comp


def _level_ok(levels: frozenset, level: dict | None) -> bool:
    if not levels:
        return True
    if level is None:
        return False
    return "*" in levels or level.get("id") in levels


def _applicable(rules: Sequence[dict], ctx: PriceContext, kinds) -> list[dict]:
    """Live, active rules of these kinds that this context may use, by (priority, id)."""
    now = aware(ctx.now)
    local = now.astimezone(ctx.tz)
    out = []
    for r in rules:
        if r.get("kind") not in kinds or not r.get("active", True):
            continue
        comp = _compiled(r)
        if in_window(comp.window, now, local) and _level_ok(comp.levels, ctx.level):
            out.append(r)
    out.sort(key=_order)
    return out


def _order(rule: dict) -> tuple:
    return (rule["priority"], rule["id"])


# -- steps -----------------------------------------------------------------------------------

class _Run:
    """State shared by the steps of one price() call: an index of the cart's lines (so a
    rule's scope costs a few lookups, not a pass over the cart) and the lines a fixed price
    lowered (a member price beats the level discount). Reset by :class:`_Start`."""

    def __init__(self):
        self.fixed_lines: set[str] = set()
        self.lines = None

    def index(self, lines):
        if self.lines is not lines:
            by_product, by_variant, by_category = {}, {}, {}
            for i, ln in enumerate(lines):
                by_product.setdefault(ln.product_id, []).append(i)
                by_variant.setdefault((ln.product_id, ln.variant_id), []).append(i)
                by_category.setdefault(ln.category_id, []).append(i)
            self.by_product, self.by_variant, self.by_category = \
                by_product, by_variant, by_category
            self.lines = lines
        return self


class _Start:
    def __init__(self, run: _Run):
        self.run = run

    def adjust(self, lines, nets, context) -> list[Adjustment]:
        self.run.fixed_lines = set()
        self.run.lines = None
        return []


class _Step:
    """One rule as a pricing step. ``compute`` is side-effect free (groups try each)."""

    kind_tag = "promotion"

    def __init__(self, rule: dict, run: _Run, comp: _Compiled | None = None):
        self.rule, self.run = rule, run
        self.key = _order(rule)
        self.label, self.source = rule["name"], rule["id"]
        self.comp = comp or _compiled(rule)

    def scope(self, lines: Sequence[PricingLine]) -> list[PricingLine]:
        comp = self.comp
        if comp.everything:
            return list(lines)
        if comp.narrow > len(lines):
            prods, cats = set(comp.products), set(comp.categories)
            variants = set(comp.variants)
            return [ln for ln in lines if ln.product_id in prods or ln.category_id in cats
                    or (ln.product_id, ln.variant_id) in variants]
        idx = self.run.index(lines)
        hits: set[int] = set()
        for p in comp.products:
            hits.update(idx.by_product.get(p, ()))
        for v in comp.variants:
            hits.update(idx.by_variant.get(v, ()))
        for c in comp.categories:
            hits.update(idx.by_category.get(c, ()))
        return [lines[i] for i in sorted(hits)]

    def adjust(self, lines, nets, context) -> list[Adjustment]:
        adj = self.compute(lines, nets)
        if adj is None:
            return []
        self.applied(adj)
        return [adj]

    def applied(self, adj: Adjustment) -> None:
        pass

    def compute(self, lines, nets) -> Adjustment | None:
        raise NotImplementedError

    # helpers: one adjustment shared by net, or exact parts per line
    def _shared(self, ids: list[str], off: int) -> Adjustment | None:
        if off <= 0 or not ids:
            return None
        return Adjustment(self.kind_tag, self.label, -off, tuple(ids), self.source)

    def _parts(self, parts: list[tuple[str, int]]) -> Adjustment | None:
        parts = [(i, off) for i, off in parts if off > 0]
        if not parts:
            return None
        return Adjustment(self.kind_tag, self.label, -sum(off for _i, off in parts),
                          tuple(i for i, _off in parts), self.source,
                          parts=tuple(-off for _i, off in parts))

    def _base(self, lines, nets) -> tuple[list[str], int]:
        ids = [ln.line_id for ln in self.scope(lines) if nets[ln.line_id] > 0]
        return ids, sum(nets[i] for i in ids)


class _PercentOff(_Step):
    def __init__(self, rule, run, percent_bp=None, comp=None):
        super().__init__(rule, run, comp)
        self.bp = rule["percent_bp"] if percent_bp is None else percent_bp

    def compute(self, lines, nets):
        ids, base = self._base(lines, nets)
        return self._shared(ids, base * self.bp // BP)


class _AmountOff(_Step):
    def compute(self, lines, nets):
        amount = self.rule["amount"]
        if self.rule["per"] == "unit":
            return self._parts([(ln.line_id, min(amount * ln.qty, nets[ln.line_id]))
                                for ln in self.scope(lines)])
        ids, base = self._base(lines, nets)
        return self._shared(ids, min(amount, base))


class _FixedPrice(_Step):
    """The line's net becomes at most price x qty: only ever lowers, and two fixed prices
    on one line give the lower one (they do not add up)."""

    def compute(self, lines, nets):
        price = self.rule["price"]
        return self._parts([(ln.line_id, nets[ln.line_id] - price * ln.qty)
                            for ln in self.scope(lines) if ln.unit_price > price])

    def applied(self, adj):
        self.run.fixed_lines.update(adj.line_ids)


class _Threshold(_Step):
    def compute(self, lines, nets):
        ids, base = self._base(lines, nets)
        tiers = self.rule["tiers"]
        off = 0
        if self.rule["repeat"]:
            left = base
            for tier in reversed(tiers):          # greedy from the highest tier down
                n = left // tier["min"]
                off += n * tier["off"]
                left -= n * tier["min"]
        else:
            met = [t for t in tiers if t["min"] <= base]
            off = met[-1]["off"] if met else 0
        if self.rule["cap"]:
            off = min(off, self.rule["cap"])
        return self._shared(ids, min(off, base))


class _MultiBuy(_Step):
    """Units of the scope by unit price, dearest first (ties by line position), in groups of
    group_size; in each full group the ``discounted`` cheapest units get percent off."""

    def compute(self, lines, nets):
        size, disc, bp = self.rule["group_size"], self.rule["discounted"], self.rule["percent_bp"]
        scope = sorted(enumerate(self.scope(lines)),
                       key=lambda e: (-e[1].unit_price, e[1].pos, e[0]))
        total_units = sum(ln.qty for _i, ln in scope if ln.qty > 0)
        limit = total_units // size * size       # units in full groups

        def discounted_before(x: int) -> int:   # discounted unit indices below x
            x = min(x, limit)
            return x // size * disc + max(0, x % size - (size - disc))

        parts, at = [], 0
        for i, ln in scope:
            if ln.qty <= 0:
                continue
            k = discounted_before(at + ln.qty) - discounted_before(at)
            at += ln.qty
            if k:
                parts.append((i, ln.line_id, nets[ln.line_id] * k * bp // (ln.qty * BP)))
            if at >= limit:
                break
        parts.sort()                              # explain in the order's line order
        return self._parts([(line_id, off) for _i, line_id, off in parts])


class _Coupon(_Step):
    def compute(self, lines, nets):
        ids, base = self._base(lines, nets)
        if base <= 0 or base < self.rule["min_spend"]:
            return None
        if self.rule["percent_bp"]:
            return self._shared(ids, base * self.rule["percent_bp"] // BP)
        return self._shared(ids, min(self.rule["amount"], base))


class _LevelDiscount(_PercentOff):
    """The member level's discount: every line except those a fixed price lowered."""

    kind_tag = "member"

    def __init__(self, level: dict, run: _Run):
        rule = {"id": level["id"], "name": level["name"], "priority": LEVEL_PRIORITY}
        # built per call from the level: not worth a place in the compiled cache
        super().__init__(rule, run, percent_bp=BP - level["discount_bp"],
                         comp=_Compiled(rule))

    def scope(self, lines):
        fixed = self.run.fixed_lines
        return [ln for ln in lines if ln.line_id not in fixed]


class _Group:
    """An exclusive group: the member that takes the most off here wins."""

    def __init__(self, members: list[_Step]):
        self.members = members           # by (priority, id)
        self.key = members[0].key

    def adjust(self, lines, nets, context) -> list[Adjustment]:
        best, best_off = None, 0
        for step in self.members:
            adj = step.compute(lines, nets)
            if adj is None:
                continue
            off = _effective(adj, nets)
            if off > best_off:
                best, best_off = (step, adj), off
        if best is None:
            return []
        best[0].applied(best[1])
        return [best[1]]


def _effective(adj: Adjustment, nets: dict[str, int]) -> int:
    """What an adjustment would take off after the pipeline's clamping (as a positive)."""
    if adj.parts is not None:
        return sum(min(-p, nets[i]) for i, p in zip(adj.line_ids, adj.parts))
    return min(-adj.amount, sum(nets[i] for i in adj.line_ids))


_STEPS = {"percent_off": _PercentOff, "amount_off": _AmountOff, "fixed_price": _FixedPrice,
          "threshold": _Threshold, "multi_buy": _MultiBuy, "coupon": _Coupon}


def pricing_steps(rules: Sequence[dict], ctx: PriceContext) -> list:
    """The live, active rules that apply to this context, as steps in application order.

    Coupons apply only when the order carries one of their codes; rules with ``levels``
    only for members of those levels; the member's level discount is a step of its own.
    The steps share per-call state: use one list for one ``price()`` at a time.
    """
    codes = {c.strip().upper() for c in ctx.coupons}
    run = _Run()
    steps: list = []
    groups: dict[str, list[_Step]] = {}
    for rule in _applicable(rules, ctx, PRICING_KINDS):
        if rule["kind"] == "coupon" and codes.isdisjoint(rule["codes"]):
            continue
        step = _STEPS[rule["kind"]](rule, run)
        if rule.get("group"):
            groups.setdefault(rule["group"], []).append(step)
        else:
            steps.append(step)
    steps.extend(_Group(members) if len(members) > 1 else members[0]
                 for members in groups.values())
    level = ctx.level
    if level is not None and level.get("discount_bp", BP) < BP:
        steps.append(_LevelDiscount(level, run))
    steps.sort(key=lambda s: s.key)
    steps.insert(0, _Start(run))
    return steps


def topup_bonus(rules: Sequence[dict], amount: int, ctx: PriceContext) -> tuple[int, dict | None]:
    """充值送: the best bonus a live top-up rule gives for ``amount`` (highest tier met)."""
    best, best_rule = 0, None
    for rule in _applicable(rules, ctx, {"topup_bonus"}):
        met = [t["bonus"] for t in rule["tiers"] if t["min"] <= amount]
        if met and met[-1] > best:
            best, best_rule = met[-1], rule
    return best, best_rule


def coupon_rule(rules: Sequence[dict], code: str, ctx: PriceContext) -> dict | None:
    """The live coupon rule with this code (any case), or None. Member levels are checked
    when pricing, not here: a member may be set on the order after the code."""
    code = code.strip().upper() if isinstance(code, str) else ""
    now = aware(ctx.now)
    local = now.astimezone(ctx.tz)
    found = [r for r in rules if r.get("kind") == "coupon" and code in r["codes"]
             and r.get("active", True) and in_window(_compiled(r).window, now, local)]
    return min(found, key=_order) if found else None


def gifts(rules: Sequence[dict], ctx: PriceContext) -> list[dict]:
    """Gifts this context's member may take for points, live now, by (priority, id)."""
    return _applicable(rules, ctx, {"points_gift"})
