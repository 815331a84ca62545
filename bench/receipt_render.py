"""Rendering a 20-line Chinese receipt: time to lay it out and to turn it into ESC/POS, and
how many bytes go to the printer, at 58 and 80 mm in the printer's own GB18030 font
(``native``), and at 80 mm drawn as bit images (``raster``, WenQuanYi Zen Hei) for printers
without a Chinese font.

Everything runs in this process into python-escpos ``Dummy`` (no I/O): the figures are the
CPU cost printerd pays per receipt before the transport. The first render of each mode is
reported apart as ``cold_ms`` (raster then loads the font); the percentiles are of the warm
repeats that follow.
"""

from __future__ import annotations

import argparse

from common import Timer, emit, percentile

from escpos.printer import Dummy

from appliance.i18n import language
from drivers.printer.escpos_out import render
from drivers.printer.layout import Receipt, lay_out

# Names and specs as a tea-and-teaware shop's catalog has them: long enough that some wrap
# at 58 mm, with mixed Latin digits and units.
ITEMS = [
    ("西湖龙井 明前特级", "规格:100g"), ("安溪铁观音 清香型", "规格:250g 罐装"),
    ("武夷山大红袍", "规格:125g"), ("云南普洱熟茶饼 2015年", "规格:357g"),
    ("台湾凤梨酥 12枚", ""), ("汝窑茶杯", "颜色:天青"), ("汝窑茶杯", "颜色:月白"),
    ("建盏 兔毫 束口", "口径:9cm"), ("紫砂壶 西施 原矿朱泥", "容量:180ml"),
    ("玻璃公道杯", "容量:300ml"), ("竹制茶盘 双层储水", "尺寸:60x40cm"),
    ("茉莉花茶 飘雪", "规格:200g"), ("信阳毛尖 雨前", "规格:250g"),
    ("黄山毛峰 特级", "规格:100g"), ("白毫银针 福鼎白茶", "规格:100g 礼盒"),
    ("正山小种 红茶", "规格:150g"), ("茶巾 棉麻", "颜色:米白"),
    ("随手泡 电热水壶", "功率:1500W"), ("礼品包装", ""), ("手提袋 大号", ""),
]


def chinese_receipt() -> Receipt:
    lines = []
    for i, (name, spec) in enumerate(ITEMS):
        qty, unit = 1 + i % 3, 1880 + 1735 * i
        lines.append({"name": name, "spec": spec, "qty": qty, "unit_price": unit,
                      "amount": qty * unit})
    subtotal = sum(ln["amount"] for ln in lines)
    total = subtotal - subtotal % 100            # 抹零: the fen are waived
    return Receipt(
        shop_name="茗香茶叶茶具专卖店", header="欢迎光临", order_number="20261126-0042",
        receipt_no=1042, time="2026-11-26 14:05", cashier="收银小张", lines=lines,
        subtotal=subtotal,
        adjustments=[{"label": "round_off", "amount": total - subtotal, "kind": "round_off"}],
        total=total,
        tenders=[{"method": "wechat", "amount": 50000, "reference": "4200001234567890"},
                 {"method": "cash", "amount": total - 50000 + 3000, "reference": ""}],
        change=3000, address="杭州市西湖区龙井路 18 号", phone="0571-8888 6666",
        footer="谢谢惠顾，欢迎再来品茶\n七日内凭小票退换", qr_url="https://box.local/r/Zx8Kq2")


def stats(samples_s: list[float]) -> dict:
    ms = [x * 1000 for x in samples_s]
    return {"median_ms": round(percentile(ms, 50), 3), "p99_ms": round(percentile(ms, 99), 3),
            "max_ms": round(max(ms), 3)}


def measure(receipt: Receipt, paper_mm: int, chinese: str, repeat: int) -> dict:
    """Lay out and render ``repeat`` times after one cold run; both steps timed apart."""
    lay, ren, sizes, cold = [], [], set(), None
    for i in range(repeat + 1):
        with language("zh_CN"):
            with Timer() as t_lay:
                lines = lay_out(receipt, paper_mm)
        printer = Dummy(profile="TM-T88III")
        with Timer() as t_ren:
            render(printer, lines, qr_url=receipt.qr_url, chinese=chinese, paper_mm=paper_mm)
        sizes.add(len(printer.output))
        if i == 0:
            cold = t_lay.seconds + t_ren.seconds
            continue
        lay.append(t_lay.seconds)
        ren.append(t_ren.seconds)
    if len(sizes) != 1:
        raise RuntimeError(f"{chinese} at {paper_mm} mm rendered different sizes: {sizes}")
    return {"paper_mm": paper_mm, "chinese": chinese, "printed_lines": len(lines),
            "bytes": sizes.pop(), "lay_out": stats(lay), "render": stats(ren),
            "total_median_ms": round(percentile([(a + b) * 1000 for a, b in zip(lay, ren)],
                                                50), 3),
            "cold_ms": round(cold * 1000, 3)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=200,
                    help="warm renders per case, after one cold one (default 200)")
    args = ap.parse_args()
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    receipt = chinese_receipt()
    cases = [measure(receipt, 58, "native", args.repeat),
             measure(receipt, 80, "native", args.repeat),
             measure(receipt, 80, "raster", args.repeat)]
    emit("receipt_render", {"receipt_lines": len(receipt.lines), "repeat": args.repeat,
                            "cases": {f"{c['chinese']}_{c['paper_mm']}mm": c for c in cases}})


if __name__ == "__main__":
    main()
