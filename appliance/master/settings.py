"""Shop settings the owner edits in the back office, with a typed schema.

Values are checked strictly on the way in (an int is not a bool, no float ever), because
they come from a web form via JSON and a wrong type here would surface much later as a
crash at the till. All values live in one TinyDB document, so ``update`` is one write.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, NamedTuple
from urllib.parse import urlsplit

from tinydb import TinyDB
from tinydb.table import Document

from ..errors import ValidationError
from ..money import MAX_AMOUNT, ROUND_OFF_MODES, ROUND_OFF_UNITS
from ..tenders import METHODS
from ..i18n import _

log = logging.getLogger(__name__)

TABLE = "settings"
_DOC_ID = 1
TENDER_METHODS = tuple(METHODS)


class Setting(NamedTuple):
    type: type
    default: Any
    #: Returns an error text for a value of the right type, or None if it is fine.
    check: Callable[[Any], str | None]
    description: str


# Each check's message is a predicate that validate_setting puts after the setting's name
# ("setting {key} {problem}"): made with appliance.i18n._ when the check runs, so a web
# request gets it in the screen's language.

def _max_len(n: int, *, required: bool = False, one_line: bool = True):
    def check(value: str) -> str | None:
        if required and not value.strip():
            return _("must not be empty")
        if len(value) > n:
            return _("is {length} characters long; at most {most} are allowed",
                     length=len(value), most=n)
        if one_line and any(ch < " " for ch in value):
            return _("must be one line")
        return None
    return check


def _one_of(*choices):
    def check(value) -> str | None:
        if value not in choices:
            return _("must be one of {choices} (got {value})",
                     choices=", ".join(str(c) for c in choices), value=repr(value))
        return None
    return check


def _amount_range(value: int) -> str | None:
    if not 0 <= value <= MAX_AMOUNT:
        return _("must be an amount in fen, 0 or more")
    return None


def _tenders(value: list) -> str | None:
    if not value:
        return _("must enable at least one way to pay")
    for item in value:
        if item not in TENDER_METHODS:
            return _("{item} is not a payment method; use {methods}", item=repr(item),
                     methods=", ".join(TENDER_METHODS))
    if len(set(value)) != len(value):
        return _("names a payment method twice")
    return None


def _fen_per_point(value: int) -> str | None:
    if not 1 <= value <= 10_000:
        return _("must be from 1 to 10000 fen per point")
    return None


def _any(_value) -> str | None:
    return None


def _days(low: int, high: int):
    def check(value: int) -> str | None:
        if not low <= value <= high:
            return _("must be from {low} to {high} days", low=low, high=high)
        return None
    return check


def _count(value: int) -> str | None:
    if not 0 <= value <= 1_000_000:
        return _("must be a count from 0 to 1000000")
    return None


def _ean_prefix(value: str) -> str | None:
    if not (value.isdigit() and value.isascii() and 2 <= len(value) <= 7
            and value[:2] in {str(n) for n in range(20, 30)}):
        return _("must be 2 to 7 digits starting 20 to 29 (in-store EAN-13 codes)")
    return None


#: What a merchant's own collection code (收款码) may hold, per method: the prefixes the
#: codes WeChat Pay and Alipay give shops (docs/settings.md "Payment"). A WeChat Pay code's
#: https address must be on one of WECHAT_HOSTS (or a subdomain of WECHAT_DOMAINS).
MERCHANT_QR_PREFIXES = {
    "wechat": ("wxp://", "https://"),
    # Alipay prints its codes in capitals (a denser QR): both spellings are the same code.
    "alipay": ("https://qr.alipay.com/", "HTTPS://QR.ALIPAY.COM/"),
}
MERCHANT_QR_MAX = 300
WECHAT_HOSTS = ("payapp.weixin.qq.com", "wx.tenpay.com")
WECHAT_DOMAINS = ("weixin.qq.com", "wechat.com", "tenpay.com")
ALIPAY_DOMAINS = ("alipay.com", "alipay.cn", "alipayobjects.com")


def _host(value: str) -> str:
    """The lower-case host of an https:// address ("" for anything else)."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return ""
    return (parts.hostname or "") if parts.scheme.lower() == "https" else ""


def _on(host: str, domains) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def _looks_wechat(value: str) -> bool:
    host = _host(value)
    return value.lower().startswith("wxp://") or host in WECHAT_HOSTS \
        or _on(host, WECHAT_DOMAINS)


def _looks_alipay(value: str) -> bool:
    return value.lower().startswith("alipays://") or _on(_host(value), ALIPAY_DOMAINS)


def _merchant_qr(method: str):
    def check(value: str) -> str | None:
        if value == "":
            return None
        if len(value) > MERCHANT_QR_MAX:
            return _("is {length} characters long; at most {most} are allowed",
                     length=len(value), most=MERCHANT_QR_MAX)
        if any(ch <= " " or ch == "\x7f" for ch in value) or not value.isascii():
            return _("must be the code's text, one line without spaces")
        if method == "wechat":
            if _looks_alipay(value):
                return _("looks like an Alipay code: put it under Alipay; a WeChat Pay "
                         "code starts wxp:// or is a WeChat Pay address")
            if not (value.startswith("wxp://") or (value.startswith("https://")
                                                    and _looks_wechat(value))):
                return _("is not a WeChat Pay collection code (wxp://... or https://... on"
                         " a WeChat Pay address such as payapp.weixin.qq.com)")
        else:
            if _looks_wechat(value):
                return _("looks like a WeChat Pay code: put it under WeChat Pay; an Alipay "
                         "code starts https://qr.alipay.com/")
            if not value.startswith(MERCHANT_QR_PREFIXES[method]):
                return _("is not an Alipay collection code (https://qr.alipay.com/...)")
        return None
    return check


def _logo_hash(value: str) -> str | None:
    # issue 11: the receipt logo's file in master data (appliance/printing/logo.py)
    if value and not (len(value) == 64 and all(ch in "0123456789abcdef" for ch in value)):
        return _("must be \"\" (no logo) or the 64 hex digits of an uploaded logo")
    return None


#: What customers can be notified of (docs/notifications.md).
NOTIFY_EVENTS = ("order_ready", "order_shipped", "aftersales", "member_welcome",
                 "points_changed", "balance_changed")


def _names(most: int, longest: int):
    def check(value: list) -> str | None:
        if len(value) > most:
            return _("must list at most {most}", most=most)
        for item in value:
            if not isinstance(item, str) or not item.strip() or len(item) > longest:
                return _("each must be a name of 1 to {longest} characters", longest=longest)
        if len(set(value)) != len(value):
            return _("names one twice")
        return None
    return check


def _notify_events(value: list) -> str | None:
    for item in value:
        if item not in NOTIFY_EVENTS:
            return _("{item} is not a notification; use {events}", item=repr(item),
                     events=", ".join(NOTIFY_EVENTS))
    if len(set(value)) != len(value):
        return _("names one twice")
    return None


SETTINGS_SCHEMA: dict[str, Setting] = {
    "shop.name": Setting(str, "Tillbox 演示店", _max_len(60, required=True),
                         "shop name, printed at the top of receipts"),
    "shop.address": Setting(str, "", _max_len(120), "shop address for receipts"),
    "shop.phone": Setting(str, "", _max_len(40), "shop phone for receipts"),
    "shop.tax_id": Setting(str, "", _max_len(40), "taxpayer id (纳税人识别号)"),
    "receipt.header": Setting(str, "", _max_len(400, one_line=False),
                              "extra text above the items"),
    "receipt.footer": Setting(str, "谢谢惠顾", _max_len(400, one_line=False),
                              "text at the end of the receipt"),
    "receipt.width_mm": Setting(int, 80, _one_of(58, 80), "receipt paper width: 58 or 80"),
    "receipt.language": Setting(str, "zh_CN", _one_of("zh_CN", "en"), "receipt language"),
    "money.round_off_unit": Setting(str, "none", _one_of(*ROUND_OFF_UNITS),
                                    "round-off (抹零) unit: none, 0.1 or 1 yuan"),
    "money.round_off_mode": Setting(str, "down", _one_of(*ROUND_OFF_MODES),
                                    "round-off mode: down (抹零) or half_up (四舍五入)"),
    "orders.cashier_refund_limit": Setting(int, 20000, _amount_range,
                                           "largest refund (fen) a cashier may give alone"),
    "orders.allow_negative_stock": Setting(bool, True, _any,
                                           "sell even when stock on record is 0"),
    "tenders.enabled": Setting(list, list(TENDER_METHODS),
                               _tenders, "payment methods offered at the till"),
    "members.fen_per_point": Setting(int, 1, _fen_per_point,
                                     "what one point pays, in fen (1: 100 points pay 1.00)"),
    "members.max_change_to_card": Setting(int, 10000, _amount_range,
                                          "largest change (fen) a cashier may put on a card"
                                          " (存零); more is a top-up"),
    # stock (issue 8; docs/stock.md)
    "stock.low_stock_default": Setting(int, 0, _count,
                                       "alert at or below this many when a product has no"
                                       " low-stock level of its own (0: no alert)"),
    "stock.velocity_days": Setting(int, 28, _days(7, 365),
                                   "days of sales that give a product's daily sales rate"),
    "stock.reorder_cover_days": Setting(int, 14, _days(1, 365),
                                        "days of sales a reorder should cover beyond the"
                                        " supplier's lead time"),
    "stock.slow_mover_days": Setting(int, 60, _days(7, 730),
                                     "a product with stock and no sale in this many days is"
                                     " a slow mover"),
    "stock.contract_reminder_days": Setting(int, 30, _days(1, 365),
                                            "remind this many days before a supplier"
                                            " contract ends"),
    "labels.ean_prefix": Setting(str, "20", _ean_prefix,
                                 "prefix of the in-store EAN-13 codes given to products"
                                 " without a barcode"),
    # running the shop (issue 9; docs/shifts.md, docs/reports.md)
    "shifts.over_short_limit": Setting(int, 1000, _amount_range,
                                       "largest over/short (fen) per tender a shift may close"
                                       " with; more needs a manager"),
    "shifts.required": Setting(bool, False, _any,
                               "take money only while a shift is open"),
    "shifts.default_float": Setting(int, 50000, _amount_range,
                                    "float (fen) offered when a shift opens"),
    # customers after the sale (issue 10; docs/returns.md, aftersales.md, delivery.md,
    # notifications.md)
    "returns.window_days": Setting(int, 30, _days(1, 3650),
                                   "returns and exchanges are taken within this many days of"
                                   " the sale; later ones need a manager"),
    "aftersales.warranty_days": Setting(int, 365, _days(1, 3650),
                                        "warranty from the day of sale, for warranty tickets"),
    "fulfilment.carriers": Setting(list, ["顺丰速运", "中通快递", "圆通速递", "韵达快递",
                                          "申通快递", "EMS", "京东物流"], _names(20, 30),
                                   "carriers offered when an order is shipped"),
    "notify.language": Setting(str, "zh_CN", _one_of("zh_CN", "en"),
                               "language of messages to customers"),
    "notify.events": Setting(list, list(NOTIFY_EVENTS), _notify_events,
                             "what customers are told about: " + ", ".join(NOTIFY_EVENTS)),
    # the owner's settings page (issue 11; docs/settings.md)
    # -- issue 11 shop and receipt --
    "receipt.logo": Setting(str, "", _logo_hash,
                            "the receipt logo: the sha256 of its image in master data's"
                            " logo folder, \"\" for none (set by uploading on the settings"
                            " page)"),
    # -- issue 11 payment --
    "payment.qr_wechat": Setting(str, "", _merchant_qr("wechat"),
                                 "the shop's own WeChat Pay collection code (收款码): the text"
                                 " its QR code holds, wxp://... or https://...; \"\": none"),
    "payment.qr_alipay": Setting(str, "", _merchant_qr("alipay"),
                                 "the shop's own Alipay collection code (收款码): the text its"
                                 " QR code holds, https://qr.alipay.com/...; \"\": none"),
    # -- issue 11 modules --
    "modules.members": Setting(bool, True, _any,
                               "members (会员): sign-ups, stored value, points, levels"),
    "modules.promotions": Setting(bool, True, _any,
                                  "promotions (促销): rules, coupons and their discounts"),
    "modules.stocktake": Setting(bool, True, _any, "stocktake (盘点): counting the stock"),
    "modules.delivery": Setting(bool, True, _any,
                                "delivery and pick-up (配送自提) of orders"),
    "modules.training": Setting(bool, True, _any, "training mode (培训模式) and the quiz"),
}


class UnknownSettingError(ValidationError, KeyError):
    """An unknown key: a ValidationError for the web layer, a KeyError for Python code."""

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


def _schema(key) -> Setting:
    try:
        return SETTINGS_SCHEMA[key]
    except (KeyError, TypeError):
        raise UnknownSettingError(_("there is no setting named {key}",
                                    key=repr(key)), field=str(key)) \
            from None


def validate_setting(key: str, value) -> Any:
    """``value`` if it is right for ``key``, else ValidationError naming the key."""
    spec = _schema(key)
    type_ok = isinstance(value, spec.type) and not (
        spec.type is int and isinstance(value, bool))
    if spec.type is list and type_ok:
        type_ok = all(isinstance(item, str) for item in value)
    if not type_ok:
        wanted = {str: _("text"), int: _("a whole number"), bool: _("true or false"),
                  list: _("a list of names")}[spec.type]
        raise ValidationError(_("setting {key} must be {wanted}, not {name} {value}",
                                key=key, wanted=wanted, name=type(value).__name__,
                                value=repr(value)), field=key)
    problem = spec.check(value)
    if problem:
        raise ValidationError(_("setting {key} {problem}", key=key, problem=problem), field=key)
    return list(value) if spec.type is list else value


def _copy(value):
    return list(value) if isinstance(value, list) else value


class Settings:
    def __init__(self, db: TinyDB, lock: threading.RLock):
        self._table = db.table(TABLE)
        self._lock = lock

    def _stored(self) -> dict:
        return dict(self._table.get(doc_id=_DOC_ID) or {})

    def get(self, key: str) -> Any:
        spec = _schema(key)
        stored = self._stored()
        if key not in stored:
            return _copy(spec.default)
        try:
            return _copy(validate_setting(key, stored[key]))
        except ValidationError as exc:
            # A hand-edited file: keep the till working on the default, and say so.
            log.warning("ignoring stored value of %s: %s", key, exc.message)
            return _copy(spec.default)

    def all(self) -> dict[str, Any]:
        return {key: self.get(key) for key in SETTINGS_SCHEMA}

    def set(self, key: str, value) -> None:
        self.update({key: value})

    def update(self, values: dict) -> None:
        """Set several settings at once: all are checked first, then one write."""
        if not isinstance(values, dict):
            raise ValidationError(_("settings must be given as an object of key: value"))
        checked = {key: validate_setting(key, value) for key, value in values.items()}
        with self._lock:
            self._table.upsert(Document(checked, doc_id=_DOC_ID))
        log.info("settings changed: %s", ", ".join(sorted(checked)))
