"""What the browser tests share: Debian's Chromium through Playwright, where screenshots go,
and signing in on the PIN pad. Import the fixtures into a test module by name."""

import os
from pathlib import Path

import pytest

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
