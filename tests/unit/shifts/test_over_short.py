"""Over/short arithmetic by denomination: hand-computed cases of what a handover records."""

import pytest

from appliance.errors import Forbidden, ValidationError
from appliance.shifts import OverShortOverLimit
from appliance.shifts.counting import counted_cash, denominations, over_limit, over_short

from tilldesk import TEA, Till


def test_counted_cash_is_value_times_count_per_denomination():
    # 3 x 100 + 1 x 50 + 2 x 20 + 4 x 1 + 1 x 0.5 + 3 x 0.1 = 394.80
    counts = {"10000": 3, "5000": 1, "2000": 2, "100": 4, "50": 1, "10": 3}
    assert counted_cash(denominations(counts)) == 39480
    assert counted_cash({}) == 0


def test_zero_counts_are_left_out_and_bad_counts_are_refused():
    assert denominations({"10000": 0, "500": 2}) == {"500": 2}
    for bad in ({"20": 1}, {"10000": -1}, {"10000": 1.0}, {"10000": True}, {10000: 1},
                ["10000"]):
        with pytest.raises(ValidationError) as exc:
            denominations(bad)
        assert exc.value.field == "denominations"


def test_over_short_is_counted_minus_expected_for_every_tender_in_either():
    assert over_short({"cash": 55600, "card": 12000}, {"cash": 55600, "card": 12000}) == \
        {"card": 0, "cash": 0}
    assert over_short({"cash": 55600}, {"cash": 55650, "wechat": 0}) == \
        {"cash": 50, "wechat": 0}
    # A tender expected but not keyed in counts as 0: all of it is short.
    assert over_short({"cash": 50000, "alipay": 3300}, {"cash": 50000}) == \
        {"alipay": -3300, "cash": 0}
    assert over_limit({"cash": 1000, "card": -1001, "alipay": 0}, 1000) == ["card"]


@pytest.fixture
def till(shop):
    t = Till(shop)
    t.desk.open(shop.cashier, 50000)          # float 500.00
    t.pay(t.order(TEA), "cash", 10000)         # 68.00 sale, 32.00 change: 568.00 in cash
    t.pay(t.order(TEA), "card", 6800, reference="T-1")
    return t


def test_an_exact_count_closes_with_nothing_over_or_short(till, shop):
    # 568.00 = 5 x 100 + 1 x 50 + 1 x 10 + 1 x 5 + 3 x 1
    shift = till.desk.close(shop.cashier, counts={"10000": 5, "5000": 1, "1000": 1, "500": 1,
                                                  "100": 3}, tenders={"card": 6800})
    assert shift.status == "closed"
    assert shift.expected == {"cash": 56800, "card": 6800}
    assert shift.counted["tenders"] == {"cash": 56800, "card": 6800}
    assert shift.over_short == {"cash": 0, "card": 0}
    assert shift.override_by is None


def test_a_count_over_by_0_50_records_plus_0_50(till, shop):
    counts = {"10000": 5, "5000": 1, "1000": 1, "500": 1, "100": 3, "50": 1}   # 568.50
    shift = till.desk.close(shop.cashier, counts=counts, tenders={"card": 6800})
    assert shift.over_short == {"cash": 50, "card": 0}
    assert shift.counted["denominations"] == counts


def test_a_short_count_records_the_shortfall_per_tender(till, shop):
    # Cash 10.00 short (558.00), card 0.10 short: both at or under the 10.00 limit.
    shift = till.desk.close(shop.cashier, counts={"10000": 5, "5000": 1, "500": 1, "100": 3},
                            tenders={"card": 6790})
    assert shift.over_short == {"cash": -1000, "card": -10}


def test_a_difference_over_the_limit_is_refused_naming_the_tender_not_the_amount(till, shop):
    with pytest.raises(OverShortOverLimit) as exc:   # 10.10 short
        till.desk.close(shop.cashier, counts={"10000": 5, "5000": 1, "500": 1, "100": 2,
                                              "50": 1, "10": 4}, tenders={"card": 6800})
    body = exc.value.to_json()
    assert body["code"] == "over_short_over_limit" and body["tenders"] == ["cash"]
    assert "cash" in body["error"] and "568" not in body["error"] and "557" not in body["error"]
    assert till.desk.current().status == "open"       # nothing recorded
    assert not [r for r in shop.ledger.records() if r.type == "shift.closed"]


def test_a_manager_override_with_a_reason_is_on_the_record(till, shop):
    counts = {"10000": 5, "100": 3}   # 503.00: 65.00 short
    with pytest.raises(Forbidden):    # a cashier's PIN is no approval
        till.desk.close(shop.cashier, counts=counts, tenders={"card": 6800},
                        approver=shop.cashier, reason="x")
    with pytest.raises(OverShortOverLimit) as exc:
        till.desk.close(shop.cashier, counts=counts, tenders={"card": 6800},
                        approver=shop.manager)
    assert exc.value.field == "reason"
    shift = till.desk.close(shop.cashier, counts=counts, tenders={"card": 6800},
                            approver=shop.manager, reason="找错零钱")
    assert shift.over_short == {"cash": -6500, "card": 0}
    assert shift.override_by == shop.manager.staff_id and shift.close_reason == "找错零钱"
    [rec] = [r for r in shop.ledger.records() if r.type == "shift.closed"]
    assert rec.data["override_by"] == shop.manager.staff_id
    assert rec.data["reason"] == "找错零钱"
    assert rec.data["over_short"] == {"card": 0, "cash": -6500}
    assert rec.actor["staff"] == shop.cashier.staff_id


def test_cash_paid_in_and_out_move_what_is_expected(shop):
    till = Till(shop)
    till.desk.open(shop.cashier, counts={"10000": 2, "1000": 5})       # float 250.00
    till.desk.move_cash(shop.cashier, "paid_in", 10000, "银行换零钱")
    till.desk.move_cash(shop.cashier, "paid_out", 2350, "买牛奶")
    shift = till.desk.close(shop.cashier, counts={"10000": 3, "2000": 1, "500": 1, "100": 1,
                                                  "50": 1})   # 326.50
    assert shift.float == 25000
    assert shift.expected == {"cash": 25000 + 10000 - 2350}
    assert shift.over_short == {"cash": 0}
    assert [(m["kind"], m["amount"], m["reason"]) for m in shift.cash_moves] == \
        [("paid_in", 10000, "银行换零钱"), ("paid_out", 2350, "买牛奶")]


def test_after_three_refused_counts_only_a_manager_closes_the_shift(till, shop):
    """Each refusal says only "too far off"; tries are limited so a count cannot home in on
    the expected 568.00."""
    from appliance.errors import Conflict
    from appliance.shifts import MAX_BLIND_COUNTS
    for _try in range(MAX_BLIND_COUNTS):
        with pytest.raises(OverShortOverLimit):
            till.desk.close(shop.cashier, counts={"10000": 5}, tenders={"card": 6800})
    exact = {"10000": 5, "5000": 1, "1000": 1, "500": 1, "100": 3}        # 568.00
    with pytest.raises(Conflict) as exc:      # even the right count: the tries are used up
        till.desk.close(shop.cashier, counts=exact, tenders={"card": 6800})
    assert exc.value.field == "approver_pin" and "manager" in exc.value.message
    shift = till.desk.close(shop.cashier, counts=exact, tenders={"card": 6800},
                            approver=shop.manager)
    assert shift.over_short == {"cash": 0, "card": 0} and shift.status == "closed"


def test_every_refused_close_over_the_limit_is_in_the_audit_log(till, shop, caplog):
    counts = {"10000": 5, "100": 3}   # 503.00: 65.00 short
    with caplog.at_level("INFO", logger="audit"):
        for approver in (None, shop.manager):      # no manager; a manager but no reason
            with pytest.raises(OverShortOverLimit):
                till.desk.close(shop.cashier, counts=counts, tenders={"card": 6800},
                                approver=approver)
    refused = [r.getMessage() for r in caplog.records
               if r.name == "audit" and "shift close refused" in r.getMessage()]
    assert len(refused) == 2 and "without a reason" in refused[1]
    assert shop.manager.staff_id in refused[1] and "568" not in " ".join(refused)
