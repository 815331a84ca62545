"""What printerd prints for a job: receipt lines laid out by core, in the receipt language.

Core lays receipts out (it has the order, the settings and the translations); printerd only
turns lines into ESC/POS for its printer. So a printer swap never changes what a receipt says.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import asdict

from appliance.errors import NotFound
from appliance.i18n import _, language
from drivers.printer.from_order import receipt_for
from drivers.printer.layout import lay_out


def ereceipt_token(key: str, order_id: str) -> str:
    """``<order id>.<mac>``: an unguessable link to one order's e-receipt."""
    mac = hmac.new(key.encode(), order_id.encode(), hashlib.sha256).digest()[:12]
    return f"{order_id}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def order_for_token(key: str, token: str) -> str:
    order_id, _sep, _mac = token.partition(".")
    if not order_id or not hmac.compare_digest(ereceipt_token(key, order_id).encode(),
                                               token.encode("utf-8", "replace")):
        raise NotFound(_("no such receipt"))
    return order_id


def receipt_lines(box, order, *, copy: str = "customer") -> tuple[list, dict]:
    """The laid-out lines of an order's receipt and the document settings."""
    settings = box.master.settings
    staff = box.master.staff.find(order.completed_by or "")
    paper = settings.get("receipt.width_mm")
    qr_url = ""
    if box.public_url:
        qr_url = f"{box.public_url}/r/{ereceipt_token(box.receipt_key, order.id)}"
    with language(settings.get("receipt.language")):
        receipt = receipt_for(order, settings, cashier_name=staff.name if staff else "",
                              timezone=box.config.shop.timezone, qr_url=qr_url, copy=copy)
        lines = lay_out(receipt, paper)
    return lines, {"paper_mm": paper, "qr": qr_url}


def document_for(box, job: dict) -> dict:
    """The printable document for a claimed job (empty for a drawer kick)."""
    if job["kind"] == "drawer":
        return {}
    if job["kind"] == "report":
        return job["payload"]
    order = box.orders.get_order(job["order_id"])
    lines, doc = receipt_lines(box, order, copy=job["payload"].get("copy", "customer"))
    return {**doc, "lines": [asdict(ln) for ln in lines], "cut": True}
