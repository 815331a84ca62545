"""Receipts as ESC/POS through python-escpos: every byte goes through the printer object's
``_raw``, so the same code drives a USB, serial or network printer, or ``Dummy`` in tests.

Chinese text goes out in one of three ways (``chinese=``):

- ``native``: GB18030 after ``FS &`` (Epson-style printers start in single-byte mode);
- ``native-no-fs``: GB18030 alone, for printers that boot in Chinese mode and print ``FS &``
  as garbage or take it for something else;
- ``raster``: for printers without a Chinese font, each text line is drawn with Pillow in a
  CJK font and sent as a ``GS v 0`` bit image, one line per image so memory stays small.

The QR code is always the printer's own (``GS ( k``): it stays sharp at any resolution.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from .layout import COLUMNS, DOTS, Line, width, wrap

log = logging.getLogger(__name__)

FS_KANJI_ON = b"\x1c\x26"   # FS & : Chinese (double-byte) character mode
FS_KANJI_SIZE = b"\x1c\x21"  # FS ! n: Chinese character size (bits 2, 3: double width, height)
FS_KANJI_OFF = b"\x1c\x2e"  # FS . : back to single-byte mode
ESC_INIT = b"\x1b\x40"
GS_RASTER = b"\x1dv0\x00"   # GS v 0, normal density: then xL xH yL yH and the bits

CHINESE_MODES = ("native", "native-no-fs", "raster")
DEFAULT_FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
FONT_PACKAGE = "fonts-wqy-zenhei"
FONT_PX = 24                # a CJK character is 24 dots wide: 48 columns of 12 at 80 mm
LINE_PX = 32                # the font's ascent + descent, so lines neither touch nor gap
LOGO_BAND_ROWS = 128        # a logo goes out in slices this high (printer buffers are small)


class RasterFontMissing(FileNotFoundError):
    """The CJK font for raster mode is not installed."""

    reason = "raster_font_missing"


def render(printer, lines: list[Line], *, qr_url: str = "", cut: bool = True,
           chinese: str = "native", paper_mm: int = 80,
           logo: str | Path | Image.Image | None = None,
           font_path: str | Path | None = None, barcode: str = "") -> None:
    """``barcode``: an EAN-13 printed under the lines (the settings page's test page)."""
    if chinese not in CHINESE_MODES:
        raise ValueError(f"chinese mode {chinese!r} is not one of {', '.join(CHINESE_MODES)}")
    if paper_mm not in DOTS:
        raise ValueError(f"paper width {paper_mm} mm is not supported: use 58 or 80")
    # Everything that can fail is loaded before the first byte: a printer must never be left
    # with half a receipt because a font or a logo file is missing.
    if isinstance(logo, Image.Image):
        # Already laid out for this paper by core (the shop's logo: appliance/printing/logo.py).
        if logo.mode != "1" or logo.width != DOTS[paper_mm]:
            raise ValueError(f"receipt logo is {logo.width} dots wide in mode {logo.mode}: "
                             f"{DOTS[paper_mm]} in mode 1 are needed for {paper_mm} mm paper")
        logo_image = logo
    else:
        logo_image = load_logo(logo, DOTS[paper_mm]) if logo else None
    font = RasterFont(font_path or DEFAULT_FONT, paper_mm) if chinese == "raster" else None

    printer._raw(ESC_INIT)
    if logo_image is not None:
        send_image(printer, logo_image, LOGO_BAND_ROWS)
    if font is not None:
        for line in lines:
            for image in font.draw(line):
                send_image(printer, image, image.height)
    else:
        kanji_mode = chinese == "native"
        if kanji_mode:
            printer._raw(FS_KANJI_ON)
        size = None
        for line in lines:
            printer.set(align=line.align, bold=line.bold, double_height=line.double,
                        double_width=line.double, normal_textsize=not line.double)
            if line.double != size:
                # ESC ! (what set() sends) sizes single-byte characters only; Chinese ones
                # take their size from FS !.
                size = line.double
                printer._raw(FS_KANJI_SIZE + (b"\x0c" if line.double else b"\x00"))
            printer._raw(line.text.encode("gb18030") + b"\n")
    printer.set(align="center", bold=False, normal_textsize=True)
    if barcode:
        printer.barcode(barcode, "EAN13", height=64, width=2, pos="BELOW", align_ct=False)
    if qr_url:
        printer.qr(qr_url, size=6, native=True, center=False)
    if chinese == "native":
        printer._raw(FS_KANJI_OFF)
    if cut:
        printer.cut()


def raster_bytes(image: Image.Image) -> bytes:
    """A mode "1" image as GS v 0 data. Pillow packs white as 1; the printer burns a dot for
    every 1, so the bits are inverted."""
    return bytes(b ^ 0xFF for b in image.tobytes())


def send_image(printer, image: Image.Image, band_rows: int) -> None:
    """``image`` (mode "1", width a multiple of 8) as GS v 0 commands of at most
    ``band_rows`` rows each."""
    width_bytes = image.width // 8
    for top in range(0, image.height, band_rows):
        band = image.crop((0, top, image.width, min(top + band_rows, image.height)))
        printer._raw(GS_RASTER + width_bytes.to_bytes(2, "little")
                     + band.height.to_bytes(2, "little") + raster_bytes(band))


def load_logo(path: str | Path, dots: int) -> Image.Image:
    """The logo in 1-bit, scaled down (never up) to the paper, centered on a full-width
    white strip so no alignment command is needed."""
    try:
        with Image.open(path) as source:
            source.load()
            image = source
    except FileNotFoundError:
        raise FileNotFoundError(f"receipt logo {path} not found: fix the logo path in the"
                                " receipt settings or remove it") from None
    except UnidentifiedImageError:
        raise ValueError(f"receipt logo {path} is not an image Pillow can read:"
                         " use a PNG or JPEG") from None
    if image.mode in ("RGBA", "LA", "P"):
        # Transparent parts are paper, not black.
        rgba = image.convert("RGBA")
        image = Image.new("RGBA", rgba.size, "white")
        image.alpha_composite(rgba)
    gray = image.convert("L")
    if gray.width > dots:
        gray = gray.resize((dots, max(1, round(gray.height * dots / gray.width))),
                           Image.Resampling.LANCZOS)
    strip = Image.new("1", (dots, gray.height), 1)
    strip.paste(gray.convert("1"), ((dots - gray.width) // 2, 0))
    return strip


class RasterFont:
    """Draws layout lines on the paper's dot grid: each character sits in its columns (one
    for Latin, two for CJK), so the layout's flush-right amounts stay flush right whatever
    the font's own advance widths are."""

    def __init__(self, path: str | Path, paper_mm: int):
        path = Path(path)
        if not path.exists():
            hint = (f"install the {FONT_PACKAGE} package (apt install {FONT_PACKAGE})"
                    if str(path) == DEFAULT_FONT else "fix font_path")
            raise RasterFontMissing(f"CJK font {path} for raster printing not found: {hint}")
        self.path = str(path)
        self.dots = DOTS[paper_mm]
        self.cols = COLUMNS[paper_mm]
        self.col_px = self.dots // self.cols

    def font(self, scale: int) -> ImageFont.FreeTypeFont:
        return load_font(self.path, FONT_PX * scale)

    def draw(self, line: Line) -> list[Image.Image]:
        """The line as mode "1" images (a double-size line too long for the paper wraps)."""
        scale = 2 if line.double else 1
        return [self._draw_one(part, line, scale) for part in wrap(line.text, self.cols // scale)]

    def _draw_one(self, text: str, line: Line, scale: int) -> Image.Image:
        image = Image.new("1", (self.dots, LINE_PX * scale), 1)
        pen = ImageDraw.Draw(image)
        font = self.font(scale)
        col_px = self.col_px * scale
        used = width(text) * col_px
        x = {"center": (self.dots - used) // 2, "right": self.dots - used}.get(line.align, 0)
        for ch in text:
            if not ch.isspace():
                pen.text((x, 0), ch, font=font, fill=0)
                if line.bold:  # the printer's "emphasized": the same dots struck 1 dot right
                    pen.text((x + 1, 0), ch, font=font, fill=0)
            x += width(ch) * col_px
        return image


@lru_cache(maxsize=8)  # a daemon prints many receipts with the same one or two sizes
def load_font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=monospace_face(path))


@lru_cache(maxsize=4)
def monospace_face(path: str) -> int:
    """In a font collection (.ttc), the index of its monospace face if it has one
    (WenQuanYi Zen Hei Mono, Noto Sans Mono CJK): its Latin is exactly half a CJK width."""
    if not path.lower().endswith(".ttc"):
        return 0
    for index in range(8):
        try:
            family = ImageFont.truetype(path, FONT_PX, index=index).getname()[0] or ""
        except OSError:
            break
        if "mono" in family.lower():
            return index
    return 0

