"""/api/v1/reports, the CSV downloads, the print job and the two office pages."""

import csv
import io
import xml.etree.ElementTree as ET

import pytest

from appliance.orders import Actor
from appliance.printing.documents import document_for


@pytest.fixture
def sold(web):
    """Two sales today through the box's engine: 2 tea (136.00 cash) and a white cup
    (39.00 card)."""
    e, box = web.box.orders, web.box
    assistant = Actor(web.staff_ids["assistant"], "assistant", "phone-1")
    cashier = Actor(web.staff_ids["cashier"], "cashier", "counter")
    o = e.open_order(assistant)
    e.add_line(assistant, o.id, barcode="6901234567892", qty=2)
    e.add_payment(cashier, o.id, "cash", 13600)
    o = e.open_order(assistant)
    e.add_line(assistant, o.id, barcode="2000000000022")
    e.add_payment(cashier, o.id, "card", 3900, reference="C1")
    return box.reports.today()


def test_report_json_has_every_section_with_decimal_amounts(web, sold):
    r = web.as_role("manager").get(f"/api/v1/reports?from={sold}&to={sold}")
    assert r.status_code == 200
    doc = r.get_json()
    assert (doc["from"], doc["to"]) == (sold.isoformat(), sold.isoformat())
    s = doc["summary"]
    assert (s["orders"], s["sales"], s["net"], s["cogs"], s["average_basket"]) == (
        2, "175.00", "175.00", "95.00", "87.50")
    assert {t["method"]: t["sales"] for t in doc["tenders"]} == {"cash": "136.00",
                                                                 "card": "39.00"}
    assert doc["staff"][0]["name"] == "assistant 张" and doc["staff"][0]["opened_orders"] == 2
    # the default period is today
    assert web.as_role("manager").get("/api/v1/reports").get_json()["summary"]["net"] == "175.00"


def test_csv_download_is_utf8_with_bom_and_named_for_the_period(web, sold):
    r = web.as_role("owner").get(f"/api/v1/reports/categories.csv?from={sold}")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert f'filename="categories-{sold}.csv"' in r.headers["Content-Disposition"]
    assert r.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Category", "Net qty", "Sales"]
    assert rows[1][:3] == ["绿茶", "3", "175.00"]


@pytest.mark.parametrize("query, field", [
    ("from=2026-13-01", "from"), ("from=2026-11-02&to=2026-11-01", "to"),
    ("from=2024-01-01&to=2026-01-01", "to"), ("period=fortnight", "period")])
def test_bad_periods_are_refused_with_the_field(web, query, field):
    r = web.as_role("manager").get(f"/api/v1/reports?{query}")
    assert r.status_code == 400 and r.get_json()["field"] == field
    assert web.as_role("manager").get(f"/api/v1/reports/days.csv?{query}").status_code == 400


def test_an_unknown_section_is_not_found(web):
    r = web.as_role("manager").get("/api/v1/reports/wages.csv")
    assert r.status_code == 404 and "days" in r.get_json()["error"]


def test_reports_need_a_manager(web):
    for role in ("assistant", "cashier"):
        c = web.as_role(role)
        assert c.get("/api/v1/reports").status_code == 403
        assert c.get("/api/v1/reports/days.csv").status_code == 403
        assert c.get("/api/v1/reports/today").status_code == 403
        assert c.post("/api/v1/reports/print", json={}).status_code == 403
        assert c.get("/office/reports").status_code == 403
        assert c.get("/office").status_code == 403
    assert web.client().get("/api/v1/reports").status_code == 401


def test_print_queues_a_summary_without_a_journal_record(web, sold):
    box = web.box
    head = box.ledger.head()
    c = web.as_role("manager")
    assert c.post("/api/v1/reports/print", json={"from": "2026-02-30"}).status_code == 400
    r = c.post("/api/v1/reports/print", json={"from": sold.isoformat()})
    assert r.status_code == 202
    assert box.ledger.head() == head                      # paper, not money
    job = box.printing.get(r.get_json()["job_id"])
    assert job["kind"] == "report" and job["payload"] == {
        "document": "summary", "from": sold.isoformat(), "to": sold.isoformat(),
        "requested_by": "manager 张"}
    doc = document_for(box, job)                          # laid out as printerd claims it
    text = [ln["text"] for ln in doc["lines"]]
    assert doc["cut"] and doc["paper_mm"] == box.master.settings.get("receipt.width_mm")
    assert any("￥175.00" in t for t in text) and not any("¥" in t for t in text)
    assert any("销售汇总" in t or "Sales summary" in t for t in text)   # receipt language


def test_today_json_for_the_dashboard(web, sold):
    t = web.as_role("manager").get("/api/v1/reports/today").get_json()
    assert t["today"]["net"] == "175.00" and t["today"]["orders"] == 2
    assert t["last_week"]["orders"] == 0 and t["change_pct"]["net"] is None


def test_reports_page_shows_figures_charts_and_csv_links(web, sold):
    html = web.as_role("manager").get(f"/office/reports?from={sold}&lang=en").get_data(
        as_text=True)
    assert "￥175.00" in html and 'id="sum-orders">2<' in html
    assert f"/api/v1/reports/products.csv?from={sold}&amp;to={sold}" in html
    svgs = html.count("<svg")
    assert svgs >= 4
    start = html.index("<svg")
    ET.fromstring(html[start:html.index("</svg>", start) + 6])   # well-formed
    assert 'id="report-print"' in html


def test_reports_page_says_what_was_wrong_with_the_period(web):
    html = web.as_role("manager").get("/office/reports?from=2026-11-30&to=2026-11-01"
                                      "&lang=en").get_data(as_text=True)
    assert 'class="error"' in html and "ends before it starts" in html


def test_dashboard_shows_today_open_orders_low_stock_link_and_printer(web, sold):
    e = web.box.orders
    assistant = Actor(web.staff_ids["assistant"], "assistant", "phone-1")
    o = e.open_order(assistant)
    e.add_line(assistant, o.id, barcode="6901234567892")
    e.park(assistant, o.id)
    html = web.as_role("owner").get("/office?lang=en").get_data(as_text=True)
    assert "￥175.00" in html and "Today so far" in html
    assert 'href="/phone#stock-low"' in html
    open_tile = html[html.index('id="dash-open"'):html.index('id="dash-low"')]
    assert "0 open" in open_tile and "1 parked" in open_tile
    assert "Link service not running" in html or "Not linked to head office" in html
    assert "print service not running" in html
    assert '<meta http-equiv="refresh" content="60">' in html
