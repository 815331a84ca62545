"""The finance API and the office pages of finance, staff and audit: decimal strings in
and out, 4xx JSON for bad input and for roles without the permission, CSV downloads."""

import csv
import io

import pytest


def test_add_list_void_and_export_through_the_api(web):
    owner = web.as_role("owner")
    day = web.box.finance.today()
    r = owner.post("/api/v1/finance/entries", json={"category": "rent", "amount": "3000.50",
                                                    "day": day, "note": "房租"})
    assert r.status_code == 201, r.get_json()
    entry = r.get_json()
    assert entry["amount"] == "3000.50" and entry["kind"] == "expense"
    owner.post("/api/v1/finance/entries", json={"category": "other_income", "amount": "20"})
    listed = owner.get(f"/api/v1/finance/entries?from={day}&to={day}").get_json()
    assert [e["amount"] for e in listed["entries"]] == ["20.00", "3000.50"]
    assert (listed["expenses"], listed["income"]) == ("3000.50", "20.00")
    assert listed["categories"]["wages"] == "expense"
    r = owner.post(f"/api/v1/finance/entries/{entry['id']}/void", json={"reason": "重复"})
    assert r.status_code == 200 and r.get_json()["voided"] is True
    listed = owner.get("/api/v1/finance/entries").get_json()      # default: this month
    assert listed["expenses"] == "0.00"
    profit = owner.get(f"/api/v1/finance/profit?month={day[:7]}").get_json()
    assert profit["by"] == "by_day"
    today = next(r for r in profit["rows"] if r["day"] == day)
    assert (today["expenses"], today["other_income"], today["profit"]) == ("0.00", "20.00",
                                                                           "20.00")
    assert profit["totals"]["profit"] == "20.00"
    year = owner.get(f"/api/v1/finance/profit?year={day[:4]}").get_json()
    assert year["by"] == "by_month" and len(year["rows"]) == 12
    r = owner.get(f"/api/v1/finance/entries.csv?from={day}&to={day}")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.get_data().startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(r.get_data().decode("utf-8-sig"))))
    assert [(x["amount"], x["voided"]) for x in rows] == [("3000.50", "yes"), ("20.00", "")]
    r = owner.get(f"/api/v1/finance/profit.csv?year={day[:4]}")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]


@pytest.mark.parametrize("body, field", [
    ({"category": "rent", "amount": 30}, "amount"),            # a bare number, not a string
    ({"category": "rent", "amount": "30.123"}, "amount"),
    ({"category": "rent"}, "amount"),
    ({"amount": "1"}, "category"),
    ({"category": "rent", "amount": "1", "day": "tomorrow"}, "day"),
    ({"category": "rent", "amount": "1", "note": 5}, "note"),
])
def test_bad_entries_are_400_json_naming_the_field(web, body, field):
    r = web.as_role("owner").post("/api/v1/finance/entries", json=body)
    assert r.status_code == 400
    assert r.get_json()["field"] == field and r.get_json()["error"]


@pytest.mark.parametrize("query", ["month=2026-13", "year=20", "from=x",
                                   "from=2026-11-05&to=2026-11-01"])
def test_bad_periods_are_400(web, query):
    owner = web.as_role("owner")
    path = "/api/v1/finance/entries" if "from" in query else "/api/v1/finance/profit"
    r = owner.get(f"{path}?{query}")
    assert r.status_code == 400 and "error" in r.get_json()


def test_unknown_entry_is_404_and_a_second_void_409(web):
    owner = web.as_role("owner")
    r = owner.post("/api/v1/finance/entries/nope/void", json={"reason": "x"})
    assert r.status_code == 404 and r.get_json()["code"] == "not_found"
    entry = owner.post("/api/v1/finance/entries", json={"category": "wages",
                                                        "amount": "1.00"}).get_json()
    owner.post(f"/api/v1/finance/entries/{entry['id']}/void", json={"reason": "x"})
    r = owner.post(f"/api/v1/finance/entries/{entry['id']}/void", json={"reason": "x"})
    assert r.status_code == 409 and "error" in r.get_json()


def test_finance_is_the_owners(web):
    manager = web.as_role("manager")
    for method, path in (("GET", "/api/v1/finance/entries"), ("GET", "/api/v1/finance/profit"),
                         ("POST", "/api/v1/finance/entries"),
                         ("GET", "/api/v1/finance/entries.csv")):
        r = manager.client.open(path, method=method, json={"category": "rent", "amount": "1"},
                                headers={"X-CSRF-Token": manager.csrf})
        assert r.status_code == 403 and r.get_json()["code"] == "forbidden", path
    assert web.box.ledger.head()[0] == 0


@pytest.mark.parametrize("path, marker", [("/office/finance", 'id="fin-form"'),
                                          ("/office/staff", 'id="sf-list"'),
                                          ("/office/audit", 'id="au-list"')])
def test_the_office_pages_render_for_the_owner_only(web, path, marker):
    page = web.as_role("owner").get(path + "?lang=en")
    assert page.status_code == 200 and marker in page.get_data(as_text=True)
    assert web.as_role("manager").get(path).status_code == 403
