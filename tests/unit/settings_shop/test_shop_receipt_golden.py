"""Settings changes reach the printed receipt, byte for byte (issue 11): the owner changes
the shop's details, the receipt's text, width and language and uploads a logo through the
API; a sale is paid; printerd's claim gives the job's document and printerd's own renderer
(services/printerd.py Printer.render, python-escpos Dummy) turns it into ESC/POS, compared
with golden files.

Regenerate after a deliberate change with TILLBOX_UPDATE_GOLDEN=1 (and read the .txt
previews' diff): TILLBOX_UPDATE_GOLDEN=1 .venv/bin/python -m pytest
tests/unit/settings_shop/test_shop_receipt_golden.py
"""

import os
from pathlib import Path

import pytest

from appliance.orders import Actor
from drivers.printer.escpos_out import DOTS, GS_RASTER
from services.printerd import Printer
from shop_fixtures import Client, make_core, png, tea_logo

GOLDEN = Path(__file__).with_name("golden")

SHOP_EN = {"shop.name": "Mingxiang Tea House", "shop.address": "18 Longjing Road, Hangzhou",
           "shop.phone": "0571-8888 6666", "shop.tax_id": "91330106MA2KXXXX1Q",
           "receipt.header": "Spring tea is here\nFree tasting every Saturday",
           "receipt.footer": "Thank you!\nSee you again", "receipt.width_mm": 58,
           "receipt.language": "en"}
SHOP_ZH = {"shop.name": "茗香茶叶", "receipt.header": "新茶上市", "receipt.footer": "谢谢惠顾，欢迎再来",
           "receipt.width_mm": 80, "receipt.language": "zh_CN"}


@pytest.fixture
def core(tmp_path):
    app, box = make_core(tmp_path)
    yield app, box
    box.close()


def sell(app, box):
    """A paid card sale (no drawer kick): its receipt job is the only one queued."""
    assistant = Actor(app.config["TEST_CASHIER"], "cashier", "counter")
    engine = box.orders
    order = engine.open_order(assistant)
    order = engine.add_line(assistant, order.id, barcode="6901234567892")
    engine.add_payment(assistant, order.id, "card", engine.due(order), reference="T-1")
    return order.id


def printed(app, box) -> tuple[bytes, dict]:
    """Claim the receipt as printerd does and render it with printerd's renderer."""
    device = app.test_client()
    device.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {box.device_token}"
    device.environ_base["HTTP_X_TILLBOX_DEVICE"] = "printerd-test"
    r = device.get("/api/v1/device/print-jobs/next?kind=receipt")
    assert r.status_code == 200, r.data
    document = r.get_json()["document"]
    return Printer(box.config).render(document), document


def check_golden(name: str, data: bytes, document: dict) -> None:
    golden = GOLDEN / f"{name}.bin"
    if os.environ.get("TILLBOX_UPDATE_GOLDEN"):
        golden.write_bytes(data)
        (GOLDEN / f"{name}.txt").write_text(
            "\n".join(ln["text"] for ln in document["lines"]) + "\n", encoding="utf-8")
    assert golden.exists(), f"no golden file {golden.name}: run with TILLBOX_UPDATE_GOLDEN=1"
    assert data == golden.read_bytes(), f"{name}: the receipt's bytes changed"


def test_english_58mm_receipt_with_tax_id_header_footer_and_logo(core):
    app, box = core
    owner = Client(app, "2468")
    r = owner.patch("/api/v1/settings", SHOP_EN)
    assert r.status_code == 200, r.get_json()
    assert owner.upload(png(tea_logo())).status_code == 200
    sell(app, box)
    data, document = printed(app, box)
    texts = [ln["text"] for ln in document["lines"]]
    assert texts[0] == "Mingxiang Tea House"
    assert "Spring tea is here" in texts and "Free tasting every Saturday" in texts
    assert "Tax ID: 91330106MA2KXXXX1Q" in texts
    assert texts[-2:] == ["Thank you!", "See you again"]
    assert any(t.startswith("Receipt no.") for t in texts)          # English labels
    assert all(len(t) <= 32 for t in texts if t != texts[0])          # 58 mm: 32 columns
    assert document["paper_mm"] == 58
    # The logo goes first, as a raster image the paper's full width (384 dots = 48 bytes).
    assert data.startswith(b"\x1b@" + GS_RASTER + (DOTS[58] // 8).to_bytes(2, "little"))
    check_golden("shop-en-58-logo", data, document)


def test_chinese_80mm_receipt_after_the_logo_is_removed(core):
    app, box = core
    owner = Client(app, "2468")
    assert owner.upload(png(tea_logo())).status_code == 200
    assert owner.patch("/api/v1/settings", SHOP_ZH).status_code == 200
    assert owner.delete("/api/v1/settings/logo").status_code == 200
    sell(app, box)
    data, document = printed(app, box)
    assert "logo" not in document and GS_RASTER not in data
    assert "茗香茶叶".encode("gb18030") in data and "新茶上市".encode("gb18030") in data
    assert "小票号".encode("gb18030") in data                        # zh_CN labels
    check_golden("shop-zh-80", data, document)


def test_a_settings_change_reaches_the_next_receipt_without_a_restart(core):
    app, box = core
    owner = Client(app, "2468")
    sell(app, box)
    _data, first = printed(app, box)
    assert owner.patch("/api/v1/settings", {"shop.name": "新店名",
                                             "receipt.width_mm": 58}).status_code == 200
    sell(app, box)
    _data, second = printed(app, box)
    assert first["lines"][0]["text"] != "新店名" and first["paper_mm"] == 80
    assert second["lines"][0]["text"] == "新店名" and second["paper_mm"] == 58


def test_the_printer_config_logo_still_prints_when_the_shop_has_none(core, tmp_path):
    app, box = core
    path = tmp_path / "config-logo.png"
    path.write_bytes(png(tea_logo(mode="RGB")))
    sell(app, box)
    _data, document = printed(app, box)
    box.config.printer.logo = str(path)
    try:
        with_config_logo = Printer(box.config).render(document)
    finally:
        box.config.printer.logo = ""
    assert GS_RASTER in with_config_logo
    assert GS_RASTER not in Printer(box.config).render(document)


def test_a_missing_logo_file_prints_the_receipt_without_it(core):
    app, box = core
    owner = Client(app, "2468")
    digest = owner.upload(png(tea_logo())).get_json()["logo"]
    (box.master.path / "logo" / f"{digest}.png").unlink()
    sell(app, box)
    data, document = printed(app, box)
    assert "logo" not in document and GS_RASTER not in data
    assert document["lines"][0]["text"] == box.master.settings.get("shop.name")

