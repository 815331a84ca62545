"""Built-in help (issue 11 point 2): every topic renders in both languages for anyone signed
in, names the buttons exactly as the screens do, and every picture it shows is served."""

import re
from html import unescape
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from webui.help import SLUGS, topics

ROOT = Path(__file__).resolve().parents[3]
HELP_STATIC = ROOT / "webui" / "static" / "help"
GUIDE = ROOT / "docs" / "user-guide.md"
BOLD = re.compile(r'<b class="ui">(.*?)</b>')


@pytest.fixture(scope="module")
def catalog():
    with open(ROOT / "webui" / "translations" / "zh" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return {m.id: m.string for m in read_po(fh) if m.id}


def english():
    return topics(lambda s: s)


def test_the_topics_are_the_flows_of_the_issue_each_a_few_steps():
    every = english()
    assert list(every) == list(SLUGS)
    assert {"order", "counter", "returns", "shift", "stocktake", "product"} <= set(every)
    for topic in every.values():
        assert topic.title and topic.who
        assert 3 <= len(topic.steps) <= 8, topic.slug
        assert any(step.image for step in topic.steps), f"{topic.slug} has no picture"


@pytest.mark.parametrize("slug", SLUGS)
def test_a_signed_in_assistant_reads_every_topic_in_chinese_and_english(web, slug, catalog):
    api = web.as_role("assistant", language="zh")
    zh = api.get(f"/help/{slug}")
    assert zh.status_code == 200
    zh_html = zh.get_data(as_text=True)
    assert 'lang="zh-CN"' in zh_html and f'id="help-{slug}"' in zh_html
    en = api.get(f"/help/{slug}?lang=en")
    assert en.status_code == 200
    en_html = en.get_data(as_text=True)
    assert 'lang="en"' in en_html
    topic = english()[slug]
    assert f"<h1>{topic.title}</h1>" in unescape(en_html)
    # The buttons are named as the screens name them: the screen's own msgids, in bold,
    # translated by the same catalog as the screens in Chinese.
    en_labels = [unescape(x) for x in BOLD.findall(en_html)]
    zh_labels = [unescape(x) for x in BOLD.findall(zh_html)]
    assert en_labels and len(en_labels) == len(zh_labels)
    assert zh_labels == [catalog[label] for label in en_labels]


def test_the_index_lists_every_topic_in_order(web):
    html = web.as_role("assistant").get("/help").get_data(as_text=True)
    assert re.findall(r'data-topic="([a-z]+)"', html) == list(SLUGS)


@pytest.mark.parametrize("path", ["/help"] + [f"/help/{s}" for s in SLUGS])
def test_signed_out_people_are_sent_to_sign_in_and_back(web, path):
    r = web.client().get(path)
    assert r.status_code == 302
    assert r.headers["Location"] == f"/login?next={path}"


def test_a_topic_that_does_not_exist_is_not_found(web):
    assert web.as_role("owner").get("/help/no-such-topic").status_code == 404


def test_every_picture_shown_exists_is_served_and_described(web):
    api = web.as_role("cashier", language="zh")
    shown = set()
    for slug in SLUGS:
        html = api.get(f"/help/{slug}").get_data(as_text=True)
        for src, alt in re.findall(r'<img src="([^"]+)" alt="([^"]*)"', html):
            assert src.startswith("/static/help/") and alt.strip()
            r = api.get(src)
            assert r.status_code == 200, src
            assert r.mimetype == "image/jpeg" and r.data[:3] == b"\xff\xd8\xff"
            shown.add(src.rsplit("/", 1)[1])
    on_disk = {p.name for p in HELP_STATIC.glob("*.jpg")}
    assert shown == on_disk, "pictures in static/help that no topic shows"


def test_pictures_stay_small_and_phone_sized():
    sizes = [p.stat().st_size for p in HELP_STATIC.iterdir()]
    assert sum(sizes) < 1_500_000
    assert max(sizes) < 150_000


def test_help_needs_nothing_from_the_internet(web):
    html = web.as_role("assistant").get("/help/counter").get_data(as_text=True)
    assert "http://" not in html and "https://" not in html


def test_the_print_guide_mirrors_every_topic_and_picture():
    guide = GUIDE.read_text(encoding="utf-8")
    for topic in english().values():
        assert topic.title in guide, topic.slug
        for step in topic.steps:
            text = unescape(BOLD.sub(r"**\1**", str(step.text)))
            assert text in guide, text
            if step.image:
                assert f"../webui/static/help/{step.image}" in guide
                assert (HELP_STATIC / step.image).exists()
