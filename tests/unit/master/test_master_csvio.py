"""Catalog CSV import/export: merging, row-numbered errors, atomicity, round trip, BOM."""

import io

import pytest

from appliance.errors import ValidationError
from appliance.master import (CatalogImportError, MasterData, Product, export_catalog,
                              import_catalog)

HEADER = "sku,name,name_en,category,unit,price,cost,stock_tracked,spec,variant_sku," \
         "variant_price,barcodes\n"
GOOD = HEADER + (
    "TEA-1,西湖龙井,Longjing,茶叶,盒,128,80.5,1,,,,6901234567892|2000000000015\n"
    "TS-1,文化衫,T-shirt,服装,件,99.00,40,否,颜色=红;尺码=M,TS-1-RM,,2000000000022\n"
    "TS-1,文化衫,T-shirt,服装,件,99.00,40,否,颜色=红;尺码=L,TS-1-RL,109.00,2000000000039\n"
    ",,,,,,,,,,,\n"
    "CUP-1,青瓷杯,,茶具,只,¥35,12,yes,,,,\n"
)


@pytest.fixture
def master(tmp_path):
    with MasterData(tmp_path / "m") as m:
        yield m


def write(tmp_path, text, *, bom=False, name="catalog.csv"):
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def by_sku(master, **kw):
    return {p.sku: p for p in master.catalog.list_products(**kw)}


def test_import_with_variants(master, tmp_path):
    result = import_catalog(master, write(tmp_path, GOOD))
    assert (result.products, result.variants, result.categories_created) == (3, 2, 3)
    products = by_sku(master)
    tea, shirt, cup = products["TEA-1"], products["TS-1"], products["CUP-1"]
    assert (tea.price, tea.cost, tea.name_en, tea.unit) == (12800, 8050, "Longjing", "盒")
    assert tea.barcodes == ["6901234567892", "2000000000015"] and tea.variants == []
    assert shirt.stock_tracked is False and cup.price == 3500
    medium, large = shirt.variants
    assert medium.spec == {"颜色": "红", "尺码": "M"} and medium.sku == "TS-1-RM"
    assert shirt.price_of(medium) == 9900 and shirt.price_of(large) == 10900
    assert master.catalog.lookup_barcode("2000000000039")[1].id == large.id
    cats = {c.id: c.name for c in master.catalog.list_categories()}
    assert cats[shirt.category_id] == "服装" and cats[cup.category_id] == "茶具"


def test_bom_or_not_same_result(tmp_path):
    results = []
    for bom in (False, True):
        with MasterData(tmp_path / f"m{bom}") as m:
            import_catalog(m, write(tmp_path, GOOD, bom=bom, name=f"{bom}.csv"))
            results.append(sorted((p.sku, p.name, p.price) for p in m.catalog.list_products()))
    assert results[0] == results[1] and len(results[0]) == 3
    # The same through a binary and a text file object.
    with MasterData(tmp_path / "m3") as m:
        import_catalog(m, io.BytesIO(b"\xef\xbb\xbf" + GOOD.encode("utf-8")))
        assert len(m.catalog.list_products()) == 3
    with MasterData(tmp_path / "m4") as m:
        import_catalog(m, io.StringIO("\ufeff" + GOOD))
        assert len(m.catalog.list_products()) == 3


def test_errors_are_row_numbered_and_nothing_changes(master, tmp_path):
    import_catalog(master, write(tmp_path, GOOD))
    before_products = master.catalog.list_products(include_inactive=True)
    before_categories = master.catalog.list_categories()
    before_file = (tmp_path / "m" / "catalog.json").read_bytes()
    bad = HEADER + (
        "TEA-1,西湖龙井,Longjing,茶叶,盒,129,80.5,1,,,,6901234567892\n"     # row 2: fine alone
        "NEW-1,新品,,新类,个,12.345,1,1,,,,\n"                             # row 3: price
        "NEW-2,新品2,,新类,个,1,1,maybe,,,,6901234567891\n"                # row 4: flag, EAN
        "TS-1,文化衫,T-shirt,服装,件,99.00,40,否,颜色=红;尺码=M,,,\n"         # row 5
        "TS-1,文化衫X,T-shirt,服装,件,99.00,40,否,尺码=M;颜色=红,,,\n"       # row 6: name, spec
        "NEW-3,新品3,,,个,1,,,,,,6901234567892\n"                          # row 7: dup code
        "NEW-4,新品4,,,个,1,,,,,,6.90123E+12\n"                            # row 8: Excel
        "NEW-5,,,,,1,,,,TS-X,,\n"                                          # row 9
    )
    with pytest.raises(CatalogImportError) as info:
        import_catalog(master, write(tmp_path, bad, name="bad.csv"))
    found = {(e.row_number, e.column) for e in info.value.errors}
    assert found == {(3, "price"), (4, "stock_tracked"), (4, "barcodes"), (6, "name"),
                     (6, "spec"), (7, "barcodes"), (8, "barcodes"), (9, "name"),
                     (9, "unit"), (9, "variant_sku")}
    message = info.value.message
    assert 'row 3, price: "12.345" is not an amount' in message
    assert "row 7, barcodes: barcode 6901234567892 already appears in row 2" in message
    assert "Excel" in message and "nothing was imported" in message
    assert isinstance(info.value, ValidationError)
    assert info.value.to_json()["errors"][0]["row_number"] == 3
    assert master.catalog.list_products(include_inactive=True) == before_products
    assert master.catalog.list_categories() == before_categories
    assert (tmp_path / "m" / "catalog.json").read_bytes() == before_file


def test_missing_and_unknown_columns(master):
    with pytest.raises(CatalogImportError) as info:
        import_catalog(master, io.StringIO("sku,name,barcode\nA,x,1\n"))
    text = info.value.message
    assert "missing required column(s) unit, price" in text
    assert "unknown column(s) barcode" in text
    with pytest.raises(CatalogImportError):
        import_catalog(master, io.StringIO(""))


def test_barcode_clash_with_product_not_in_file(master, tmp_path):
    master.catalog.save_product(Product(id="", sku="OLD", name="旧品", category_id=None,
                                        unit="个", price=100, cost=0,
                                        barcodes=["4006381333931"]))
    text = HEADER + "NEW,新品,,,个,1,,,,,,4006381333931\n"
    with pytest.raises(CatalogImportError) as info:
        import_catalog(master, io.StringIO(text))
    assert "row 2, barcodes" in info.value.message and "旧品" in info.value.message
    # With replace the old product goes off sale, so its code is free.
    result = import_catalog(master, io.StringIO(text), replace=True)
    assert result.products_deactivated == 1
    assert master.catalog.lookup_barcode("4006381333931")[0].sku == "NEW"
    assert by_sku(master, include_inactive=True)["OLD"].active is False


def test_reimport_merges_by_sku_keeping_ids(master, tmp_path):
    import_catalog(master, write(tmp_path, GOOD))
    before = by_sku(master)
    shirt_medium_id = before["TS-1"].variants[0].id
    changed = HEADER + (
        "TS-1,文化衫,T-shirt,服装,件,89.00,40,否,尺码=M;颜色=红,TS-1-RM,,2000000000022\n"
        "TS-1,文化衫,T-shirt,服装,件,89.00,40,否,颜色=白;尺码=M,,,\n"
    )
    result = import_catalog(master, io.StringIO(changed))
    assert (result.products, result.variants, result.categories_created) == (1, 2, 0)
    after = by_sku(master)
    shirt = after["TS-1"]
    assert shirt.id == before["TS-1"].id and shirt.price == 8900
    medium, white, large = shirt.variants
    assert medium.id == shirt_medium_id and white.spec == {"颜色": "白", "尺码": "M"}
    assert large.active is False  # not in the file: off sale, kept on record
    assert master.catalog.lookup_barcode("2000000000039") is None
    assert after["TEA-1"] == before["TEA-1"]  # untouched without replace


def test_export_import_round_trip(master, tmp_path):
    import_catalog(master, write(tmp_path, GOOD))
    out = tmp_path / "export.csv"
    assert export_catalog(master, out) == 4
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")

    def comparable(m):
        cats = {c.id: c.name for c in m.catalog.list_categories()}
        docs = []
        for p in m.catalog.list_products():
            doc = p.to_doc()
            doc.pop("id")
            doc["category_id"] = cats.get(p.category_id)
            for v in doc["variants"]:
                v.pop("id")
            docs.append(doc)
        return docs

    with MasterData(tmp_path / "fresh") as fresh:
        import_catalog(fresh, out)
        assert comparable(fresh) == comparable(master)
        again = io.StringIO()
        export_catalog(fresh, again)
    assert again.getvalue() == out.read_bytes().decode("utf-8-sig")


def test_non_utf8_file_is_explained(master):
    gbk = (HEADER + "TEA-1,西湖龙井,,茶叶,盒,128,80,1,,,,\n").encode("gbk")
    with pytest.raises(CatalogImportError) as info:
        import_catalog(master, io.BytesIO(gbk))
    assert "UTF-8" in info.value.message and info.value.errors[0].row_number == 2


def test_long_error_lists_are_cut(master):
    text = HEADER + "".join(f"S{i},n,,,个,x,,,,,,\n" for i in range(25))
    with pytest.raises(CatalogImportError) as info:
        import_catalog(master, io.StringIO(text))
    assert len(info.value.errors) == 25
    assert "... and 5 more" in info.value.message
    assert "row 21, price" in info.value.message and "row 22, price" not in info.value.message


def test_variant_cost_round_trips_and_an_older_file_keeps_it(master, tmp_path):
    header = HEADER.replace("variant_price,", "variant_price,variant_cost,")
    text = header + ("TS-1,文化衫,T-shirt,服装,件,99.00,40,1,尺码=M,TS-1-M,,,2000000000022\n"
                     "TS-1,文化衫,T-shirt,服装,件,99.00,40,1,尺码=XL,TS-1-XL,119.00,52.50,"
                     "2000000000039\n")
    import_catalog(master, write(tmp_path, text))
    costs = {v.sku: v.cost for v in by_sku(master)["TS-1"].variants}
    assert costs == {"TS-1-M": None, "TS-1-XL": 5250}
    p = by_sku(master)["TS-1"]
    assert p.cost_of(p.variants[0]) == 4000 and p.cost_of(p.variants[1]) == 5250
    out = io.StringIO()
    export_catalog(master, out)
    assert "119.00,52.50,2000000000039" in out.getvalue()
    # A file in the older format (no variant_cost column) changes prices, keeps costs.
    old = HEADER + ("TS-1,文化衫,T-shirt,服装,件,99.00,40,1,尺码=M,TS-1-M,,2000000000022\n"
                    "TS-1,文化衫,T-shirt,服装,件,99.00,40,1,尺码=XL,TS-1-XL,129.00,"
                    "2000000000039\n")
    import_catalog(master, write(tmp_path, old, name="old.csv"))
    xl = next(v for v in by_sku(master)["TS-1"].variants if v.sku == "TS-1-XL")
    assert (xl.price, xl.cost) == (12900, 5250)


def test_variant_cost_on_a_row_without_spec_is_an_error(master, tmp_path):
    header = HEADER.replace("variant_price,", "variant_price,variant_cost,")
    with pytest.raises(CatalogImportError) as err:
        import_catalog(master, write(tmp_path, header + "A,茶,,,盒,10,5,1,,,,3.00,\n"))
    assert "row 2, variant_cost" in str(err.value)
    assert master.catalog.counts()["products"] == 0
