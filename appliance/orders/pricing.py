"""The pricing pipeline: every order total is computed here and nowhere else.

    lines (unit price x qty)
      -> rules, in order (the seam: member prices and promotions plug in as PricingRule)
      -> round-off of the amount due (抹零), per the shop's settings
      -> per-line net amounts (what the customer paid for each line; refunds give back these)

Each step yields :class:`Adjustment` explanation lines for the screen and the receipt. The
result is deterministic for the same lines, rules and settings, and no line goes below zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence

from .. import money


@dataclass(frozen=True)
class PricingLine:
    line_id: str
    product_id: str
    variant_id: str
    qty: int
    unit_price: int
    category_id: str = ""    # the product's category at add time (promotion scopes)
    pos: int = 0             # the line's position on the order (ties in multi-buy)

    @property
    def amount(self) -> int:
        return money.line_total(self.unit_price, self.qty)


@dataclass(frozen=True)
class Adjustment:
    """One explanation line: ``amount`` is what it changes the total by (discounts < 0)."""
    kind: str            # "discount" | "rounding"
    label: str           # shown on screen and receipt (a translation key or a rule's name)
    amount: int
    line_ids: tuple[str, ...] | None = None  # None: the whole order
    source: str = ""     # rule id, for audit
    # Exact per-line amounts (same order as line_ids) instead of a share by net: a fixed
    # price or a multi-buy knows what each line gets; the pipeline still clamps at zero.
    parts: tuple[int, ...] | None = None

    def to_json(self) -> dict:
        return {"kind": self.kind, "label": self.label, "amount": self.amount,
                "line_ids": list(self.line_ids) if self.line_ids is not None else None,
                "source": self.source}


@dataclass
class Priced:
    subtotal: int
    discount: int        # total taken off by rules (>= 0)
    rounding: int        # round-off adjustment (<= 0 when rounding down)
    total: int           # amount due
    adjustments: list[Adjustment] = field(default_factory=list)
    lines: dict[str, dict] = field(default_factory=dict)  # line_id -> {"discount", "net"}

    def to_record(self) -> dict:
        return {"subtotal": self.subtotal, "discount": self.discount, "rounding": self.rounding,
                "total": self.total, "adjustments": [a.to_json() for a in self.adjustments],
                "lines": self.lines}


class PricingRule(Protocol):
    """A pricing step. Returns discounts (negative amounts) for some lines or the order."""

    def adjust(self, lines: Sequence[PricingLine], nets: dict[str, int],
               context: dict) -> list[Adjustment]: ...


class PricingPipeline:
    def __init__(self, rules: Sequence[PricingRule] = ()):
        self.rules = list(rules)

    def price(self, lines: Sequence[PricingLine], *, round_off_unit: str = "none",
              round_off_mode: str = "down", context: dict | None = None) -> Priced:
        context = context or {}
        nets = {ln.line_id: ln.amount for ln in lines}
        subtotal = sum(nets.values())
        adjustments: list[Adjustment] = []
        for rule in self.rules:
            for adj in rule.adjust(lines, dict(nets), context):
                applied = self._spread(adj, nets)
                if applied:
                    adjustments.append(Adjustment(adj.kind, adj.label, applied, adj.line_ids,
                                                  adj.source))
        discount = subtotal - sum(nets.values())
        due = sum(nets.values())
        rounded = money.round_off(due, round_off_unit, round_off_mode)
        rounding = rounded - due
        if rounding:
            self._spread(Adjustment("rounding", "round_off", rounding), nets)
            adjustments.append(Adjustment("rounding", "round_off", rounding))
        return Priced(subtotal=subtotal, discount=discount, rounding=rounding, total=rounded,
                      adjustments=adjustments,
                      lines={ln.line_id: {"discount": ln.amount - nets[ln.line_id],
                                          "net": nets[ln.line_id]} for ln in lines})

    @staticmethod
    def _spread(adj: Adjustment, nets: dict[str, int]) -> int:
        """Share an adjustment over its lines by their current net (or apply its exact
        ``parts``); clamp so none goes < 0.

        Returns the amount actually applied (a discount larger than the lines is cut down).
        """
        if adj.parts is not None and adj.line_ids is not None:
            applied = 0
            for i, part in zip(adj.line_ids, adj.parts):
                if i in nets:
                    part = max(part, -nets[i])
                    nets[i] += part
                    applied += part
            return applied
        ids = [i for i in (adj.line_ids if adj.line_ids is not None else nets) if i in nets]
        if not ids:
            return 0
        available = sum(nets[i] for i in ids)
        amount = max(adj.amount, -available)
        parts = money.allocate(amount, [nets[i] for i in ids])
        for i, part in zip(ids, parts):
            nets[i] += part
        return amount
