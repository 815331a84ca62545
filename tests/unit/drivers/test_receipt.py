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
