"""Labels on the receipt printer, as ESC/POS through python-escpos (``GS k`` barcodes).

For a shop without a label printer: each label is a short centred slip (name, spec, price,
barcode) cut off on its own, in the receipt printer's Chinese mode (see
drivers/printer/escpos_out.py: ``native``, ``native-no-fs`` or ``raster``).
"""

from __future__ import annotations

from drivers.printer.escpos_out import (CHINESE_MODES, DEFAULT_FONT, ESC_INIT, FS_KANJI_OFF, FS_KANJI_ON,
                                        FS_KANJI_SIZE, RasterFont, send_image)
from drivers.printer.layout import COLUMNS, Line

from .layout import Label, symbology, text_lines

BARCODE_HEIGHT = 80  # dots: 10 mm, easy for any scanner


def label_lines(label: Label, kind: str, paper_mm: int = 80) -> list[Line]:
    cols = COLUMNS[paper_mm]
    return [Line(text, "center", bold=i == 0, double=scale == 2)
            for i, (text, scale) in enumerate(text_lines(label, kind, cols))]


def render(printer, labels: list[Label], kind: str, *, copies: int = 1,
           chinese: str = "native", paper_mm: int = 80, font_path=None) -> None:
    """Every label (each ``label.copies * copies`` times) through ``printer._raw``."""
    if chinese not in CHINESE_MODES:
        raise ValueError(f"chinese mode {chinese!r} is not one of {', '.join(CHINESE_MODES)}")
    font = RasterFont(font_path or DEFAULT_FONT, paper_mm) if chinese == "raster" else None
    printer._raw(ESC_INIT)
    if chinese == "native":
        printer._raw(FS_KANJI_ON)
    for label in labels:
        lines = label_lines(label, kind, paper_mm)
        for _ in range(label.copies * copies):
            _text(printer, lines, font)
            _barcode(printer, label.barcode)
            printer.cut()
    if chinese == "native":
        printer._raw(FS_KANJI_OFF)


def _text(printer, lines: list[Line], font) -> None:
    if font is not None:
        for line in lines:
            for image in font.draw(line):
                send_image(printer, image, image.height)
        return
    for line in lines:
        printer.set(align=line.align, bold=line.bold, double_height=line.double,
                    double_width=line.double, normal_textsize=not line.double)
        # ESC ! sizes single-byte characters only; Chinese ones take their size from FS !.
        printer._raw(FS_KANJI_SIZE + (b"\x0c" if line.double else b"\x00"))
        printer._raw(line.text.encode("gb18030") + b"\n")
    printer.set(align="center", bold=False, normal_textsize=True)
    printer._raw(FS_KANJI_SIZE + b"\x00")


def _barcode(printer, code: str) -> None:
    if symbology(code) == "EAN13":
        printer.barcode(code, "EAN13", height=BARCODE_HEIGHT, width=2, pos="BELOW",
                        font="A", align_ct=True, function_type="B")
    else:  # Code 128, code set B: digits, letters and punctuation as they are
        printer.barcode("{B" + code, "CODE128", height=BARCODE_HEIGHT, width=2, pos="BELOW",
                        font="A", align_ct=True, function_type="B")
    printer._raw(b"\n")
