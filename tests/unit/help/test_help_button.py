"""The help button in the header (base.html): on every staff page, opening the topic of the
page when there is one, else the help index; never on what customers look at."""

import json
import re
from pathlib import Path

import pytest
from flask import render_template

from webui.help import PAGE_TOPICS, PHONE_TAB_TOPICS, SLUGS

TEMPLATES = Path(__file__).resolve().parents[3] / "webui" / "templates"
BUTTON = re.compile(r'<a class="help-button" id="help-button" href="([^"]+)"')

#: Every template that extends base.html: the page that shows it and the help its button
#: opens (None: no button), or None for the pages rendered directly below.
PAGES = {
    "index.html": ("/", "/help"),
    "login.html": ("/login", "/help"),
    "phone.html": ("/phone", "/help/order"),
    "counter.html": ("/counter", "/help/counter"),
    "office_dashboard.html": ("/office", "/help"),
    "office_reports.html": ("/office/reports", "/help"),
    "office_shifts.html": ("/office/shifts", "/help/shift"),
    "office_finance.html": ("/office/finance", "/help"),
    "office_staff.html": ("/office/staff", "/help"),
    "office_audit.html": ("/office/audit", "/help"),
    "office_training.html": ("/training", "/help"),
    "office_aftersales.html": ("/office/aftersales", "/help/aftersales"),
    "office_deliveries.html": ("/office/deliveries", "/help/delivery"),
    "office_notifications.html": ("/office/notifications", "/help"),
    "office_customers.html": ("/office/customers", "/help"),
    "office_settings.html": ("/office/settings", "/help"),
    "help_index.html": ("/help", "/help"),
    "help_topic.html": ("/help/order", "/help"),   # a topic's button goes to the index
    "ca.html": None, "sim.html": None,   # need HTTPS / simulated devices: rendered directly
    # customers' screens and a new box's setup: no help button
    "display.html": ("/display", None),
    "ereceipt.html": ("/r/no-such.receipt", None),
    "setup.html": None,
}


def extends_base(path: Path) -> bool:
    return '{% extends "base.html" %}' in path.read_text(encoding="utf-8")


def test_the_table_covers_every_page_template():
    pages = {p.name for p in TEMPLATES.glob("*.html") if extends_base(p)}
    assert pages - set(PAGES) == set(), "a new page: add it to PAGES with the help it opens"
    assert set(PAGES) - pages == set(), "PAGES names templates that are gone"


@pytest.mark.parametrize("template", [t for t, v in PAGES.items() if v and v[1]])
def test_a_page_has_the_help_button_for_its_topic(web, template):
    path, href = PAGES[template]
    r = web.as_role("owner", language="zh").get(path)
    assert r.status_code == 200, (path, r.status_code)
    html = r.get_data(as_text=True)
    assert BUTTON.findall(html) == [href], path
    assert ">Help</a>" in html or ">帮助</a>" in html


def test_a_help_topic_has_the_button_back_to_the_index(web):
    for slug in SLUGS:
        html = web.as_role("assistant").get(f"/help/{slug}").get_data(as_text=True)
        assert BUTTON.findall(html) == ["/help"]


def test_the_button_leads_to_a_page_that_answers(web):
    api = web.as_role("assistant")
    for path in ["/help"] + [f"/help/{slug}" for slug in set(PAGE_TOPICS.values())]:
        assert api.get(path).status_code == 200, path


@pytest.mark.parametrize("path", ["/display", "/r/no-such.receipt"])
def test_customers_screens_have_no_help_button(web, path):
    html = web.as_role("owner").get(path).get_data(as_text=True)
    assert 'id="help-button"' not in html


def test_pages_rendered_directly_have_the_button_or_not_as_they_should(web):
    app = web.app
    common = dict(shop_name="店", locale="zh", strings={}, business_day="", timezone="")
    with app.test_request_context("/ca"):
        html = render_template("ca.html", cert_url="http://x/ca.crt", secure_url="/",
                               qr_svg="", **common)
        assert BUTTON.findall(html) == ["/help"]
    with app.test_request_context("/sim"):
        html = render_template("sim.html", sim_printer=True, sim_scanner=True,
                               sim_modem=True, **common)
        assert BUTTON.findall(html) == ["/help"]
    with app.test_request_context("/setup"):
        html = render_template("setup.html", code="", device_id="d", hostname="h",
                               store_id="", **common)
        assert 'id="help-button"' not in html


def test_on_the_phone_the_button_follows_the_open_tab(web):
    html = web.as_role("assistant").get("/phone").get_data(as_text=True)
    tabs = re.search(r'id="help-button" href="/help/order"\s+data-tabs="([^"]+)"', html)
    assert tabs, "the phone's help button has no tab map"
    mapping = json.loads(tabs.group(1).replace("&#34;", '"'))
    assert mapping == {tab: f"/help/{slug}" for tab, slug in PHONE_TAB_TOPICS.items()}
    for tab in mapping:  # every tab named is a tab of the phone page
        assert f'data-tab="{tab}"' in html
    assert "/static/help/help.js" in html
    api = web.as_role("assistant")
    assert api.get("/static/help/help.js").status_code == 200
