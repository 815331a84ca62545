"""Label layout and the exact TSPL and ESC/POS bytes (golden files next to the receipts').

Regenerate after a deliberate layout change with TILLBOX_UPDATE_GOLDEN=1 and look at the
diff of the .txt previews.
"""

import os
from pathlib import Path

import pytest
from escpos.printer import Dummy

from drivers.labels import escpos_label, tspl
from drivers.labels.layout import Label, LabelSize, lay_out, symbology
from drivers.labels.simulated import parse_tspl
from drivers.printer.decode import Barcode, Cut, Decoder, Text
from drivers.printer.escpos_out import FS_KANJI_ON

GOLDEN = Path(__file__).resolve().parents[1] / "golden"

TEA = Label(name="西湖龙井 明前特级", price=31800, barcode="6901234567892", unit="盒")
CUP = Label(name="汝窑茶杯", price=3900, barcode="2000000000022", spec="月白", unit="只",
            copies=2)


def check_golden(name: str, data: bytes, preview: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("TILLBOX_UPDATE_GOLDEN"):
        golden.write_bytes(data)
        golden.with_suffix(".txt").write_text(preview, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden.name}: run with TILLBOX_UPDATE_GOLDEN=1"
    assert data == golden.read_bytes()


@pytest.mark.parametrize("name,label,kind", [("label-shelf-40x30.tspl", TEA, "shelf"),
                                             ("label-product-40x30.tspl", CUP, "product")])
def test_tspl_bytes_match_the_golden_files(name, label, kind):
    data = tspl.job_bytes([label], LabelSize(40, 30, 2), kind)
    assert data.startswith(b"SIZE 40 mm,30 mm\r\nGAP 2 mm,0 mm\r\nDIRECTION 1\r\nCLS\r\n")
    assert '"TSS24.BF2"'.encode() in data
    assert "￥".encode("gb18030") in data and "¥".encode("gb18030") not in data
    assert data.endswith(f"PRINT 1,{label.copies}\r\n".encode())
    check_golden(name, data, data.decode("gb18030"))


@pytest.mark.parametrize("name,label,kind,paper", [("label-shelf-80.bin", TEA, "shelf", 80),
                                                   ("label-product-58.bin", CUP, "product", 58)])
def test_escpos_label_bytes_match_the_golden_files(name, label, kind, paper):
    printer = Dummy(profile="TM-T88III")
    escpos_label.render(printer, [label], kind, paper_mm=paper)
    data = printer.output
    assert data.startswith(b"\x1b@" + FS_KANJI_ON)
    assert b"\x1dk" in data  # GS k: the printer draws the barcode
    preview = "\n".join(ln.text for ln in escpos_label.label_lines(label, kind, paper))
    check_golden(name, data, preview + f"\n[{label.barcode}]\n")


def test_the_receipt_printer_prints_each_copy_with_its_barcode_and_a_cut():
    printer = Dummy(profile="TM-T88III")
    escpos_label.render(printer, [CUP, TEA], "product")
    events = list(Decoder().feed(printer.output))
    texts = [e.text for e in events if isinstance(e, Text) and e.text]
    assert texts == ["汝窑茶杯", "月白", "￥39.00"] * 2 + ["西湖龙井 明前特级", "￥318.00"]
    assert [(e.kind, e.data) for e in events if isinstance(e, Barcode)] == \
        [(67, "2000000000022")] * 2 + [(67, "6901234567892")]
    assert sum(isinstance(e, Cut) for e in events) == 3


def test_tspl_reads_back_as_the_label_it_describes():
    [page] = parse_tspl(tspl.job_bytes([TEA], LabelSize(), "shelf", copies=3))
    assert [t["text"] for t in page["texts"]] == ["西湖龙井 明前特级", "￥318.00/盒"]
    assert page["texts"][1]["scale"] == 2          # the shelf price is large
    assert page["barcodes"] == [{"x": page["barcodes"][0]["x"], "y": page["barcodes"][0]["y"],
                                 "type": "EAN13", "height": page["barcodes"][0]["height"],
                                 "data": "690123456789"}]  # the printer adds the check digit
    assert page["copies"] == 3 and page["unknown"] == []


def test_the_label_size_comes_from_the_configuration():
    data = tspl.job_bytes([TEA], LabelSize(60, 40, 3), "shelf")
    assert data.startswith(b"SIZE 60 mm,40 mm\r\nGAP 3 mm,0 mm\r\n")
    for size in (LabelSize(40, 30, 2), LabelSize(60, 40, 3), LabelSize(50, 25, 0)):
        for it in lay_out(TEA, size, "shelf"):
            assert 0 <= it.x < size.width and 0 <= it.y < size.height


def test_quotes_in_a_name_are_escaped_and_read_back():
    label = Label(name='茶 "特级"', price=100, barcode="6901234567892")
    data = tspl.job_bytes([label], LabelSize(), "product")
    assert b'\\["]' in data
    assert parse_tspl(data)[0]["texts"][0]["text"] == '茶 "特级"'


@pytest.mark.parametrize("name", ["C:\\temp 茶", 'A\\"B', "尾\\"])
def test_backslashes_in_a_name_print_and_read_back(name):
    data = tspl.job_bytes([Label(name=name, price=100, barcode="6901234567892")], LabelSize(),
                          "product")
    assert parse_tspl(data)[0]["texts"][0]["text"] == name


def test_characters_outside_the_printers_font_print_as_question_marks():
    data = tspl.job_bytes([Label(name="𠮷野家 🍵", price=100, barcode="6901234567892")],
                          LabelSize(), "product")
    assert parse_tspl(data)[0]["texts"][0]["text"] == "?野家 ?"


def test_codes_that_are_not_ean13_print_as_code128():
    assert symbology("6901234567892") == "EAN13"
    assert symbology("6901234567890") == "128"     # bad check digit: not an EAN-13
    assert symbology("TEA-001") == "128"
    label = Label(name="Tea", price=100, barcode="TEA-001")
    [page] = parse_tspl(tspl.job_bytes([label], LabelSize(), "product"))
    assert page["barcodes"][0]["type"] == "128" and page["barcodes"][0]["data"] == "TEA-001"
    printer = Dummy()
    escpos_label.render(printer, [label], "product")
    [code] = [e for e in Decoder().feed(printer.output) if isinstance(e, Barcode)]
    assert code.kind == 73 and code.data.endswith("TEA-001")


def test_a_long_name_is_cut_to_two_lines_with_an_ellipsis():
    label = Label(name="非常非常长的商品名称" * 4, price=100, barcode="6901234567892")
    texts = [it for it in lay_out(label, LabelSize(), "product") if hasattr(it, "text")]
    assert len(texts) == 3 and texts[1].text.endswith("…")
    with pytest.raises(ValueError):
        lay_out(label, LabelSize(), "sticker")
