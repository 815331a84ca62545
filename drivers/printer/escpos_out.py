"""Receipts as ESC/POS through python-escpos: every byte goes through the printer object's
``_raw``, so the same code drives a USB, serial or network printer, or ``Dummy`` in tests.

Chinese is sent as GB18030 after ``FS &`` (Epson-style printers start in single-byte mode);
profiles without a Chinese font get the text as a raster image instead (later in issue 4).
"""

from __future__ import annotations

from .layout import Line

FS_KANJI_ON = b"\x1c\x26"   # FS & : Chinese (double-byte) character mode
FS_KANJI_OFF = b"\x1c\x2e"  # FS . : back to single-byte mode
ESC_INIT = b"\x1b\x40"


def render(printer, lines: list[Line], *, qr_url: str = "", cut: bool = True,
           kanji_mode: bool = True) -> None:
    printer._raw(ESC_INIT)
    if kanji_mode:
        printer._raw(FS_KANJI_ON)
    for line in lines:
        printer.set(align=line.align, bold=line.bold, double_height=line.double,
                    double_width=line.double, normal_textsize=not line.double)
        printer._raw(line.text.encode("gb18030") + b"\n")
    printer.set(align="center", bold=False, normal_textsize=True)
    if qr_url:
        # Native QR: the printer draws it, so it stays sharp at any resolution.
        printer.qr(qr_url, size=6, native=True, center=False)
    if kanji_mode:
        printer._raw(FS_KANJI_OFF)
    if cut:
        printer.cut()
