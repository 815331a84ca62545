"""The settings page's "Shop and receipt" section (issue 11): the owner's page shows the
current values in the form, the upload limit for the logo script, and the section's strings;
nobody else opens it."""

import re

import pytest

from shop_fixtures import Client, make_core, png, tea_logo


@pytest.fixture
def core(tmp_path):
    app, box = make_core(tmp_path)
    yield app, box
    box.close()


def test_the_form_shows_the_current_values(core):
    app, box = core
    owner = Client(app, "2468", language="zh-CN")
    assert owner.patch("/api/v1/settings", {"shop.name": "茗香<茶>", "receipt.width_mm": 58,
                                             "receipt.footer": "谢谢\n再来",
                                             "receipt.language": "en"}).status_code == 200
    html = owner.get("/office/settings").get_data(as_text=True)
    section = html[html.index('id="settings-shop"'):]
    assert 'name="shop.name"' in section and 'value="茗香&lt;茶&gt;"' in section  # escaped
    assert re.search(r'<option value="58" selected>', section)
    assert re.search(r'<option value="en" selected>English', section)
    assert ">谢谢\n再来</textarea>" in section
    assert f'data-limit="{box.config.web.max_request_kb * 1024}"' in section
    assert 'id="st-logo-preview"' in section and "preview.png" not in section  # no logo yet
    assert "<title>" in html and "茗香&lt;茶&gt;</title>" in html       # the page header


def test_with_a_logo_the_page_shows_its_printed_preview(core):
    app, _box = core
    owner = Client(app, "2468")
    digest = owner.upload(png(tea_logo())).get_json()["logo"]
    html = owner.get("/office/settings").get_data(as_text=True)
    assert f"/api/v1/settings/logo/preview.png?v={digest[:16]}-80" in html
    assert 'id="st-logo-remove"' in html and 'id="st-logo-remove" hidden' not in html


def test_the_script_gets_its_strings(core):
    app, _box = core
    html = Client(app, "2468").get("/office/settings").get_data(as_text=True)
    for key in ("st_shop_saved", "st_shop_logo_saved", "st_shop_logo_size",
                "st_shop_logo_too_big"):
        assert f'"{key}"' in html
    assert "js/settings_shop.js" in html


def test_only_the_owner_opens_the_settings(core):
    app, _box = core
    assert Client(app, "1001").get("/office/settings").status_code in (302, 303, 403)
