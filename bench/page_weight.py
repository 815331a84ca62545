"""First load of the phone order-entry page: requests and bytes, as a phone on the shop Wi-Fi
sees them (Debian's Chromium at 390x844, empty cache, after signing in). The event stream
the page then opens stays open and is not counted."""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
from pathlib import Path

from common import CACHE, emit

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> None:
    argparse.ArgumentParser().parse_args()
    from playwright.sync_api import sync_playwright
    from waitress.server import create_server

    from appliance import demo
    from appliance.box import Box
    from appliance.config import load
    from webui.app import create_app

    CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="weight-", dir=CACHE))
    try:
        cfg = work / "t.toml"
        cfg.write_text('[paths]\ndata = "d"\n', encoding="utf-8")
        box = Box(load(cfg, environ={}))
        demo.load(box)
        srv = create_server(create_app(box), host="127.0.0.1", port=0, threads=8)
        threading.Thread(target=srv.run, daemon=True).start()
        base = f"http://127.0.0.1:{srv.effective_port}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
            page = ctx.new_page()
            resp = page.request.post(f"{base}/api/v1/auth/login",
                                     data={"pin": "2001", "terminal": "bench"})
            assert resp.ok, resp.text()
            seen = []
            page.on("requestfinished", lambda r: seen.append(r))
            page.goto(f"{base}/phone", wait_until="networkidle")
            page.wait_for_selector(".product")
            rows = []
            for r in seen:
                sizes = r.sizes()
                rows.append({"url": r.url.replace(base, ""), "type": r.resource_type,
                             "bytes": sizes["responseBodySize"] + sizes["responseHeadersSize"]})
            browser.close()
        srv.close()
        box.close()
        static = [r for r in rows if r["type"] in ("document", "stylesheet", "script")]
        emit("page_weight", {
            "page": "/phone", "requests": len(rows), "bytes": sum(r["bytes"] for r in rows),
            "page_and_assets": {"requests": len(static),
                                "bytes": sum(r["bytes"] for r in static)},
            "api_calls": len(rows) - len(static), "detail": rows})
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
