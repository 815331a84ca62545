"""Catalog: validation, the barcode index, search, and all-or-nothing writes."""

import os

import pytest

from appliance.errors import NotFound, ValidationError
from appliance.master import Category, MasterData, Product, Variant


@pytest.fixture
def master(tmp_path):
    with MasterData(tmp_path / "master") as m:
        yield m


def tea(**kw):
    fields = dict(id="", sku="TEA-1", name="西湖龙井", category_id=None, unit="盒",
                  price=12800, cost=8000, barcodes=["6901234567892"], name_en="Longjing Tea")
    fields.update(kw)
    return Product(**fields)


def shirt(**kw):
    fields = dict(id="", sku="TS-1", name="文化衫", category_id=None, unit="件", price=9900,
                  cost=4000, barcodes=[], variants=[
                      Variant(id="", spec={"颜色": "红", "尺码": "M"}, sku="TS-1-RM",
                              barcodes=["2000000000015"]),
                      Variant(id="", spec={"颜色": "红", "尺码": "L"}, price=10900, cost=4500,
                              barcodes=["2000000000022"])])
    fields.update(kw)
    return Product(**fields)


def test_save_assigns_ids_and_reloads_from_disk(tmp_path):
    with MasterData(tmp_path / "m") as m:
        cat = m.catalog.save_category(Category(id="", name="茶叶", sort=1))
        saved = m.catalog.save_product(shirt(category_id=cat.id))
    assert saved.id.startswith("p-") and len(saved.id) == 14
    assert all(v.id.startswith("v-") for v in saved.variants)
    assert cat.id.startswith("c-")
    with MasterData(tmp_path / "m") as m:
        assert m.catalog.get_product(saved.id) == saved
        assert m.catalog.list_categories() == [cat]


def test_price_and_cost_of_variants(master):
    p = master.catalog.save_product(shirt())
    medium, large = p.variants
    assert p.price_of(medium) == 9900 and p.price_of(large) == 10900
    assert p.cost_of(medium) == 4000 and p.cost_of(large) == 4500
    assert p.price_of(None) == 9900
    assert p.variant(large.id) == large
    with pytest.raises(NotFound):
        p.variant("v-nope")


def test_returned_products_are_copies(master):
    p = master.catalog.save_product(tea())
    got = master.catalog.get_product(p.id)
    got.price = 1
    got.barcodes.append("4006381333931")
    assert master.catalog.get_product(p.id).price == 12800
    assert master.catalog.lookup_barcode("4006381333931") is None


@pytest.mark.parametrize("change,field,words", [
    (dict(name="  "), "name", "empty"),
    (dict(name="茶" * 81), "name", "at most 80"),
    (dict(unit=""), "unit", "empty"),
    (dict(sku=""), "sku", "empty"),
    (dict(price=128.0), "price", "float"),
    (dict(price="128.00"), "price", "parse_amount"),
    (dict(cost=True), "cost", "bool"),
    (dict(price=-1), "price", "negative"),
    (dict(tax_rate=10001), "tax_rate", "between"),
    (dict(barcodes=["6901234567891"]), "barcodes", "should be 2"),
    (dict(barcodes=["6901234567892", "6901234567892"]), "barcodes", "twice"),
    (dict(category_id="c-missing"), "category_id", "does not exist"),
    (dict(variants=[Variant(id="", spec={})]), "variants[0].spec", "at least one"),
    (dict(variants=[Variant(id="", spec={"颜色": "红;蓝"})]), "variants[0].spec", "contain"),
    (dict(variants=[Variant(id="", spec={"色": "红"}, price=1.5)]), "variants[0].price",
     "float"),
    (dict(variants=[Variant(id="v-1", spec={"色": "红"}), Variant(id="v-1", spec={"色": "蓝"})]),
     "variants", "v-1 appears twice"),
    (dict(variants=[Variant(id="", spec={"色": "红", "码": "M"}),
                    Variant(id="", spec={"码": "M", "色": "红"})]), "variants", "same spec"),
])
def test_validation_errors(master, change, field, words):
    with pytest.raises(ValidationError) as info:
        master.catalog.save_product(tea(**change))
    assert info.value.field == field
    assert words in info.value.message
    assert master.catalog.counts()["products"] == 0


def test_barcodes_and_skus_unique_across_catalog(master):
    first = master.catalog.save_product(tea())
    master.catalog.save_product(shirt())
    with pytest.raises(ValidationError) as info:
        master.catalog.save_product(tea(sku="TEA-2", name="碧螺春"))
    assert '"西湖龙井"' in info.value.message and info.value.field == "barcodes"
    # ... also against a variant's barcode
    with pytest.raises(ValidationError) as info:
        master.catalog.save_product(tea(sku="TEA-2", barcodes=["2000000000022"]))
    assert "文化衫" in info.value.message
    with pytest.raises(ValidationError) as info:
        master.catalog.save_product(tea(barcodes=[]))
    assert info.value.field == "sku"
    # Saving the product itself again is not a clash with itself.
    first.price = 13800
    assert master.catalog.save_product(first).price == 13800


def test_barcode_index_follows_writes(master):
    catalog = master.catalog
    p = catalog.save_product(tea())
    s = catalog.save_product(shirt())
    product, variant = catalog.lookup_barcode("6901234567892")
    assert product.id == p.id and variant is None
    product, variant = catalog.lookup_barcode(" 2000000000022 ")
    assert product.id == s.id and variant.spec == {"颜色": "红", "尺码": "L"}
    assert catalog.lookup_barcode("4006381333931") is None

    p.barcodes = ["4006381333931"]
    catalog.save_product(p)
    assert catalog.lookup_barcode("6901234567892") is None
    assert catalog.lookup_barcode("4006381333931")[0].id == p.id

    s.variants[1].active = False
    catalog.save_product(s)
    assert catalog.lookup_barcode("2000000000022") is None
    assert catalog.lookup_barcode("2000000000015")[1].id == s.variants[0].id

    catalog.deactivate_product(p.id)
    assert catalog.lookup_barcode("4006381333931") is None
    assert catalog.get_product(p.id).active is False
    # The code is free again for another product; the old one cannot come back with it.
    catalog.save_product(tea(sku="TEA-9", name="新茶", barcodes=["4006381333931"]))
    old = catalog.get_product(p.id)
    old.active = True
    with pytest.raises(ValidationError):
        catalog.save_product(old)


def test_search(master):
    catalog = master.catalog
    cat = catalog.save_category(Category(id="", name="服装"))
    catalog.save_product(tea())
    catalog.save_product(shirt(category_id=cat.id))
    catalog.save_product(tea(sku="TEA-2", name="安吉白茶", name_en="Anji White Tea",
                             barcodes=["4006381333931"]))
    names = lambda found: [p.name for p in found]
    assert names(catalog.search("TEA")) == ["安吉白茶", "西湖龙井"]  # sku/name_en, by name
    assert names(catalog.search("longjing")) == ["西湖龙井"]
    assert names(catalog.search("ts-1-rm")) == ["文化衫"]          # variant sku
    assert names(catalog.search("2000000000022")) == ["文化衫"]    # variant barcode
    assert names(catalog.search("333931")) == ["安吉白茶"]         # product barcode part
    assert names(catalog.search("龙井")) == ["西湖龙井"]
    assert names(catalog.search("", category_id=cat.id)) == ["文化衫"]
    assert len(catalog.search("", limit=2)) == 2
    assert catalog.search("nothing like this") == []
    white = catalog.search("白茶")[0]
    catalog.deactivate_product(white.id)
    assert catalog.search("白茶") == []
    assert names(catalog.search("白茶", include_inactive=True)) == ["安吉白茶"]
    assert names(catalog.list_products()) == ["文化衫", "西湖龙井"]
    renamed = catalog.search("longjing")[0]
    renamed.name = "Aaa 龙井"
    catalog.save_product(renamed)
    assert names(catalog.list_products()) == ["Aaa 龙井", "文化衫"]
    assert catalog.search("西湖") == []


def test_categories(master):
    catalog = master.catalog
    b = catalog.save_category(Category(id="", name="茶叶", sort=2))
    a = catalog.save_category(Category(id="", name="茶具", sort=1))
    assert [c.name for c in catalog.list_categories()] == ["茶具", "茶叶"]
    with pytest.raises(ValidationError):
        catalog.save_category(Category(id="", name="茶叶"))
    b.name_en = "Tea"
    catalog.save_category(b)
    assert catalog.get_category(b.id).name_en == "Tea"
    with pytest.raises(NotFound):
        catalog.get_category("c-none")
    assert catalog.find_category_by_name("茶具") == a


def test_replace_catalog_is_all_or_nothing(master, tmp_path):
    catalog = master.catalog
    old = catalog.save_product(tea())
    path = tmp_path / "master" / "catalog.json"
    before = path.read_bytes()
    cat = Category(id="c-tea", name="茶叶")
    with pytest.raises(ValidationError) as info:
        catalog.replace_catalog([cat], [tea(category_id="c-tea"),
                                        shirt(barcodes=["6901234567892"])])
    assert "文化衫" in info.value.message
    assert path.read_bytes() == before
    assert catalog.list_products() == [old] and catalog.list_categories() == []

    saved = catalog.replace_catalog([cat], [tea(category_id="c-tea"), shirt()])
    assert {p.sku for p in saved} == {"TEA-1", "TS-1"}
    assert catalog.counts() == {"products": 2, "products_inactive": 0, "variants": 2,
                                "categories": 1, "barcodes": 3}
    # TinyDB keeps working after the raw write: a new product gets a fresh doc id.
    extra = catalog.save_product(tea(sku="TEA-3", name="普洱", barcodes=[]))
    with MasterData(tmp_path / "master") as again:
        assert {p.sku for p in again.catalog.list_products()} == {"TEA-1", "TS-1", "TEA-3"}
        assert again.catalog.get_product(extra.id) == extra
        assert again.catalog.list_categories() == [cat]


def test_failed_disk_write_changes_nothing(master, tmp_path, monkeypatch):
    catalog = master.catalog
    p = catalog.save_product(tea())

    def broken_replace(src, dst):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", broken_replace)
    changed = catalog.get_product(p.id)
    changed.price = 1
    with pytest.raises(OSError):
        catalog.save_product(changed)
    with pytest.raises(OSError):
        catalog.replace_catalog([], [shirt()])
    monkeypatch.undo()
    assert catalog.get_product(p.id).price == 12800
    assert catalog.lookup_barcode("2000000000015") is None
    catalog.save_product(shirt())  # and it recovers
    with MasterData(tmp_path / "master") as again:
        assert {x.sku: x.price for x in again.catalog.list_products()} == {
            "TEA-1": 12800, "TS-1": 9900}
