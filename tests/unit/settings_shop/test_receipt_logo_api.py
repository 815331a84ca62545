"""The receipt logo through /api/v1 (issue 11): upload checks (not an image, damaged,
decompression bombs, too many pixels, JSON instead of an image), grayscale on white, the
fit to the paper and the 1-bit dither, the preview exactly as printed, removal, the
``settings.changed`` record with old and new hashes, and who may do it."""

import hashlib
import io
import struct
import zlib

import pytest
from PIL import Image

from appliance.printing import logo as receipt_logo
from appliance.settings_changes import change_settings
from appliance.orders import Actor
from appliance.errors import ValidationError
from shop_fixtures import (Client, core, owner,  # noqa: F401 - fixtures
                           png, tea_logo)


def preview(client, width=None) -> Image.Image:
    r = client.get("/api/v1/settings/logo/preview.png" + (f"?width_mm={width}" if width else ""))
    assert r.status_code == 200 and r.mimetype == "image/png", r.data[:200]
    image = Image.open(io.BytesIO(r.data))
    image.load()
    return image


def with_size(data: bytes, width: int, height: int) -> bytes:
    """A real PNG whose header claims another size (what a decompression bomb looks like
    before it is decoded)."""
    ihdr = bytearray(data[16:29])
    ihdr[0:8] = struct.pack(">II", width, height)
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + bytes(ihdr)))
    return data[:16] + bytes(ihdr) + crc + data[33:]


def logo_records(box):
    return [r.data["changes"]["receipt.logo"] for r in box.ledger.records()
            if r.type == "settings.changed" and "receipt.logo" in r.data["changes"]]


def test_an_upload_sets_the_logo_as_one_settings_changed_record(core, owner):
    app, box = core
    r = owner.upload(png(tea_logo()))
    assert r.status_code == 200, r.get_json()
    digest = r.get_json()["logo"]
    assert r.get_json()["settings"]["receipt.logo"] == digest
    assert r.get_json()["changed"] == {"receipt.logo": {"from": "", "to": digest}}
    kept = box.master.path / "logo" / f"{digest}.png"
    assert hashlib.sha256(kept.read_bytes()).hexdigest() == digest   # content-addressed
    with Image.open(kept) as original:
        assert original.mode == "L" and original.size == (300, 120)  # grayscale original
    assert logo_records(box) == [{"from": "", "to": digest}]
    # the same image again: nothing changes, no second record
    assert owner.upload(png(tea_logo())).get_json()["changed"] == {}
    assert len(logo_records(box)) == 1


def test_transparent_parts_are_paper_not_ink(core, owner):
    image = Image.new("RGBA", (100, 40), (0, 0, 0, 0))     # fully transparent black
    image.paste((0, 0, 0, 255), (40, 10, 60, 30))          # one black square
    assert owner.upload(png(image)).status_code == 200
    strip = preview(owner, 80)
    assert strip.mode == "1" and strip.size == (576, 40)
    left = (576 - 100) // 2
    assert strip.getpixel((left + 5, 5)) == 255                       # white paper
    assert strip.getpixel((left + 50, 20)) == 0                       # black ink


@pytest.mark.parametrize("size,paper,expected", [
    ((2000, 400), 80, (576, 115)),     # wide: the paper's width
    ((2000, 400), 58, (384, 77)),
    ((300, 1200), 80, (576, 192)),     # tall: at most a third of the width tall
    ((300, 1200), 58, (384, 128)),
    ((120, 60), 80, (576, 60)),        # small: never enlarged, centred
])
def test_the_logo_fits_the_paper(core, owner, size, paper, expected):
    image = tea_logo(*size, mode="RGB")
    assert owner.upload(png(image, "JPEG", quality=90), "image/jpeg").status_code == 200
    strip = preview(owner, paper)
    assert strip.size == expected
    ink = strip.getbbox() is not None
    assert ink
    if size == (300, 1200):
        # a tall logo is scaled by its height: 1200 -> 192/128 rows, width in proportion
        columns_with_ink = [x for x in range(strip.width)
                            if any(strip.getpixel((x, y)) == 0 for y in range(strip.height))]
        assert max(columns_with_ink) - min(columns_with_ink) + 1 <= round(300 * expected[1] / 1200) + 1


def test_grey_is_dithered_to_a_mix_of_dots(core, owner):
    grey = Image.new("L", (200, 100), 128)
    assert owner.upload(png(grey)).status_code == 200
    strip = preview(owner, 80)
    left = (576 - 200) // 2
    dots = [strip.getpixel((x, y)) for x in range(left + 10, left + 190) for y in range(10, 90)]
    black = dots.count(0) / len(dots)
    assert 0.35 < black < 0.65          # Floyd-Steinberg: about half the dots, not all or none


def test_the_preview_follows_the_width_setting(core, owner):
    assert owner.upload(png(tea_logo(2000, 400, "RGB"))).status_code == 200
    assert preview(owner).width == 576
    assert owner.patch("/api/v1/settings", {"receipt.width_mm": 58}).status_code == 200
    assert preview(owner).width == 384           # re-dithered from the kept original


@pytest.mark.parametrize("data,mimetype,what", [
    (b"", "image/png", "choose an image"),
    (b"GIF89a not really", "image/gif", "not an image"),
    (b"%PDF-1.4 a document", "application/pdf", "not an image"),
    (png(tea_logo())[:300], "image/png", "damaged"),
    (png(Image.new("RGB", (8, 8)), "TIFF"), "image/tiff", "PNG, JPEG"),
])
def test_files_that_are_not_usable_images_are_refused(core, owner, data, mimetype, what):
    r = owner.upload(data, mimetype)
    assert r.status_code == 400, r.get_json()
    assert r.get_json()["field"] == "logo" and what in r.get_json()["error"]
    assert core[1].master.settings.get("receipt.logo") == ""
    assert logo_records(core[1]) == []


@pytest.mark.parametrize("width,height", [(7000, 10), (20000, 20000), (5000, 5000)])
def test_huge_pixel_counts_are_refused_before_decoding(core, owner, width, height):
    r = owner.upload(with_size(png(Image.new("L", (4, 4), 255)), width, height))
    assert r.status_code == 400
    error = r.get_json()["error"]
    assert "pixels" in error and "6000" in error
    assert f"{width} x {height}" in error or "too many pixels" in error
    assert not (core[1].master.path / "logo").exists() or \
        not list((core[1].master.path / "logo").iterdir())


def test_a_json_body_is_refused_with_a_hint(core, owner):
    r = owner.post("/api/v1/settings/logo", json={"logo": "data:image/png;base64,AAAA"})
    assert r.status_code == 400 and "request body" in r.get_json()["error"]


def test_a_body_over_the_request_limit_is_413(core, owner):
    limit = core[1].config.web.max_request_kb * 1024
    r = owner.upload(b"\x89PNG" + b"\0" * limit)
    assert r.status_code == 413 and "error" in r.get_json()


def test_removing_the_logo_is_recorded_and_deletes_the_file(core, owner):
    box = core[1]
    first = owner.upload(png(tea_logo())).get_json()["logo"]
    second = owner.upload(png(tea_logo(200, 80))).get_json()["logo"]
    assert first != second
    assert sorted(p.name for p in (box.master.path / "logo").iterdir()) == [f"{second}.png"]
    r = owner.delete("/api/v1/settings/logo")
    assert r.status_code == 200 and r.get_json()["settings"]["receipt.logo"] == ""
    assert list((box.master.path / "logo").iterdir()) == []
    assert logo_records(box) == [{"from": "", "to": first}, {"from": first, "to": second},
                                 {"from": second, "to": ""}]
    r = owner.get("/api/v1/settings/logo/preview.png")
    assert r.status_code == 404 and "error" in r.get_json()


def test_only_the_owner_changes_the_logo(core):
    app, box = core
    cashier = Client(app, "1001")
    assert cashier.upload(png(tea_logo())).status_code == 403
    assert cashier.delete("/api/v1/settings/logo").status_code == 403
    assert box.master.settings.get("receipt.logo") == ""


def test_the_setting_takes_only_a_hash_or_nothing(core):
    app, box = core
    owner = Actor(box.master.staff.authenticate("2468").id, "owner", "counter")
    for bad in ("logo.png", "A" * 64, "0" * 63):
        with pytest.raises(ValidationError) as exc:
            change_settings(box.ledger, box.master, owner, {"receipt.logo": bad})
        assert exc.value.field == "receipt.logo"


def test_receipt_preview_lays_out_a_sample_with_the_settings(core, owner):
    assert owner.patch("/api/v1/settings", {"shop.name": "茗香茶叶", "shop.tax_id": "9133",
                                             "receipt.language": "en"}).status_code == 200
    data = owner.get("/api/v1/settings/receipt-preview?width_mm=58").get_json()
    texts = [ln["text"] for ln in data["lines"]]
    assert data["paper_mm"] == 58 and data["columns"] == 32 and data["logo"] is False
    assert texts[0] == "茗香茶叶" and "Tax ID: 9133" in texts
    assert any(t.startswith("Subtotal") for t in texts)
    assert owner.get("/api/v1/settings/receipt-preview?width_mm=70").status_code == 400


def test_the_dither_module_refuses_unknown_paper(core):
    with pytest.raises(ValidationError):
        receipt_logo.dithered_png(core[1].master, "0" * 64, 70)
