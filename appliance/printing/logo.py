"""The shop's receipt logo (issue 11; docs/settings.md "Shop and receipt").

The owner uploads an image on the settings page. It is checked here (a real PNG, JPEG, GIF,
BMP or WebP that Pillow reads, not a decompression bomb), flattened onto white paper where it
is transparent, turned to grayscale and kept content-addressed in master data's directory
as ``<master>/logo/<sha256>.png`` (the hash of that file's bytes); the setting
``receipt.logo`` names it. Master data is in every backup, so the logo is too.

What prints is derived from that original for the paper in use: scaled down (never up) to
fit a box as wide as the paper's dots and a third of that tall (80 mm: 576 x 192 dots, 58 mm:
384 x 128), dithered to 1 bit (Floyd-Steinberg) and centred on a full-width white strip, so a
paper-width change re-dithers from the original. Core puts that strip, as a PNG, in each
print job's document (``"logo"``, base64): printerd prints exactly what the preview shows and
never reads master data.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import re
import warnings
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from drivers.printer.layout import DOTS

from .. import durable
from ..errors import NotFound, ValidationError
from ..i18n import _

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)

LOGO_DIR = "logo"
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP")
MAX_SIDE = 6000            # pixels per side of an upload (the page sends at most ~1200)
MAX_PIXELS = 16_000_000    # width x height of an upload: more is refused before decoding
KEEP_SIDE = 1200           # the original is kept at most this big (it prints at <= 576)
HEIGHT_SHARE = 3           # a logo is at most a third of the paper's width tall
HASH = re.compile(r"^[0-9a-f]{64}$")


def logo_dir(master) -> Path:
    return Path(master.path) / LOGO_DIR


def box_for(paper_mm: int) -> tuple[int, int]:
    """(width, height) in dots the logo is fitted into on this paper."""
    dots = DOTS[paper_mm]
    return dots, dots // HEIGHT_SHARE


def _refuse(message: str):
    return ValidationError(message, field="logo")


def grayscale_original(data: bytes) -> Image.Image:
    """The uploaded bytes as a grayscale image on white, at most KEEP_SIDE pixels a side;
    ValidationError (field ``logo``) for anything that is not a usable image."""
    from PIL import Image, UnidentifiedImageError  # here: core starts without Pillow
    if not data:
        raise _refuse(_("choose an image file for the logo (PNG or JPEG)"))
    try:
        with warnings.catch_warnings():
            # Pillow warns above its own limit and raises at twice it: refuse both.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            source = Image.open(io.BytesIO(data))
            if source.format not in FORMATS:
                raise _refuse(_("the logo must be a PNG, JPEG, GIF, BMP or WebP image, "
                                "not {format}", format=source.format or "?"))
            width, height = source.size
            if width < 1 or height < 1 or width > MAX_SIDE or height > MAX_SIDE \
                    or width * height > MAX_PIXELS:
                raise _refuse(_("the logo image is {width} x {height} pixels: at most "
                                "{side} pixels a side are accepted; make it smaller",
                                width=width, height=height, side=MAX_SIDE))
            source.seek(0)   # an animated GIF: its first frame
            source.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(_("the logo image has far too many pixels: at most {side} pixels a "
                        "side are accepted; make it smaller", side=MAX_SIDE)) from None
    except UnidentifiedImageError:
        raise _refuse(_("the file is not an image the box can read: use a PNG or JPEG")) \
            from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # truncated or corrupt
        log.info("logo upload refused: %s", exc)
        raise _refuse(_("the image file is damaged or incomplete: save it again and "
                        "upload it")) from None
    image = source
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P"
                                               and "transparency" in image.info):
        rgba = image.convert("RGBA")   # transparent parts are paper, not black
        image = Image.new("RGBA", rgba.size, "white")
        image.alpha_composite(rgba)
    gray = image.convert("L")
    if max(gray.size) > KEEP_SIDE:
        gray.thumbnail((KEEP_SIDE, KEEP_SIDE), Image.Resampling.LANCZOS)
    return gray


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def store(master, data: bytes) -> str:
    """Check and keep an uploaded logo; its sha256 (what ``receipt.logo`` holds)."""
    png = _png(grayscale_original(data))
    digest = hashlib.sha256(png).hexdigest()
    directory = logo_dir(master)
    directory.mkdir(mode=0o750, exist_ok=True)
    target = directory / f"{digest}.png"
    if not _intact(target, digest):
        # New, or damaged (a power cut, a bad card): written whole and durably, so that
        # uploading the same logo again repairs it.
        durable.write_bytes(target, png)
    return digest


def _intact(path: Path, digest: str) -> bool:
    """Whether ``path`` exists and holds exactly the bytes its name is the hash of."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() == digest
    except OSError:
        return False


def original_path(master, digest: str) -> Path:
    if not HASH.match(digest or ""):
        raise NotFound(_("no such logo"))
    return logo_dir(master) / f"{digest}.png"


def dither(gray: Image.Image, paper_mm: int) -> Image.Image:
    """A grayscale image as the printer's mode "1" strip for this paper: fitted, never
    enlarged, Floyd-Steinberg dithered, centred on white the paper's full width."""
    from PIL import Image  # here, not at import: core starts without Pillow
    dots, tallest = box_for(paper_mm)
    scale = min(1.0, dots / gray.width, tallest / gray.height)
    if scale < 1.0:
        size = (max(1, round(gray.width * scale)), max(1, round(gray.height * scale)))
        gray = gray.resize(size, Image.Resampling.LANCZOS)
    strip = Image.new("1", (dots, gray.height), 1)
    strip.paste(gray.convert("1", dither=Image.Dither.FLOYDSTEINBERG),
                ((dots - gray.width) // 2, 0))
    return strip


@lru_cache(maxsize=8)
def _dithered_png(path: str, paper_mm: int) -> bytes:
    from PIL import Image  # here, not at import: core starts without Pillow
    with Image.open(path) as original:
        original.load()
        return _png(dither(original.convert("L"), paper_mm))


def dithered_png(master, digest: str, paper_mm: int) -> bytes:
    """The strip as it prints, as PNG bytes (cached: the file of a hash never changes)."""
    if paper_mm not in DOTS:
        raise ValidationError(_("paper width {width} mm is not supported: use 58 or 80",
                                width=paper_mm), field="width_mm")
    path = original_path(master, digest)
    if not path.is_file():
        raise NotFound(_("the logo file is damaged or missing: upload the logo again"))
    try:
        return _dithered_png(str(path), paper_mm)
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # UnidentifiedImageError is an OSError: an empty or corrupt file on the card.
        log.error("receipt logo %s unreadable: %s", path.name, exc)
        raise NotFound(_("the logo file is damaged or missing: upload the logo again")) \
            from None


def for_document(master, digest: str, paper_mm: int) -> str:
    """The ``"logo"`` of a print job's document ("" when there is none to print: a missing
    file is logged, and the receipt prints without it rather than not at all)."""
    if not digest:
        return ""
    try:
        return base64.b64encode(dithered_png(master, digest, paper_mm)).decode("ascii")
    except (NotFound, ValidationError, OSError) as exc:
        log.error("receipt logo not printed: %s", getattr(exc, "message", exc))
        return ""


def from_document(value: str) -> Image.Image:
    """printerd's side: the document's ``"logo"`` back as a mode "1" image."""
    from PIL import Image  # here, not at import: core starts without Pillow
    with Image.open(io.BytesIO(base64.b64decode(value, validate=True))) as image:
        image.load()
        return image.convert("1")


def remove_unused(master, keep: str) -> list[str]:
    """Delete kept logos other than ``keep`` (the one in use); the names removed."""
    directory = logo_dir(master)
    removed = []
    if not directory.is_dir():
        return removed
    for path in directory.iterdir():
        if path.name != f"{keep}.png" and (path.suffix in (".png", ".tmp")):
            try:
                path.unlink()
                removed.append(path.name)
            except OSError as exc:
                log.warning("old logo %s not removed: %s", path.name, exc)
    return removed


def refuse_logo_not_kept(tx, master, changes) -> None:
    """Pre-change check (appliance/settings_changes.py): ``receipt.logo`` names only a logo
    kept in the logo folder ("" for none), so a receipt never points at a missing file."""
    change = changes.get("receipt.logo")
    if change and change["to"] and not original_path(master, change["to"]).is_file():
        raise ValidationError(_("there is no uploaded logo {digest}: upload the logo on the "
                                "settings page instead of typing its hash",
                                digest=change["to"][:12]), field="receipt.logo")
