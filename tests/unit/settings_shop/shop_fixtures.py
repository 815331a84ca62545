"""What the shop-and-receipt tests share: a core over a box with a fixed clock (so receipts
are the same bytes every run), the owner signed in, and logo images drawn with Pillow."""

from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest
from PIL import Image, ImageDraw

from appliance.clock import FixedClock
from appliance.master.catalog import Category, Product

CONFIG = """\
[paths]
data = "d"
[printer]
backend = "simulated"
profile = "TM-T88III"
"""


def make_core(tmp_path):
    """(app, box) over a fresh box; staff: owner 2468, cashier 1001."""
    from appliance.box import Box
    from appliance.config import load
    from webui.app import create_app

    cfg = tmp_path / "t.toml"
    cfg.write_text(CONFIG, encoding="utf-8")
    box = Box(load(cfg, environ={}),
              clock=FixedClock(datetime(2026, 11, 26, 2, 30, tzinfo=timezone.utc)))
    box.master.staff.add("王店主", "owner", "2468")
    app_cashier = box.master.staff.add("张收银", "cashier", "1001").id
    cat = box.master.catalog.save_category(Category(id="", name="绿茶"))
    box.master.catalog.save_product(Product(
        id="", sku="TEA-1", name="西湖龙井", category_id=cat.id, unit="盒", price=6800,
        cost=4000, barcodes=["6901234567892"]))
    app = create_app(box)
    app.config.update(TESTING=True, TEST_CASHIER=app_cashier)
    return app, box


class Client:
    """A signed-in browser-like client (cookie jar and CSRF token)."""

    def __init__(self, app, pin, language="en"):
        self.http = app.test_client()
        self.http.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        r = self.http.post("/api/v1/auth/login", json={"pin": pin})
        assert r.status_code == 200, r.get_json()
        self.csrf = r.get_json()["csrf_token"]
        self.headers = {"X-CSRF-Token": self.csrf}

    def get(self, path, **kw):
        return self.http.get(path, **kw)

    def patch(self, path, json):
        return self.http.patch(path, json=json, headers=self.headers)

    def post(self, path, json=None, **kw):
        return self.http.post(path, json=json, headers=self.headers, **kw)

    def upload(self, data: bytes, mimetype="image/png"):
        return self.http.post("/api/v1/settings/logo", data=data, content_type=mimetype,
                              headers=self.headers)

    def delete(self, path):
        return self.http.delete(path, headers=self.headers)


def png(image: Image.Image, fmt="PNG", **kw) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **kw)
    return out.getvalue()


def tea_logo(width=300, height=120, mode="RGBA") -> Image.Image:
    """A transparent logo: a dark leaf, a grey band (to be dithered) and a frame."""
    image = Image.new(mode, (width, height), (0, 0, 0, 0) if mode == "RGBA" else "white")
    pen = ImageDraw.Draw(image)
    pen.ellipse((10, 10, height - 10, height - 10), fill=(20, 90, 40, 255))
    for x in range(height, width - 10):
        shade = 40 + (x - height) * 180 // max(1, width - 10 - height)
        pen.line((x, height // 3, x, 2 * height // 3), fill=(shade, shade, shade, 255))
    pen.rectangle((0, 0, width - 1, height - 1), outline=(0, 0, 0, 255), width=3)
    return image

@pytest.fixture
def core(tmp_path):
    """A box with the demo shop and its web app: (app, box)."""
    app, box = make_core(tmp_path)
    yield app, box
    box.close()


@pytest.fixture
def owner(core):
    return Client(core[0], "2468")

