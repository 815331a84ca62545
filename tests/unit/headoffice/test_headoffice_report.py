"""`tillbox headoffice report`: sales per store and business day from stored records."""

import json

import pytest

from appliance.headoffice.ingest import accept_journal
from appliance.headoffice.report import business_day, format_table, sales_by_day
from appliance.headoffice.store import open_store
from appliance.uplink import contract
from services.headoffice import main


def ingest_all(db, records, store, device="till-1"):
    for r in records:
        raw = contract.encode(contract.journal_payload(r, store, device))
        with db.transaction():
            assert accept_journal(db, store, device, raw, at="t").status == "stored"


@pytest.fixture
def dsn(tmp_path, shop, make_shop):
    """Store s-01: two sales on 26 Nov (68.00 + 3 x 5.00), one refunded, then one on the
    27th; store s-02 (another box): one sale of 35.00."""
    shop.sale("6901234567892")
    paid = shop.sale((shop.wrap.id, "", 3))
    shop.engine.refund(shop.manager, paid.order.id, reason="damaged")
    shop.clock.advance(days=1)
    shop.sale((shop.wrap.id, "", 1))
    other = make_shop()
    other.sale((other.cup.id, other.cup.variants[0].id, 1))
    dsn = f"sqlite://{tmp_path}/ho.db"
    with open_store(dsn) as db:
        ingest_all(db, shop.ledger.records(), "s-01")
        ingest_all(db, other.ledger.records(), "s-02")
    return dsn


def test_sales_per_store_and_day_with_refunds_on_the_order_day(dsn):
    with open_store(dsn) as db:
        rows = [r.to_json() for r in sales_by_day(db)]
    assert rows == [
        {"store": "s-01", "day": "2026-11-26", "sales": 2, "total": "83.00",
         "refunds": "15.00", "net": "68.00"},
        {"store": "s-01", "day": "2026-11-27", "sales": 1, "total": "5.00",
         "refunds": "0.00", "net": "5.00"},
        {"store": "s-02", "day": "2026-11-26", "sales": 1, "total": "35.00",
         "refunds": "0.00", "net": "35.00"}]


def test_report_command_prints_a_plain_table(dsn, capsys):
    assert main(["report", "--db", dsn]) == 0
    assert capsys.readouterr().out == (
        "store  day         sales  total  refunds    net\n"
        "s-01   2026-11-26      2  83.00    15.00  68.00\n"
        "s-01   2026-11-27      1   5.00     0.00   5.00\n"
        "s-02   2026-11-26      1  35.00     0.00  35.00\n")


def test_report_command_json_for_one_store_with_the_db_from_the_environment(
        dsn, capsys, monkeypatch):
    monkeypatch.setenv("TILLBOX_HEADOFFICE_DB", dsn)
    assert main(["report", "--json", "--store", "s-02"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"store": "s-02", "day": "2026-11-26", "sales": 1, "total": "35.00",
         "refunds": "0.00", "net": "35.00"}]


def test_amounts_are_yuan_with_two_decimals_and_no_grouping():
    from appliance.headoffice.report import DaySales
    row = DaySales("s", "2026-11-26", sales=1, total=123450, refunds=5)
    assert row.to_json()["total"] == "1234.50"
    assert format_table([row]).splitlines()[1].split() == [
        "s", "2026-11-26", "1", "1234.50", "0.05", "1234.45"]


@pytest.mark.parametrize("number,day", [("20261126-0007", "2026-11-26"),
                                        ("2026112", "unknown"), (None, "unknown"),
                                        ("2026-11-26", "unknown")])
def test_business_day_is_the_first_eight_digits_of_the_order_number(number, day):
    assert business_day(number) == day
