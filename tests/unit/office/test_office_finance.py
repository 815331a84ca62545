"""Finance entries (docs/finance.md): recorded as journal records, voided by a new record,
checked on the way in, and exported as CSV; profit by day and month against hand-computed
figures with sales rung up through the order engine."""

import csv
import io
import logging

import pytest

from appliance.errors import Conflict, Forbidden, NotFound, ValidationError
from appliance.finance import Finance
from appliance.master.suppliers import Supplier


@pytest.fixture
def finance(shop):
    return Finance(shop.ledger, shop.master, "Asia/Shanghai")


def test_an_entry_is_a_journal_record_and_a_row(shop, finance, ledger_invariants):
    entry = finance.add_entry(shop.owner, "rent", 300000, "2026-11-01", note="十一月房租")
    assert entry["kind"] == "expense" and entry["amount"] == 300000
    assert entry["day"] == "2026-11-01" and entry["created_by"] == "s-owner"
    rec = shop.ledger.records()[-1]
    assert rec.type == "finance.entry_added"
    assert rec.data == {"entry_id": entry["id"], "kind": "expense", "category": "rent",
                        "amount": 300000, "day": "2026-11-01", "note": "十一月房租"}
    assert rec.actor["staff"] == "s-owner"
    ledger_invariants(shop.ledger)   # the projection equals a replay


def test_other_income_is_income_and_day_defaults_to_today(shop, finance):
    entry = finance.add_entry(shop.owner, "other_income", 1500)
    # 02:30 UTC is 10:30 in Shanghai: the shop-local day
    assert entry["kind"] == "income" and entry["day"] == "2026-11-26"


def test_a_supplier_payment_may_name_a_known_supplier(shop, finance):
    supplier = shop.master.suppliers.save(Supplier(id="", name="龙井茶园"))
    entry = finance.add_entry(shop.owner, "supplier", 88800, supplier_id=supplier.id)
    assert entry["supplier_id"] == supplier.id
    assert shop.ledger.records()[-1].data["supplier_id"] == supplier.id
    with pytest.raises(NotFound):
        finance.add_entry(shop.owner, "supplier", 100, supplier_id="no-such-supplier")
    with pytest.raises(ValidationError) as e:
        finance.add_entry(shop.owner, "rent", 100, supplier_id=supplier.id)
    assert e.value.field == "supplier_id"


@pytest.mark.parametrize("kw, field", [
    ({"category": "bribes", "amount": 100}, "category"),
    ({"category": "rent", "amount": 0}, "amount"),
    ({"category": "rent", "amount": -5}, "amount"),
    ({"category": "rent", "amount": True}, "amount"),
    ({"category": "rent", "amount": 100, "day": "2026-11-27"}, "day"),   # tomorrow
    ({"category": "rent", "amount": 100, "day": "1026-11-01"}, "day"),
    ({"category": "rent", "amount": 100, "day": "2026-13-01"}, "day"),
    ({"category": "rent", "amount": 100, "note": "a\x00b"}, "note"),
    ({"category": "rent", "amount": 100, "note": "x" * 201}, "note"),
])
def test_bad_entries_are_refused_and_append_nothing(shop, finance, kw, field):
    before = shop.ledger.head()
    with pytest.raises(ValidationError) as e:
        finance.add_entry(shop.owner, **kw)
    assert e.value.field == field
    assert shop.ledger.head() == before


def test_only_the_owner_enters_money(shop, finance):
    with pytest.raises(Forbidden):
        finance.add_entry(shop.manager, "rent", 100)
    with pytest.raises(Forbidden):
        finance.entries(shop.manager, "2026-11-01", "2026-11-30")


def test_a_void_is_a_new_record_and_the_entry_stays_listed(shop, finance, ledger_invariants,
                                                          caplog):
    entry = finance.add_entry(shop.owner, "wages", 500000, "2026-11-25")
    with caplog.at_level(logging.INFO, logger="audit"):
        voided = finance.void_entry(shop.owner, entry["id"], "entered twice")
    assert voided["voided"] and voided["void_reason"] == "entered twice"
    assert voided["voided_by"] == "s-owner"
    rec = shop.ledger.records()[-1]
    assert (rec.type, rec.data) == ("finance.entry_voided",
                                    {"entry_id": entry["id"], "reason": "entered twice"})
    assert any("finance entry voided" in r.getMessage() for r in caplog.records)
    listed = finance.entries(shop.owner, "2026-11-01", "2026-11-30")
    assert [(e["id"], e["voided"]) for e in listed] == [(entry["id"], True)]
    with pytest.raises(Conflict):
        finance.void_entry(shop.owner, entry["id"], "again")
    with pytest.raises(NotFound):
        finance.void_entry(shop.owner, "no-such-entry", "x")
    other = finance.add_entry(shop.owner, "rent", 100)
    with pytest.raises(ValidationError):
        finance.void_entry(shop.owner, other["id"], " ")     # a void needs its reason
    ledger_invariants(shop.ledger)


def test_entries_csv_has_a_bom_and_decimal_amounts(shop, finance):
    finance.add_entry(shop.owner, "utilities", 12345, "2026-11-03", note="=HYPERLINK(1)")
    finance.add_entry(shop.owner, "other_income", 50, "2026-11-04")
    data = finance.entries_csv(shop.owner, "2026-11-01", "2026-11-30")
    assert data.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [(r["day"], r["category"], r["amount"]) for r in rows] == [
        ("2026-11-03", "utilities", "123.45"), ("2026-11-04", "other_income", "0.50")]
    assert rows[0]["note"] == "'=HYPERLINK(1)"     # a spreadsheet does not run it


# -- profit ---------------------------------------------------------------------------------

def _sell_a_month(shop):
    """26 Nov: a tea (68.00, cost 40.00) and a cup (35.00, cost 15.00); 27 Nov: two teas, one
    refunded; 1 Dec: a tea. Then the entries (the clock is on 1 Dec by then)."""
    shop.sale("6901234567892")
    shop.sale("2000000000015")
    shop.clock.advance(days=1)
    two = shop.sale((shop.tea.id, "", 2)).order
    shop.engine.refund(shop.cashier, two.id, reason="broken box",
                       lines=[(two.lines[0].line_id, 1)])
    shop.clock.advance(days=4)
    shop.sale("6901234567892")


def test_profit_by_day_is_revenue_less_cogs_less_expenses_plus_income(shop, finance):
    _sell_a_month(shop)
    finance.add_entry(shop.owner, "rent", 100000, "2026-11-02")
    finance.add_entry(shop.owner, "utilities", 1000, "2026-11-26")
    finance.add_entry(shop.owner, "other_income", 200, "2026-11-26")
    finance.add_entry(shop.owner, "wages", 5000, "2026-11-27")
    wrong = finance.add_entry(shop.owner, "wages", 9999, "2026-11-27")
    finance.void_entry(shop.owner, wrong["id"], "typo")

    days = {r["day"]: r for r in finance.profit_of_month(shop.owner, "2026-11")}
    assert len(days) == 30
    assert days["2026-11-02"] == {"day": "2026-11-02", "orders": 0, "revenue": 0, "cogs": 0,
                                  "gross_profit": 0, "expenses": 100000, "other_income": 0,
                                  "profit": -100000}
    assert days["2026-11-26"] == {"day": "2026-11-26", "orders": 2, "revenue": 10300,
                                  "cogs": 5500, "gross_profit": 4800, "expenses": 1000,
                                  "other_income": 200, "profit": 4000}
    # 136.00 sold, 68.00 refunded; cost 80.00, 40.00 back on the shelf
    assert days["2026-11-27"] == {"day": "2026-11-27", "orders": 1, "revenue": 6800,
                                  "cogs": 4000, "gross_profit": 2800, "expenses": 5000,
                                  "other_income": 0, "profit": -2200}
    assert days["2026-11-30"]["profit"] == 0

    months = {r["month"]: r for r in finance.profit_by_month(shop.owner, 2026)}
    assert list(months) == [f"2026-{m:02d}" for m in range(1, 13)]
    assert months["2026-11"] == {"month": "2026-11", "orders": 3, "revenue": 17100,
                                 "cogs": 9500, "gross_profit": 7600, "expenses": 106000,
                                 "other_income": 200, "profit": -98200}
    assert months["2026-12"] == {"month": "2026-12", "orders": 1, "revenue": 6800,
                                 "cogs": 4000, "gross_profit": 2800, "expenses": 0,
                                 "other_income": 0, "profit": 2800}
    assert months["2026-01"]["profit"] == 0


def test_profit_csv_by_month(shop, finance):
    _sell_a_month(shop)
    finance.add_entry(shop.owner, "rent", 100000, "2026-11-02")
    rows = list(csv.DictReader(io.StringIO(
        finance.profit_csv(finance.profit_by_month(shop.owner, "2026")).decode("utf-8-sig"))))
    nov = next(r for r in rows if r["month"] == "2026-11")
    assert nov == {"month": "2026-11", "orders": "3", "revenue": "171.00", "cogs": "95.00",
                   "gross_profit": "76.00", "expenses": "1000.00", "other_income": "0.00",
                   "profit": "-924.00"}


@pytest.mark.parametrize("month", ["2026-13", "26-11", "2026/11", "1999-01", ""])
def test_a_bad_month_is_refused(shop, finance, month):
    with pytest.raises(ValidationError):
        finance.profit_of_month(shop.owner, month)
