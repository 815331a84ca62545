"""A damaged receipt logo file (issue 11 review): the preview says so with a 404 instead of a
500, uploading the same logo again repairs the file, and ``receipt.logo`` can only name a
logo that is really kept."""

import hashlib
import io

import pytest
from PIL import Image

from shop_fixtures import (core, owner,  # noqa: F401 - fixtures
                           png, tea_logo)


@pytest.mark.parametrize("damage", [b"", b"\x89PNG\r\n\x1a\n garbage", b"not an image"])
def test_a_damaged_logo_file_is_a_404_and_uploading_again_repairs_it(core, owner, damage):
    box = core[1]
    data = png(tea_logo(240, 96))
    digest = owner.upload(data).get_json()["logo"]
    kept = box.master.path / "logo" / f"{digest}.png"
    good = kept.read_bytes()
    kept.write_bytes(damage)                      # a power cut, a bad card

    r = owner.get("/api/v1/settings/logo/preview.png?width_mm=58")
    assert r.status_code == 404, r.data[:200]
    assert r.get_json()["error"] == "the logo file is damaged or missing: upload the logo again"

    r = owner.upload(data)                        # the same logo again
    assert r.status_code == 200 and r.get_json()["logo"] == digest
    assert kept.read_bytes() == good
    assert hashlib.sha256(kept.read_bytes()).hexdigest() == digest
    r = owner.get("/api/v1/settings/logo/preview.png?width_mm=58")
    assert r.status_code == 200
    assert Image.open(io.BytesIO(r.data)).size[0] == 384
    assert not [p for p in kept.parent.iterdir() if p.name != kept.name]   # no temp left


def test_a_logo_hash_without_its_file_is_refused(core, owner):
    box = core[1]
    r = owner.patch("/api/v1/settings", {"receipt.logo": "ab" * 32})
    assert r.status_code == 400 and r.get_json()["field"] == "receipt.logo"
    assert "upload the logo" in r.get_json()["error"]
    assert box.master.settings.get("receipt.logo") == ""
    digest = owner.upload(png(tea_logo())).get_json()["logo"]
    assert owner.patch("/api/v1/settings", {"receipt.logo": ""}).status_code == 200
    # a kept file may be named again; "" is always allowed
    r = owner.patch("/api/v1/settings", {"receipt.logo": digest})
    assert r.status_code == 200 and r.get_json()["settings"]["receipt.logo"] == digest
