"""The settings page's test page (issue 11; docs/settings.md): a ``report`` job laid out when
printerd claims it, so it shows the printer configuration printerd prints with.

Shop name, device id, the printer's backend, profile and paper width, a Chinese and an
English sample line, a ruler as wide as the paper, an EAN-13 and a QR sample and the time.
Paper, not money: no journal record and never a drawer kick.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from zoneinfo import ZoneInfo

from drivers.printer.layout import COLUMNS, Line, columns

from appliance.i18n import _, language

DOCUMENT = "test_page"
SAMPLE_EAN13 = "6901234567892"


def ruler(cols: int) -> str:
    """``1234567890`` repeated to exactly ``cols`` characters: a cut-off end shows at once."""
    return ("1234567890" * (cols // 10 + 1))[:cols]


def enqueue(box, staff_id: str) -> str:
    """Queue a test page; the job id."""
    return box.printing.add_report({"document": DOCUMENT, "requested_by": staff_id},
                                   prefix="test")


def document(box, payload: dict) -> dict:
    settings = box.master.settings
    paper = settings.get("receipt.width_mm")
    cols = COLUMNS[paper]
    # Here, not at import: transport pulls in python-escpos (and Pillow), which core never needs.
    from drivers.printer.transport import describe
    p = box.config.printer
    device = describe(p.backend, usb_vendor=p.usb_vendor, usb_product=p.usb_product,
                      serial_device=p.serial_device, host=p.host, port=p.port,
                      device=p.device) if p.backend != "none" else "none"
    now = datetime.now(ZoneInfo(box.config.shop.timezone)).strftime("%Y-%m-%d %H:%M:%S")
    lines: list[Line] = []
    with language(settings.get("receipt.language")):
        lines.append(Line(settings.get("shop.name") or _("Printer test"), "center", bold=True,
                          double=True))
        lines.append(Line(_("Printer test"), "center", bold=True))
        lines.append(Line("-" * cols))
        for label, value in ((_("Device"), box.ledger.device_id), (_("Printer"), device),
                             (_("Profile"), p.profile), (_("Chinese"), p.chinese),
                             (_("Paper"), f"{paper} mm / {cols}"), (_("Time"), now)):
            lines += [Line(t) for t in columns(label, value, cols)]
    lines.append(Line("-" * cols))
    lines.append(Line("中文：西湖龙井 一盒 ￥68.00"))
    lines.append(Line("English: Longjing tea, 1 box"))
    lines.append(Line(ruler(cols)))
    lines.append(Line(""))
    return {"lines": [asdict(ln) for ln in lines], "paper_mm": paper, "cut": True,
            "qr": f"tillbox test {box.ledger.device_id} {now}", "barcode": SAMPLE_EAN13}
