"""Labels as TSPL (TSC's label printer language, spoken by most cheap Chinese label printers:
Xprinter, Gprinter, HPRT, TSC itself).

One program per label: ``SIZE``, ``GAP``, ``DIRECTION``, ``CLS``, the ``TEXT`` and
``BARCODE`` commands, then ``PRINT 1,<copies>``. Text uses the printer's Simplified Chinese
font ``TSS24.BF2`` and is sent in GB18030 (identical to GBK for every character the font has;
the price sign is U+FFE5, which GBK has, not U+00A5, which it has not).
"""

from __future__ import annotations

from .layout import Code, Label, LabelSize, Text, lay_out

FONT = "TSS24.BF2"
ENCODING = "gb18030"
CRLF = b"\r\n"


def quoted(text: str) -> str:
    """A TSPL string literal: a double quote inside is written \\["]. The printers' Chinese
    font covers GBK: anything outside it (rare characters, emoji) prints as "?" instead of
    as garbage."""
    return '"' + "".join(_printable(ch) for ch in text).replace('"', '\\["]') + '"'


def _printable(ch: str) -> str:
    try:
        ch.encode("gbk")
        return ch
    except UnicodeEncodeError:
        return "?"


def command(line: str) -> bytes:
    return line.encode(ENCODING) + CRLF


def setup(size: LabelSize) -> bytes:
    return (command(f"SIZE {size.width_mm} mm,{size.height_mm} mm")
            + command(f"GAP {size.gap_mm} mm,0 mm")
            + command("DIRECTION 1")
            + command("CLS"))


def item(it: Text | Code) -> bytes:
    if isinstance(it, Text):
        return command(f"TEXT {it.x},{it.y},{quoted(FONT)},0,{it.scale},{it.scale},"
                       f"{quoted(it.text)}")
    # BARCODE x,y,"type",height,human readable (1: below),rotation,narrow,wide,"data"
    return command(f"BARCODE {it.x},{it.y},{quoted(it.symbology)},{it.height},1,0,"
                   f"{it.module},{it.module},{quoted(it.data)}")


def label_program(label: Label, size: LabelSize, kind: str, copies: int = 1) -> bytes:
    """One label's TSPL: the whole program, printed ``label.copies * copies`` times."""
    body = b"".join(item(it) for it in lay_out(label, size, kind))
    return setup(size) + body + command(f"PRINT 1,{label.copies * copies}")


def job_bytes(labels: list[Label], size: LabelSize, kind: str, copies: int = 1) -> bytes:
    """Everything for a label job, ready for the printer."""
    return b"".join(label_program(lb, size, kind, copies) for lb in labels)
