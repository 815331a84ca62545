"""What printerd prints for a job: receipt lines laid out by core, in the receipt language.

Core lays receipts out (it has the order, the settings and the translations); printerd only
turns lines into ESC/POS for its printer. So a printer swap never changes what a receipt says.

A new box also prints a setup slip (a ``report`` job whose payload says ``"document":
"setup"``): the setup page's address as a QR code and as text, with the setup code, in Chinese
then English. The code is read when printerd claims the job, so it never sits in ledger.db.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import logging
import textwrap
from dataclasses import asdict

from appliance.errors import NotFound
from appliance.i18n import _, language
from drivers.printer.from_order import receipt_for
from drivers.printer.layout import (COLUMNS, Line, columns, lay_out, mask_phone, training_mark,
                                    width, wrap)

log = logging.getLogger(__name__)

SETUP_DOCUMENT = "setup"

#: ``report`` jobs by ``payload["document"]``: "module:function" laying one out as
#: ``function(box, payload) -> document``, imported when a job is claimed.
REPORT_DOCUMENTS = {
    SETUP_DOCUMENT: "appliance.printing.documents:setup_slip",
    "shift": "appliance.shifts.printout:document",       # X and Z reports, shift handover
    "summary": "appliance.reports.printout:document",    # a report's short summary
    "pick_slip": "appliance.fulfilment.printout:document",   # an order to pick and pack
    "ticket": "appliance.aftersales.printout:document",      # an after-sales ticket slip
    "credit_note": "appliance.returns.printout:document",    # store credit for a non-member
    "test_page": "appliance.printing.test_page:document",    # the settings page's test print
}


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


def ereceipt_url(box, order_id: str) -> str:
    """The e-receipt link of the receipt's QR code: at head office when web.ereceipt_url is
    set (``{ereceipt_url}/r/{store}/{device}/{token}``, open from anywhere), else on the box
    (``{public_url}/r/{token}``, on the shop Wi-Fi); "" when neither can be reached."""
    if getattr(box, "is_training", False):
        return ""   # a training receipt is no sale: no e-receipt (docs/training.md)
    token = ereceipt_token(box.receipt_key, order_id)
    base = (getattr(box.config.web, "ereceipt_url", "") or "").rstrip("/")
    if base:
        shop = box.config.shop
        return f"{base}/r/{shop.store_id}/{shop.device_id}/{token}"
    return f"{box.public_url}/r/{token}" if box.public_url else ""


def receipt_lines(box, order, *, copy: str = "customer", public: bool = False
                  ) -> tuple[list, dict]:
    """The laid-out lines of an order's receipt and the document settings. ``public``: for
    the e-receipt page, whose member block names nobody (appliance.ereceipt)."""
    settings = box.master.settings
    staff = box.master.staff.find(order.completed_by or "")
    paper = settings.get("receipt.width_mm")
    qr_url = "" if public else ereceipt_url(box, order.id)
    member = member_block_of(box, order)
    if public:
        from appliance.ereceipt import public_receipt_member
        member = public_receipt_member(member)
    with language(settings.get("receipt.language")):
        receipt = receipt_for(order, settings, cashier_name=staff.name if staff else "",
                              timezone=box.config.shop.timezone, qr_url=qr_url, copy=copy,
                              member=member)
        lines = lay_out(receipt, paper)
    return lines, {"paper_mm": paper, "qr": qr_url}


def member_block_of(box, order) -> dict | None:
    """The receipt's member block: who (name, masked phone), what this sale
    earned, and the points and balance as they are when the receipt is laid out."""
    if not getattr(order, "member_id", None):
        return None
    member = box.members.summary(order.member_id)
    if member is None:
        return None
    return {"name": member.name, "phone": mask_phone(member.phone),
            "points_earned": order.points_earned, "points_balance": member.points,
            "balance": member.balance}


def document_for(box, job: dict) -> dict:
    """The printable document for a claimed job (empty for a drawer kick); a job of the
    training stack (docs/training.md) is marked as training at its top and bottom."""
    document = _document(box, job)
    if getattr(box, "is_training", False) and document.get("lines"):
        document = training_marked(box, document)
    if document.get("lines") and job["kind"] != "label":
        document = with_logo(box, document)
    return document


def with_logo(box, document: dict) -> dict:
    """The shop's logo (setting ``receipt.logo``, issue 11) at the top of everything the
    receipt printer prints, laid out for the paper (appliance/printing/logo.py); without
    one, printerd prints the config's printer.logo as before."""
    from .logo import for_document
    settings = box.master.settings
    paper = document.get("paper_mm") or settings.get("receipt.width_mm")
    logo = for_document(box.master, settings.get("receipt.logo"), paper)
    return {**document, "logo": logo} if logo else document


def training_marked(box, document: dict) -> dict:
    settings = box.master.settings
    paper = document.get("paper_mm") or settings.get("receipt.width_mm")
    with language(settings.get("receipt.language")):
        mark = [asdict(ln) for ln in training_mark(COLUMNS[paper])]
    return {**document, "lines": mark + list(document["lines"]) + mark}


def _document(box, job: dict) -> dict:
    if job["kind"] == "drawer":
        return {}
    if job["kind"] == "label":
        # Labels are laid out by printerd for its label printer (size from its config); the
        # receipt width is for labels on the receipt printer.
        return {**job["payload"], "paper_mm": box.master.settings.get("receipt.width_mm")}
    if job["kind"] == "report":
        target = REPORT_DOCUMENTS.get(job["payload"].get("document"))
        if target is None:
            return job["payload"]
        module, _sep, name = target.partition(":")
        return getattr(importlib.import_module(module), name)(box, job["payload"])
    order = box.orders.get_order(job["order_id"])
    lines, doc = receipt_lines(box, order, copy=job["payload"].get("copy", "customer"))
    return {**doc, "lines": [asdict(ln) for ln in lines], "cut": True}


# -- the setup slip of a new box ---------------------------------------------------------------

def setup_base_url(config, hostname: str, addresses: list[str]) -> str:
    """Where phones on the shop Wi-Fi reach the box: web.public_url, else its first LAN
    address, else its name over mDNS (the network may not be up when core starts)."""
    from appliance.box import public_url_for
    base = public_url_for(config, addresses)
    if base:
        return base
    web = config.web
    scheme, port, default = ("https", web.https_port, 443) if web.https_port else \
        ("http", web.port, 80)
    return f"{scheme}://{hostname}.local" + ("" if port == default else f":{port}")


def enqueue_setup_slip(box, *, hostname: str,
                       addresses: list[str] | None = None) -> str | None:
    """At core's start: queue the setup slip unless one is still waiting to print, or there
    is no printer; the job id or None. ``addresses`` (the LAN ones) are looked up here when
    not given: the slip is laid out in a request (printerd's claim), which must not block."""
    if box.config.printer.backend == "none":
        log.info("no printer set up (printer.backend = none): no setup slip; "
                 "`tillbox setup-code` shows the code")
        return None
    if any(j["kind"] == "report" and j["payload"].get("document") == SETUP_DOCUMENT
           for j in box.printing.pending()):
        return None
    if addresses is None:
        from services.tls import lan_addresses
        addresses = [a for a in lan_addresses() if not a.startswith("127.")]
    payload = {"document": SETUP_DOCUMENT, "hostname": hostname, "addresses": addresses,
               "url": setup_base_url(box.config, hostname, addresses)}
    job_id = box.printing.add_report(payload, prefix="setup")   # paper, not money
    log.info("setup slip queued for the printer (job %s)", job_id)
    return job_id


def _wrap_words(text: str, cols: int) -> list[str]:
    """English breaks between words; Chinese (no spaces) anywhere, as receipts do."""
    if width(text) == len(text):
        return textwrap.wrap(text, cols) or [""]
    return wrap(text, cols)


def setup_slip(box, payload: dict) -> dict:
    """The slip's document: the setup code as it is now (gone once setup is done: the slip
    then only says where to sign in)."""
    from appliance.provisioning import read_code
    paper = box.master.settings.get("receipt.width_mm")
    cols = COLUMNS[paper]
    code = read_code(box.config.data_dir)
    base = payload["url"]
    page = f"{base}/setup" if code else f"{base}/login"
    lines: list[Line] = []
    for lang in ("zh_CN", "en"):
        with language(lang):
            lines.append(Line(_("Set up this box") if code else _("Setup is done"), "center",
                              bold=True, double=lang == "zh_CN"))
            lines.append(Line("-" * cols))
            if code:
                intro = _("Scan the QR code below with a phone, or open this address in "
                          "the phone's browser:")
            else:
                intro = _("This box is set up. Sign in with your PIN at:")
            lines += [Line(t) for t in _wrap_words(intro, cols)]
            lines += [Line(t, bold=True) for t in wrap(page, cols)]
            if code:
                lines += [Line(t, bold=True) for t in columns(_("Setup code"), code, cols)]
            lines += [Line(t) for t in columns(_("Box name"), payload["hostname"], cols)]
            lines += [Line(t) for t in columns(_("Device"), box.ledger.device_id, cols)]
            for address in payload.get("addresses", []):
                lines += [Line(t) for t in columns(_("Address"), address, cols)]
            lines.append(Line(""))
    qr = f"{page}?code={code}" if code else page
    return {"lines": [asdict(ln) for ln in lines], "qr": qr, "cut": True, "paper_mm": paper}
