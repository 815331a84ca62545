"""Receipt layout and the exact ESC/POS bytes (golden files), through python-escpos Dummy.

Regenerate the golden files after a deliberate layout change with
TILLBOX_UPDATE_GOLDEN=1 make test, and look at the diff of the .txt previews.
"""

import os
from pathlib import Path

import pytest
from escpos.printer import Dummy

from appliance.i18n import language
from drivers.printer.escpos_out import FS_KANJI_ON, render
from drivers.printer.layout import Receipt, columns, lay_out, width, wrap

GOLDEN = Path(__file__).with_name("golden")


def tea_receipt(**kw) -> Receipt:
    base = dict(
        shop_name="茗香茶叶茶具专卖店", order_number="20261126-0007", receipt_no=42,
        time="2026-11-26 14:05", cashier="张收银",
        lines=[{"name": "西湖龙井 明前特级", "spec": "规格:100g", "qty": 1,
                "unit_price": 31800, "amount": 31800},
               {"name": "台湾凤梨酥 12枚", "spec": "", "qty": 2, "unit_price": 5800,
                "amount": 11600}],
        subtotal=43400, adjustments=[{"label": "round_off", "amount": -40}], total=43360,
        tenders=[{"method": "wechat", "amount": 20000, "reference": "4200001234"},
                 {"method": "cash", "amount": 23360, "reference": ""}],
        change=6640, address="杭州市西湖区龙井路 18 号", phone="0571-8888 6666",
        footer="谢谢惠顾，欢迎再来品茶", qr_url="https://box.local/r/Zx8Kq2")
    base.update(kw)
    return Receipt(**base)


def test_chinese_counts_double_and_amounts_are_flush_right():
    assert width("龙井") == 4 and width("Tea") == 3 and width("￥") == 2
    for cols in (32, 48):
        line = columns("西湖龙井", "￥318.00", cols)[-1]
        assert width(line) == cols and line.endswith("￥318.00")
    assert [width(p) <= 10 for p in wrap("台湾凤梨酥十二枚装礼盒", 10)] == [True, True, True]


def test_long_names_wrap_instead_of_pushing_the_amount_off_the_paper():
    out = columns("非常非常长的商品名称" * 3, "318.00", 32)
    assert len(out) > 1 and all(width(x) <= 32 for x in out)
    assert out[-1].endswith("318.00")


@pytest.mark.parametrize("paper", [58, 80])
def test_every_line_fits_the_paper(paper):
    with language("zh_CN"):
        lines = lay_out(tea_receipt(), paper)
    cols = {58: 32, 80: 48}[paper]
    assert all(width(ln.text) <= cols for ln in lines if not ln.double)
    assert any("小票号" in ln.text for ln in lines)  # labels in the receipt language
    assert any("抹零" in ln.text for ln in lines)
    assert not any("¥" in ln.text for ln in lines)  # only ￥, which GBK printers have


@pytest.mark.parametrize("name,lang,paper,extra", [
    ("zh-58", "zh_CN", 58, {}),
    ("zh-80-reprint", "zh_CN", 80, {"copy": "reprint"}),
    ("en-80", "en", 80, {"shop_name": "Mingxiang Tea House", "footer": "Thank you!"}),
])
def test_receipt_bytes_match_the_golden_files(name, lang, paper, extra):
    receipt = tea_receipt(**extra)
    with language(lang):
        lines = lay_out(receipt, paper)
    printer = Dummy(profile="TM-T88III")
    render(printer, lines, qr_url=receipt.qr_url)
    data = printer.output
    assert data.startswith(b"\x1b@" + FS_KANJI_ON)
    assert "￥".encode("gb18030") in data and "¥".encode("gb18030") not in data
    assert data.rstrip(b"\x00").endswith(b"\x1dV\x00") or b"\x1dV" in data[-8:]
    golden = GOLDEN / f"{name}.bin"
    preview = GOLDEN / f"{name}.txt"
    if os.environ.get("TILLBOX_UPDATE_GOLDEN"):
        golden.write_bytes(data)
        preview.write_text("\n".join(ln.text for ln in lines) + "\n", encoding="utf-8")
    assert golden.exists(), f"no golden file {golden.name}: run with TILLBOX_UPDATE_GOLDEN=1"
    assert data == golden.read_bytes()


def test_a_paid_order_prints_what_was_paid(shop):
    from drivers.printer.from_order import receipt_for
    shop.master.settings.set("money.round_off_unit", "1")
    e = shop.engine
    order = e.open_order(shop.assistant)
    e.add_line(shop.assistant, order.id, barcode="6901234567892", qty=2)     # 136.00
    e.add_line(shop.assistant, order.id, product_id=shop.wrap.id)            # 5.00
    line = e.get_order(order.id).lines[1].line_id
    e.change_line(shop.assistant, order.id, line, unit_price=550, approver=shop.manager)
    e.add_payment(shop.cashier, order.id, "wechat", 10000, reference="4200009")
    e.add_payment(shop.cashier, order.id, "cash", 5000)
    paid = e.get_order(order.id)
    with pytest.raises(ValueError):
        receipt_for(e.get_order(e.open_order(shop.assistant).id), shop.master.settings,
                    cashier_name="x")
    r = receipt_for(paid, shop.master.settings, cashier_name="张收银")
    assert (r.subtotal, r.total, r.change) == (14150, 14100, 900)
    assert [a["label"] for a in r.adjustments] == ["round_off"]
    assert [(t["method"], t["amount"]) for t in r.tenders] == [("wechat", 10000),
                                                              ("cash", 5000)]
    assert r.time == "2026-11-26 10:30"  # 02:30 UTC in the shop's time zone
    with language("zh_CN"):
        text = "\n".join(ln.text for ln in lay_out(r, 58))
    assert "￥141.00" in text and "￥-0.50" in text and "￥9.00" in text


# -- member and promotion lines ----------------------------------------------------------------

MEMBER = {"name": "王女士", "phone": "13812345678", "points_earned": 404,
          "points_balance": 2034, "balance": 12000}


def member_receipt(**kw) -> Receipt:
    base = dict(subtotal=43400, total=40400, change=4600,
                adjustments=[{"label": "满300减30", "amount": -3000, "kind": "promotion"}],
                tenders=[{"method": "wechat", "amount": 20000, "reference": "4200001234"},
                         {"method": "cash", "amount": 25000, "reference": ""}],
                member=dict(MEMBER))
    base.update(kw)
    return tea_receipt(**base)


def texts(receipt, paper=80, lang="zh_CN") -> list[str]:
    with language(lang):
        return [ln.text for ln in lay_out(receipt, paper)]


def test_promotion_lines_carry_their_own_label_and_round_off_is_translated():
    r = member_receipt(adjustments=[
        {"label": "满300减30", "amount": -3000, "kind": "promotion"},
        {"label": "round_off", "amount": -40, "kind": "round_off"},
        {"label": "round_off", "amount": -10}])          # older receipts: no kind
    out = texts(r)
    assert any(t.startswith("满300减30") and t.endswith("￥-30.00") for t in out)
    assert sum(t.startswith("抹零") for t in out) == 2
    assert not any("round_off" in t for t in out)


def test_a_discount_label_goes_through_the_catalog_and_an_empty_one_gets_a_default():
    out = texts(member_receipt(adjustments=[{"label": "Round-off", "amount": -5,
                                             "kind": "discount"},
                                            {"label": "", "amount": -7, "kind": "discount"}]))
    assert any(t.startswith("抹零") and t.endswith("￥-0.05") for t in out)  # a catalog key
    assert any(t.startswith("折扣") and t.endswith("￥-0.07") for t in out)


def test_the_member_block_follows_the_tenders_with_the_phone_masked():
    out = texts(member_receipt())
    tender = max(i for i, t in enumerate(out) if t.startswith(("现金", "找零")))
    member = next(i for i, t in enumerate(out) if t.endswith("王女士"))
    assert member > tender
    block = out[member:member + 5]
    assert block[1].endswith("138****5678") and "13812345678" not in "".join(out)
    assert block[2].endswith("+404") and block[3].endswith("2034")
    assert block[4].endswith("￥120.00")
    assert out[member + 5] == "-" * 48


def test_a_member_card_is_shown_instead_of_the_phone_and_missing_fields_are_left_out():
    out = texts(member_receipt(member={"name": "李先生", "card": "M0012345",
                                       "phone": "13900001111", "points_earned": 0}))
    assert any(t.endswith("M0012345") for t in out)
    assert not any("1111" in t for t in out)
    assert any(t.endswith("+0") for t in out)
    assert not any(t.endswith("￥120.00") for t in out)  # no stored value given, none shown


def test_no_member_no_member_block():
    plain = texts(tea_receipt())
    assert not any("王女士" in t or "Points" in t or "积分" in t for t in plain)
    assert len(texts(member_receipt())) > len(texts(member_receipt(member=None)))


@pytest.mark.parametrize("phone,masked", [("13812345678", "138****5678"),
                                          ("138****5678", "138****5678"),
                                          ("12345", "12345")])
def test_phone_masking(phone, masked):
    from drivers.printer.layout import mask_phone
    assert mask_phone(phone) == masked


def twenty_line_receipt() -> Receipt:
    teas = ["西湖龙井", "碧螺春", "黄山毛峰", "六安瓜片", "信阳毛尖", "太平猴魁", "安溪铁观音",
            "武夷大红袍", "凤凰单丛", "祁门红茶", "正山小种", "滇红金芽", "云南普洱熟茶 357g 饼",
            "白毫银针", "白牡丹", "寿眉", "君山银针", "茉莉花茶", "汝窑茶杯 天青", "紫砂壶 朱泥西施"]
    lines = [{"name": name, "spec": "", "qty": i % 3 + 1, "unit_price": 1000 + 250 * i,
              "amount": (i % 3 + 1) * (1000 + 250 * i)} for i, name in enumerate(teas)]
    subtotal = sum(ln["amount"] for ln in lines)
    total = subtotal - subtotal % 100
    return tea_receipt(lines=lines, subtotal=subtotal, total=total,
                       adjustments=[{"label": "round_off", "amount": total - subtotal,
                                     "kind": "round_off"}],
                       tenders=[{"method": "alipay", "amount": total, "reference": "2088"}],
                       change=0)


def check_golden(name: str, receipt: Receipt, lang: str, paper: int):
    with language(lang):
        lines = lay_out(receipt, paper)
    printer = Dummy(profile="TM-T88III")
    render(printer, lines, qr_url=receipt.qr_url, paper_mm=paper)
    data = printer.output
    golden = GOLDEN / f"{name}.bin"
    if os.environ.get("TILLBOX_UPDATE_GOLDEN"):
        golden.write_bytes(data)
        (GOLDEN / f"{name}.txt").write_text("\n".join(ln.text for ln in lines) + "\n",
                                            encoding="utf-8")
    assert golden.exists(), f"no golden file {golden.name}: run with TILLBOX_UPDATE_GOLDEN=1"
    assert data == golden.read_bytes()
    return lines, data


def test_member_and_promotion_receipt_bytes_match_the_golden_file():
    lines, data = check_golden("zh-80-member", member_receipt(), "zh_CN", 80)
    assert "满300减30".encode("gb18030") in data and "138****5678".encode("gb18030") in data
    assert all(width(ln.text) <= 48 for ln in lines if not ln.double)


def test_twenty_line_58mm_receipt_bytes_match_the_golden_file():
    receipt = twenty_line_receipt()
    lines, data = check_golden("zh-58-20-lines", receipt, "zh_CN", 58)
    assert all(width(ln.text) <= 32 for ln in lines if not ln.double)
    assert all(ln["name"].encode("gb18030") in data for ln in receipt.lines[:12])
    assert any(t.text.endswith(f"￥{receipt.total // 100}.00") for t in lines)


def test_receipt_adjustments_from_pricing_keep_their_kind():
    from appliance.orders.pricing import Adjustment
    from drivers.printer.from_order import receipt_adjustment
    got = [receipt_adjustment(a.to_json()) for a in (
        Adjustment("discount", "staff discount", -500),
        Adjustment("promotion", "满300减30", -3000),
        Adjustment("rounding", "round_off", -40))]
    assert [a["kind"] for a in got] == ["discount", "promotion", "round_off"]
    assert [(a["label"], a["amount"]) for a in got] == [
        ("staff discount", -500), ("满300减30", -3000), ("round_off", -40)]
    assert receipt_adjustment({"label": "round_off", "amount": -10})["kind"] == "round_off"


def test_a_paid_order_with_a_member_prints_the_member_block(shop):
    from drivers.printer.from_order import receipt_for
    paid = shop.engine.get_order(shop.sale("6901234567892").order.id)
    r = receipt_for(paid, shop.master.settings, cashier_name="张收银", member=MEMBER)
    assert r.member == MEMBER and r.member is not MEMBER
    assert receipt_for(paid, shop.master.settings, cashier_name="张收银").member is None
    with language("zh_CN"):
        text = "\n".join(ln.text for ln in lay_out(r, 58))
    assert "138****5678" in text and "￥120.00" in text


# -- chinese modes, raster, logo ---------------------------------------------------------------

from PIL import Image  # noqa: E402

from drivers.printer import escpos_out  # noqa: E402
from drivers.printer.escpos_out import FS_KANJI_OFF, RasterFontMissing  # noqa: E402
from drivers.printer.layout import Line  # noqa: E402


def raster_images(data: bytes) -> list[Image.Image]:
    """Every GS v 0 image in ``data``, as mode "1" images with ink black (0)."""
    images, i = [], 0
    while (i := data.find(b"\x1dv0", i)) >= 0:
        assert data[i + 3] == 0, "normal density expected"
        w = int.from_bytes(data[i + 4:i + 6], "little")
        h = int.from_bytes(data[i + 6:i + 8], "little")
        bits = data[i + 8:i + 8 + w * h]
        assert len(bits) == w * h
        images.append(Image.frombytes("1", (w * 8, h), bytes(b ^ 0xFF for b in bits)))
        i += 8 + w * h
    return images


def ink_columns(image: Image.Image) -> list[int]:
    """The x of every column with at least one dot burned."""
    px = image.load()
    return [x for x in range(image.width) if any(px[x, y] == 0 for y in range(image.height))]


def ink(image: Image.Image) -> int:
    return image.histogram()[0]


def rendered(lines, **kw) -> bytes:
    printer = Dummy(profile="TM-T88III")
    render(printer, lines, **kw)
    return printer.output


def test_native_no_fs_is_native_without_the_kanji_mode_switches():
    with language("zh_CN"):
        lines = lay_out(tea_receipt(), 80)
    native = rendered(lines, qr_url="https://box.local/r/1")
    no_fs = rendered(lines, qr_url="https://box.local/r/1", chinese="native-no-fs")
    assert FS_KANJI_ON not in no_fs and FS_KANJI_OFF not in no_fs
    assert native.replace(FS_KANJI_ON, b"", 1).replace(FS_KANJI_OFF, b"", 1) == no_fs


def test_unknown_chinese_mode_and_paper_width_are_refused():
    with pytest.raises(ValueError, match="chinese mode 'bitmap'"):
        rendered([Line("x")], chinese="bitmap")
    with pytest.raises(ValueError, match="76 mm"):
        rendered([Line("x")], paper_mm=76)


@pytest.mark.parametrize("paper,dots", [(58, 384), (80, 576)])
def test_raster_mode_sends_each_line_as_an_image_and_no_chinese_text(paper, dots):
    with language("zh_CN"):
        lines = lay_out(tea_receipt(), paper)
    data = rendered(lines, qr_url="https://box.local/r/1", chinese="raster", paper_mm=paper)
    images = raster_images(data)
    assert all(im.width == dots for im in images)
    assert data.count(b"\x1dv0\x00" + (dots // 8).to_bytes(2, "little")) == len(images)
    cols = dots // 12
    heights = [64 if ln.double else 32 for ln in lines
               for _ in wrap(ln.text, cols // 2 if ln.double else cols)]
    assert [im.height for im in images] == heights  # the shop name wraps at 58 mm
    assert FS_KANJI_ON not in data and FS_KANJI_OFF not in data
    for text in ("小票号", "西湖龙井", "茗香", "谢谢惠顾", "￥"):
        assert text.encode("gb18030") not in data
    assert b"\x1d(k" in data and b"https://box.local/r/1" in data  # the QR stays native
    assert data.startswith(b"\x1b@") and data.endswith(b"\x1dV\x00")


def test_raster_text_sits_where_the_layout_puts_it():
    lines = [Line("小票号" + " " * 35 + "#000042"), Line("谢谢惠顾", "center"),
             Line("合计", "right"), Line("     ")]
    left_right, centered, right, blank = raster_images(rendered(lines, chinese="raster"))
    cols = ink_columns(left_right)
    assert cols and min(cols) < 4 and max(cols) > 576 - 12    # both ends of the line
    assert not [x for x in cols if 3 * 24 + 2 < x < 576 - 7 * 12]  # nothing in between
    cols = ink_columns(centered)
    assert abs(min(cols) - (576 - 1 - max(cols))) <= 6 and min(cols) >= 576 // 2 - 4 * 12 - 1
    assert min(ink_columns(right)) >= 576 - 2 * 24 - 2  # glyphs may overhang a dot or two
    assert ink(blank) == 0


def test_raster_bold_strikes_more_dots_and_double_is_twice_the_size():
    plain, bold, double = raster_images(rendered(
        [Line("合计 ￥433.60"), Line("合计 ￥433.60", bold=True),
         Line("合计 ￥433.60", double=True)], chinese="raster"))
    assert ink(bold) > ink(plain)
    assert double.height == 2 * plain.height
    assert max(ink_columns(double)) > 1.8 * max(ink_columns(plain))
    assert ink(double) > 3 * ink(plain)


def test_raster_mode_without_the_font_names_the_package_and_prints_nothing(monkeypatch,
                                                                           tmp_path):
    monkeypatch.setattr(escpos_out, "DEFAULT_FONT", str(tmp_path / "wqy-zenhei.ttc"))
    printer = Dummy()
    with pytest.raises(RasterFontMissing, match="fonts-wqy-zenhei") as err:
        render(printer, [Line("小票")], chinese="raster")
    assert err.value.reason == "raster_font_missing"
    assert printer.output == b""
    with pytest.raises(RasterFontMissing, match="nope.ttf"):
        render(printer, [Line("小票")], chinese="raster", font_path=tmp_path / "nope.ttf")


def test_a_wide_logo_is_scaled_to_the_paper_and_printed_first(tmp_path):
    logo = tmp_path / "logo.png"
    Image.new("L", (1152, 200), 0).save(logo)  # all black, twice the 80 mm width
    data = rendered([Line("小票")], logo=logo, qr_url="x")
    assert data.startswith(b"\x1b@\x1dv0\x00" + (72).to_bytes(2, "little"))
    first = raster_images(data)[0]
    assert (first.width, first.height) == (576, 100)
    assert ink(first) == 576 * 100
    assert data.index(b"\x1dv0") < data.index(FS_KANJI_ON) < data.index("小票".encode("gb18030"))


def test_a_small_logo_is_centered_not_enlarged_and_transparency_is_paper(tmp_path):
    logo = tmp_path / "logo.png"
    im = Image.new("RGBA", (96, 40), (0, 0, 0, 0))
    im.paste((0, 0, 0, 255), (0, 0, 48, 40))  # left half black, right half transparent
    im.save(logo)
    first = raster_images(rendered([Line("x")], logo=logo, paper_mm=58))[0]
    assert (first.width, first.height) == (384, 40)
    assert ink_columns(first) == list(range(144, 192))  # (384 - 96) / 2 = 144, 48 wide


def test_a_tall_logo_goes_out_in_bands(tmp_path):
    logo = tmp_path / "logo.png"
    Image.new("L", (200, 300), 0).save(logo)
    images = raster_images(rendered([Line("x")], logo=logo, chinese="native-no-fs"))
    assert [im.height for im in images] == [128, 128, 44]


def test_a_missing_logo_is_reported_before_anything_is_printed(tmp_path):
    printer = Dummy()
    with pytest.raises(FileNotFoundError, match="logo"):
        render(printer, [Line("x")], logo=tmp_path / "none.png")
    (tmp_path / "bad.png").write_text("not an image")
    with pytest.raises(ValueError, match="PNG"):
        render(printer, [Line("x")], logo=tmp_path / "bad.png")
    assert printer.output == b""
