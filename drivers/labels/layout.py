"""What goes on a label, and where, in printer dots (203 dpi: 8 dots a millimetre).

Two kinds: a *shelf* label (货架标签) shows the price large with its unit, for the shelf
edge; a *product* label (商品标签) is stuck on the item and shows name, spec, price and
barcode at one size. Both print the product's barcode: EAN-13 when it is one (the printer
draws the check digit from the first 12), Code 128 otherwise.

The label printer's built-in Chinese font (TSS24.BF2) is 24 dots high, a Chinese character 24
dots wide and a Latin one 12, so text is wrapped by the same column widths as receipts.
"""

from __future__ import annotations

from dataclasses import dataclass

from appliance.master.ean import is_valid_ean13
from appliance.money import format_amount
from drivers.printer.layout import YUAN, width, wrap

DOTS_PER_MM = 8
KINDS = ("shelf", "product")
FONT_DOTS = 24          # TSS24.BF2 line height; a column is half of it
COLUMN_DOTS = FONT_DOTS // 2
MARGIN = 16             # 2 mm: label printers drift by a millimetre or so
MAX_NAME_LINES = 2
HUMAN_READABLE = 28     # the digits printed under a barcode, with a little air


@dataclass(frozen=True)
class LabelSize:
    width_mm: int = 40
    height_mm: int = 30
    gap_mm: int = 2

    @property
    def width(self) -> int:
        return self.width_mm * DOTS_PER_MM

    @property
    def height(self) -> int:
        return self.height_mm * DOTS_PER_MM


@dataclass(frozen=True)
class Label:
    """One product's label; ``price`` in fen."""
    name: str
    price: int
    barcode: str
    spec: str = ""
    unit: str = ""
    copies: int = 1

    @classmethod
    def from_payload(cls, d: dict) -> "Label":
        return cls(name=d["name"], price=d["price"], barcode=d["barcode"],
                   spec=d.get("spec", ""), unit=d.get("unit", ""),
                   copies=d.get("copies", 1))

    def to_payload(self) -> dict:
        return {"name": self.name, "price": self.price, "barcode": self.barcode,
                "spec": self.spec, "unit": self.unit, "copies": self.copies}


@dataclass(frozen=True)
class Text:
    x: int
    y: int
    text: str
    scale: int = 1


@dataclass(frozen=True)
class Code:
    x: int
    y: int
    symbology: str   # "EAN13" | "128"
    data: str        # what the printer is given (EAN-13: the first 12 digits)
    height: int
    module: int      # narrow bar width in dots


def symbology(code: str) -> str:
    return "EAN13" if is_valid_ean13(code) else "128"


def price_text(label: Label, kind: str) -> str:
    text = YUAN + format_amount(label.price)
    return f"{text}/{label.unit}" if kind == "shelf" and label.unit else text


def text_lines(label: Label, kind: str, cols: int) -> list[tuple[str, int]]:
    """The label's text lines with their scale, top to bottom."""
    if kind not in KINDS:
        raise ValueError(f"label kind {kind!r} is not one of {', '.join(KINDS)}")
    name = wrap(label.name, cols)
    if len(name) > MAX_NAME_LINES:  # a label has no room to spare: cut with an ellipsis
        last = name[MAX_NAME_LINES - 1]
        while width(last) > cols - 2:
            last = last[:-1]
        name = name[:MAX_NAME_LINES - 1] + [last + "…"]
    out = [(ln, 1) for ln in name]
    if label.spec:
        out += [(ln, 1) for ln in wrap(label.spec, cols)[:1]]
    price = price_text(label, kind)
    big = kind == "shelf" and width(price) * 2 <= cols
    out.append((price, 2 if big else 1))
    return out


def lay_out(label: Label, size: LabelSize, kind: str) -> list[Text | Code]:
    """The label's texts and barcode, positioned for a label of ``size``."""
    cols = (size.width - 2 * MARGIN) // COLUMN_DOTS
    items: list[Text | Code] = []
    y = MARGIN
    for line, scale in text_lines(label, kind, cols):
        x = max(MARGIN, (size.width - width(line) * COLUMN_DOTS * scale) // 2)
        items.append(Text(x, y, line, scale))
        y += FONT_DOTS * scale + 4
    kind_of = symbology(label.barcode)
    module = 2
    # EAN-13 is 95 modules wide; Code 128 about 11 per character plus 35 (start, check, stop).
    modules = 95 if kind_of == "EAN13" else 11 * len(label.barcode) + 35
    if modules * module > size.width - 2 * MARGIN:
        module = 1
    height = max(size.height - MARGIN - HUMAN_READABLE - y, 24)
    x = max(MARGIN // 2, (size.width - modules * module) // 2)
    data = label.barcode[:12] if kind_of == "EAN13" else label.barcode
    items.append(Code(x, y, kind_of, data, height, module))
    return items
