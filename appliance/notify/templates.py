"""What customers read: a subject and a text per event, in the language of the row.

Rendered when notifyd (or uplinkd) claims the row, inside ``language(row.language)``, from the
row's params (no personal data). Texts are short: one SMS (70 Chinese characters) where the
event allows; zh_CN texts carry the shop name as the 【店名】 signature Chinese operators
expect of business SMS.
"""

from __future__ import annotations

from ..errors import ValidationError
from ..i18n import _, language
from ..money import format_amount

EVENTS = ("order_ready", "order_shipped", "aftersales", "member_welcome", "points_changed",
          "balance_changed", "test")


def _status_label(status: str) -> str:
    labels = {"open": _("received"), "in_progress": _("in progress"),
              "resolved": _("resolved"), "closed": _("closed")}
    return labels.get(status, status)


def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else str(n)


def _signed_amount(fen: int) -> str:
    return ("+" if fen > 0 else "") + format_amount(fen)


def _subject_and_body(event: str, p: dict, shop: str) -> tuple[str, str]:
    if event == "order_ready":
        return (_("Order {number} is ready for pick-up", number=p.get("number", "")),
                _("Your order {number} is ready for pick-up in the shop.",
                  number=p.get("number", "")))
    if event == "order_shipped":
        return (_("Order {number} has been shipped", number=p.get("number", "")),
                _("Your order {number} has been shipped: {carrier}, tracking number {tracking}.",
                  number=p.get("number", ""), carrier=p.get("carrier", ""),
                  tracking=p.get("tracking", "")))
    if event == "aftersales":
        status = _status_label(p.get("status", ""))
        return (_("After-sales request {number}: {status}", number=p.get("ticket", ""),
                  status=status),
                _("Your after-sales request {number} is now: {status}.",
                  number=p.get("ticket", ""), status=status))
    if event == "member_welcome":
        return (_("Welcome to {shop}", shop=shop),
                _("Welcome! You are now a member of {shop}.", shop=shop))
    if event == "points_changed":
        return (_("Your points changed"),
                _("Your points changed by {delta}; you now have {after} points.",
                  delta=_signed(int(p.get("delta", 0))), after=int(p.get("after", 0))))
    if event == "balance_changed":
        return (_("Your stored value changed"),
                _("Your stored value changed by {delta} yuan; balance {after} yuan.",
                  delta=_signed_amount(int(p.get("delta", 0))),
                  after=format_amount(int(p.get("after", 0)))))
    if event == "test":
        return (_("Test message from {shop}", shop=shop),
                _("This is a test message from {shop}: notifications work.", shop=shop))
    raise ValidationError(_("{event} is not a notification", event=event), field="event")


def render(event: str, params: dict, lang: str, channel: str, shop: str) -> dict:
    """{"subject", "text"} of one notification in ``lang`` for ``channel``."""
    with language(lang):
        subject, text = _subject_and_body(event, params, shop)
        link = params.get("link", "")
        if link:
            text += ("" if lang.startswith("zh") else " ") + _("Details: {link}", link=link)
        if channel == "email":
            subject = f"{shop}: {subject}" if shop else subject
            text += "\n\n" + (shop or "")
        elif lang.startswith("zh"):
            text = f"【{shop}】{text}" if shop else text
        elif shop:
            text = f"[{shop}] {text}"
    return {"subject": subject, "text": text.rstrip()}
