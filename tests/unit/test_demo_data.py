"""The demo shop is realistic: 60+ products with Chinese names, valid EAN-13 codes, variants,
several categories and staff of every role; it loads into an empty box."""

import csv
from importlib import resources

from appliance import demo
from appliance.box import Box
from appliance.config import load
from appliance.master.ean import is_valid_ean13
from appliance.master.staff import ROLES


def rows():
    with resources.files("appliance.demo").joinpath("catalog.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_demo_catalog_is_a_realistic_shop():
    data = rows()
    skus = {r["sku"] for r in data}
    assert len(skus) >= 60
    assert len({r["category"] for r in data}) >= 5
    with_variants = {r["sku"] for r in data if r["spec"]}
    assert len(with_variants) >= 10
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in r["name"]) for r in data)
    codes = [c for r in data for c in r["barcodes"].split("|") if c]
    assert codes and all(len(c) == 13 and is_valid_ean13(c) for c in codes)
    assert len(codes) == len(set(codes))


def test_demo_staff_cover_every_role():
    assert {role for _, role, _ in demo.DEMO_STAFF} == set(ROLES)


def test_demo_loads_into_an_empty_box_with_stock(tmp_path):
    cfg = tmp_path / "t.toml"
    cfg.write_text('[paths]\ndata = "d"\n', encoding="utf-8")
    with Box(load(cfg, environ={})) as box:
        pins = demo.load(box)
        assert demo.working_pins(box) == pins
        assert box.master.catalog.counts()["products"] >= 60
        tea = box.master.catalog.search("龙井")[0]
        variant = tea.variants[0]
        assert box.orders.stock_level(tea.id, variant.id) > 0
        assert box.master.settings.get("shop.name") == demo.SETTINGS["shop.name"]
