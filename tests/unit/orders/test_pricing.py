"""The pricing pipeline and its seam: a rule plugs in, explains itself, and never drives a
line below zero; order-level amounts are shared out so the lines add up to the total."""

from hypothesis import given, strategies as st

from appliance.orders import Adjustment, OrderEngine, PricingLine, PricingPipeline

TEA = "6901234567892"


class PercentOff:
    """A test rule: percent off the lines of some products."""

    def __init__(self, percent, product_ids=None, label="promo"):
        self.percent, self.product_ids, self.label = percent, product_ids, label

    def adjust(self, lines, nets, context):
        ids = tuple(ln.line_id for ln in lines
                    if self.product_ids is None or ln.product_id in self.product_ids)
        off = sum(nets[i] for i in ids) * self.percent // 100
        return [Adjustment("discount", self.label, -off, ids, "rule-1")] if off else []


class AmountOff:
    def __init__(self, amount):
        self.amount = amount

    def adjust(self, lines, nets, context):
        return [Adjustment("discount", "满减", -self.amount, None, "rule-2")]


def lines(*specs):
    return [PricingLine(f"l{i}", pid, "", qty, price) for i, (pid, qty, price) in enumerate(specs)]


def test_no_rules_no_round_off_is_just_the_sum():
    p = PricingPipeline().price(lines(("a", 2, 650), ("b", 1, 999)))
    assert (p.subtotal, p.discount, p.rounding, p.total) == (2299, 0, 0, 2299)
    assert p.lines == {"l0": {"discount": 0, "net": 1300}, "l1": {"discount": 0, "net": 999}}


def test_rule_discount_is_explained_and_allocated_to_its_lines():
    p = PricingPipeline([PercentOff(10, {"a"})]).price(lines(("a", 2, 650), ("b", 1, 999)))
    assert p.discount == 130 and p.total == 2169
    assert [(a.kind, a.label, a.amount, a.line_ids) for a in p.adjustments] == \
        [("discount", "promo", -130, ("l0",))]
    assert p.lines["l0"] == {"discount": 130, "net": 1170}
    assert p.lines["l1"]["net"] == 999


def test_discount_larger_than_the_order_is_cut_to_zero_not_below():
    p = PricingPipeline([AmountOff(10_000)]).price(lines(("a", 1, 300), ("b", 1, 200)))
    assert p.total == 0 and p.discount == 500
    assert p.adjustments[0].amount == -500
    assert all(v["net"] == 0 for v in p.lines.values())


@given(st.lists(st.tuples(st.integers(1, 5), st.integers(0, 50_000)), min_size=1, max_size=8),
       st.integers(0, 100), st.integers(0, 100_000), st.sampled_from(["none", "0.1", "1"]),
       st.sampled_from(["down", "half_up"]))
def test_lines_always_add_up_to_the_total_and_never_go_negative(specs, pct, off, unit, mode):
    ls = lines(*[(f"p{i}", q, price) for i, (q, price) in enumerate(specs)])
    p = PricingPipeline([PercentOff(pct), AmountOff(off)]).price(
        ls, round_off_unit=unit, round_off_mode=mode)
    assert sum(v["net"] for v in p.lines.values()) == p.total
    assert all(v["net"] >= 0 for v in p.lines.values())
    assert p.total == p.subtotal - p.discount + p.rounding
    assert p.total >= 0


def test_a_rule_plugged_into_the_engine_reaches_the_order_and_its_refunds(shop):
    engine = OrderEngine(shop.ledger, shop.master, pipeline=PricingPipeline([AmountOff(800)]))
    order = engine.open_order(shop.assistant)
    engine.add_line(shop.assistant, order.id, barcode=TEA)
    order = engine.add_line(shop.assistant, order.id, product_id=shop.wrap.id)
    assert engine.due(order) == 6800 + 500 - 800
    res = engine.add_payment(shop.cashier, order.id, "cash", 10000)
    assert res.order.total == 6500 and res.change == 3500
    assert res.order.adjustments[0]["label"] == "满减"
    assert res.order.to_json()["adjustments"][0]["amount"] == "-8.00"
    back = sum(engine.refund(shop.manager, order.id, reason="r",
                             lines=[(ln.line_id, 1)]).amount for ln in res.order.lines)
    assert back == 6500
