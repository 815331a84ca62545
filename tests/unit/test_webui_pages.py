"""The start page: Chinese by default, English on request, every string translated."""

from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from appliance.box import Box
from appliance.config import load
from webui.app import create_app

TRANSLATIONS = Path(__file__).resolve().parents[2] / "webui" / "translations"


@pytest.fixture
def client(tmp_path):
    cfg_file = tmp_path / "t.toml"
    cfg_file.write_text('[paths]\ndata = "d"\n', encoding="utf-8")
    box = Box(load(cfg_file, environ={}))
    yield create_app(box).test_client()
    box.close()


def test_start_page_is_chinese_by_default(client):
    html = client.get("/").get_data(as_text=True)
    assert "商品数" in html and "收银系统正在本机运行" in html
    assert 'lang="zh-CN"' in html


def test_english_on_request_and_remembered(client):
    r = client.get("/?lang=en")
    html = r.get_data(as_text=True)
    assert "Products" in html and "商品数" not in html
    assert "lang=en" in r.headers.get("Set-Cookie", "")
    assert "Products" in client.get("/").get_data(as_text=True)


def test_browser_language_is_respected(client):
    html = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert "Products" in html


def test_every_message_has_a_chinese_translation():
    with open(TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    missing = [m.id for m in catalog if m.id and not m.string]
    assert missing == []
    # The shipped .mo must be the compiled .po (run `make translations` after editing).
    with open(TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.mo", "rb") as fh:
        compiled = read_mo(fh)
    assert {m.id: m.string for m in compiled if m.id} == \
        {m.id: m.string for m in catalog if m.id}


def test_page_uses_only_vendored_assets(client):
    html = client.get("/").get_data(as_text=True)
    assert "http://" not in html.replace("http://localhost", "") and "https://" not in html
    assert client.get("/static/tillbox.css").status_code == 200
