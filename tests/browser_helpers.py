"""What the browser tests share: Debian's Chromium through Playwright, a core with the demo
shop on a free loopback port, where screenshots go, and signing in on the PIN pad. Import the
fixtures into a test module by name."""

import os
from pathlib import Path

import pytest

from loopback import LoopbackServer

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                    reason="Debian's chromium is not installed (make sysdeps)")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def core(tmp_path_factory):
    """The demo shop served by waitress on 127.0.0.1: (base URL, box)."""
    from appliance import demo
    from appliance.box import Box
    from appliance.config import load
    from webui.app import create_app

    d = tmp_path_factory.mktemp("core")
    cfg = d / "t.toml"
    cfg.write_text('[paths]\ndata = "d"\n[web]\nthreads = 12\n', encoding="utf-8")
    box = Box(load(cfg, environ={}), background_checkpoints=True)
    demo.load(box)
    srv = LoopbackServer(create_app(box), threads=12)
    yield srv.url, box
    srv.close()
    box.close()


@pytest.fixture
def shots(tmp_path):
    """Screenshots go to $TILLBOX_SCREENSHOTS (docs/screenshots when refreshing the ones the
    README links to), else to the test's temporary directory."""
    target = Path(os.environ.get("TILLBOX_SCREENSHOTS") or tmp_path / "shots")
    target.mkdir(parents=True, exist_ok=True)
    return target


def sign_in(page, base, pin, lang):
    page.goto(f"{base}/login?lang={lang}")
    for digit in pin:
        page.click(f"#pinpad button[data-d='{digit}']")
    page.click("#pinpad button[data-d='ok']")


PHONE = {"width": 390, "height": 844}


def phone_context(browser, lang="zh-CN"):
    """A phone: 390x844 at twice the pixels, touch, in ``lang``."""
    return browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                               has_touch=True, locale=lang)


def watch(page, errors):
    """Collect the page's uncaught script errors into ``errors``."""
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page


def fen(text: str) -> int:
    """An amount as a screen shows it ("+￥-30.00", "−￥30.00", "-30.00") -> -3000."""
    s = text.replace("￥", "").replace(",", "").replace("−", "-").replace("+", "").strip()
    sign = -1 if s.startswith("-") else 1
    whole, _, cents = s.lstrip("-").partition(".")
    return sign * (int(whole) * 100 + int((cents + "00")[:2]))
