"""Promotion rules and member levels: API JSON in, normalised internal dicts out, and back.

Internal form (what journal records and the ``promotions`` table hold): money in int fen,
percentages in basis points (1000 = 10 %), times as ISO strings with their zone. API JSON has
decimal strings for amounts (``"30.00"``) and percentages (``"10"``, ``"12.5"``). Every field
is checked here, once, with a message that names it: the engine trusts normalised rules.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from .. import money
from ..errors import ValidationError
from ..i18n import _

#: Kinds a rule can be. The first six are pricing steps; the last two are not (top-up bonus
#: and gifts members take for points).
KINDS = ("percent_off", "amount_off", "fixed_price", "threshold", "multi_buy", "coupon",
         "topup_bonus", "points_gift")
PRICING_KINDS = frozenset(KINDS[:6])

#: Lower runs first (ties by id). The member level discount runs at 15.
DEFAULT_PRIORITY = {"fixed_price": 10, "percent_off": 20, "amount_off": 20, "multi_buy": 30,
                    "threshold": 40, "coupon": 50, "topup_bonus": 60, "points_gift": 60}
LEVEL_PRIORITY = 15

COMMON = ("id", "name", "name_en", "kind", "active", "priority", "group", "valid_from",
          "valid_to", "days", "hours", "levels", "products", "categories")
#: Fields GET /promotions adds; accepted back (a client may PUT what it got) and dropped.
READ_ONLY = ("source", "live")
KIND_FIELDS = {
    "percent_off": ("percent",),
    "amount_off": ("amount", "per"),
    "fixed_price": ("price",),
    "threshold": ("tiers", "repeat", "cap"),
    "multi_buy": ("group_size", "discounted", "percent"),
    "coupon": ("codes", "max_uses", "max_uses_per_member", "min_spend", "percent", "amount"),
    "topup_bonus": ("tiers",),
    "points_gift": ("product_id", "variant_id", "points"),
}

MAX_NAME = 60
MAX_LIST = 500               # products / categories / codes in one rule
MAX_TIERS = 20
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
_REF_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}(:[A-Za-z0-9_.-]{1,64})?$")   # "p-1" or "p-1:v-2"
_CODE_RE = re.compile(r"^[A-Z0-9-]{3,32}$")
_HOUR_RE = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
_PERCENT_RE = re.compile(r"^([0-9]{1,3})(?:\.([0-9]{1,2}))?$")
_DECIMAL_RE = re.compile(r"^([0-9]{1,6})(?:\.([0-9]{1,2}))?$")


def new_rule_id() -> str:
    return "pr-" + secrets.token_hex(6)


def new_level_id() -> str:
    return "lv-" + secrets.token_hex(6)


# -- field checks ----------------------------------------------------------------------------

def _bad(message: str, field: str) -> ValidationError:
    return ValidationError(message, field=field)


def _text(doc: dict, field: str, *, required: bool = False, max_len: int = MAX_NAME) -> str:
    value = doc.get(field)
    if value is None:
        if required:
            raise _bad(_("{field} is required", field=field), field)
        return ""
    if not isinstance(value, str):
        raise _bad(_("{field} must be text", field=field), field)
    value = value.strip()
    if required and not value:
        raise _bad(_("{field} must not be empty", field=field), field)
    if len(value) > max_len:
        raise _bad(_("{field} is longer than {n} characters", field=field, n=max_len), field)
    return value


def _bool(doc: dict, field: str, default: bool) -> bool:
    value = doc.get(field, default)
    if not isinstance(value, bool):
        raise _bad(_("{field} must be true or false", field=field), field)
    return value


def _int(doc: dict, field: str, default: int | None, lo: int, hi: int) -> int:
    value = doc.get(field, default)
    if value is None:
        raise _bad(_("{field} is required", field=field), field)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(_("{field} must be a whole number", field=field), field)
    if not lo <= value <= hi:
        raise _bad(_("{field} must be between {lo} and {hi}", field=field, lo=lo, hi=hi),
                   field)
    return value


def _amount(value, field: str, *, allow_zero: bool = True) -> int:
    if value is None:
        raise _bad(_("{field} is required", field=field), field)
    return money.parse_amount(value, field=field, allow_zero=allow_zero)


def parse_percent(value, field: str, *, allow_zero: bool = False) -> int:
    """``"12.5"`` (percent, up to two decimals, 0-100) -> 1250 basis points."""
    if not isinstance(value, str):
        raise _bad(_("{field} must be a percentage as text, like \"10\" or \"12.5\"",
                     field=field), field)
    m = _PERCENT_RE.match(value.strip())
    if not m:
        raise _bad(_("{field} \"{value}\" is not a percentage: use a number from 0 to 100 with"
                     " at most two decimals", field=field, value=value), field)
    bp = int(m.group(1)) * 100 + int((m.group(2) or "0").ljust(2, "0"))
    if bp > 10000:
        raise _bad(_("{field} must be at most 100", field=field), field)
    if bp == 0 and not allow_zero:
        raise _bad(_("{field} must be more than 0", field=field), field)
    return bp


def format_hundredths(n: int) -> str:
    """1250 -> ``"12.5"``, 1000 -> ``"10"``, 5 -> ``"0.05"`` (basis points as percent)."""
    whole, frac = divmod(n, 100)
    return f"{whole}.{frac:02d}".rstrip("0").rstrip(".") if frac else str(whole)


def _parse_hundredths(value, field: str, hi: int) -> int:
    """``"2"`` or ``"1.5"`` -> 200 / 150 (a rate with up to two decimals, like points/yuan)."""
    if not isinstance(value, str):
        raise _bad(_("{field} must be a number as text, like \"2\" or \"1.5\"", field=field),
                   field)
    m = _DECIMAL_RE.match(value.strip())
    if not m:
        raise _bad(_("{field} \"{value}\" is not a number with at most two decimals",
                     field=field, value=value), field)
    n = int(m.group(1)) * 100 + int((m.group(2) or "0").ljust(2, "0"))
    if n > hi:
        raise _bad(_("{field} must be at most {hi}", field=field, hi=format_hundredths(hi)),
                   field)
    return n


def _when(doc: dict, field: str) -> str | None:
    value = doc.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(_("{field} must be a date and time like \"2026-11-01T00:00:00+08:00\"",
                     field=field), field)
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _bad(_("{field} \"{value}\" is not a date and time like"
                     " \"2026-11-01T00:00:00+08:00\"", field=field, value=value),
                   field) from None
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise _bad(_("{field} must carry a time zone, like \"2026-11-01T00:00:00+08:00\"",
                     field=field), field)
    return dt.isoformat()


def _days(doc: dict) -> list[int]:
    value = doc.get("days", [])
    if not isinstance(value, list) or any(isinstance(d, bool) or not isinstance(d, int)
                                          or not 1 <= d <= 7 for d in value):
        raise _bad(_("{field} must be a list of weekdays 1 (Monday) to 7 (Sunday)",
                     field="days"), "days")
    if len(set(value)) != len(value):
        raise _bad(_("{field} lists a day twice", field="days"), "days")
    return sorted(value)


def _hours(doc: dict) -> list[str] | None:
    value = doc.get("hours")
    if value is None:
        return None
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(h, str) for h in value)):
        raise _bad(_("{field} must be [start, end] times like [\"10:00\", \"14:00\"]",
                     field="hours"), "hours")
    start, end = (h.strip() for h in value)
    if not _HOUR_RE.match(start) or not (_HOUR_RE.match(end) or end == "24:00"):
        raise _bad(_("{field} must be [start, end] times like [\"10:00\", \"14:00\"]",
                     field="hours"), "hours")
    if start == end:
        raise _bad(_("{field}: the start and end times are the same", field="hours"), "hours")
    return [start, end]


def _refs(doc: dict, field: str, pattern=_REF_RE) -> list[str]:
    value = doc.get(field, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad(_("{field} must be a list of ids", field=field), field)
    value = [v.strip() for v in value]
    if len(value) > MAX_LIST:
        raise _bad(_("{field} lists more than {n} entries", field=field, n=MAX_LIST), field)
    for v in value:
        if not pattern.match(v):
            raise _bad(_("{field}: \"{value}\" is not a valid id", field=field, value=v), field)
    if len(set(value)) != len(value):
        raise _bad(_("{field} lists an id twice", field=field), field)
    return value


def _levels(doc: dict) -> list[str]:
    levels = _refs(doc, "levels", re.compile(r"^(\*|[A-Za-z0-9_.-]{1,64})$"))
    if "*" in levels and len(levels) > 1:
        raise _bad(_("{field}: \"*\" (any member) cannot be combined with levels",
                     field="levels"), "levels")
    return levels


def _tiers(doc: dict, second: str) -> list[dict]:
    value = doc.get("tiers")
    if not isinstance(value, list) or not value:
        raise _bad(_("{field} must be a non-empty list", field="tiers"), "tiers")
    if len(value) > MAX_TIERS:
        raise _bad(_("{field} lists more than {n} entries", field="tiers", n=MAX_TIERS),
                   "tiers")
    tiers = []
    for i, t in enumerate(value):
        where = f"tiers[{i}]"
        if not isinstance(t, dict) or set(t) != {"min", second}:
            raise _bad(_("{field} must be an object with {keys}", field=where,
                         keys=f"min, {second}"), where)
        lo = _amount(t["min"], f"{where}.min", allow_zero=False)
        off = _amount(t[second], f"{where}.{second}", allow_zero=False)
        if second == "off" and off >= lo:
            raise _bad(_("{field}: the amount off must be less than the minimum spend",
                         field=where), f"{where}.off")
        if tiers and lo <= tiers[-1]["min"]:
            raise _bad(_("{field}: minimum spends must be strictly increasing", field=where),
                       f"{where}.min")
        tiers.append({"min": lo, second: off})
    return tiers


def _code(value, field: str) -> str:
    if not isinstance(value, str):
        raise _bad(_("{field} must be text", field=field), field)
    code = value.strip().upper()
    if not _CODE_RE.match(code):
        raise _bad(_("{field} \"{value}\" must be 3 to 32 letters, digits or dashes",
                     field=field, value=value), field)
    return code


def normalize_code(value) -> str:
    """A coupon code as typed -> its stored form (upper case), or ValidationError."""
    return _code(value, "code")


# -- rules -----------------------------------------------------------------------------------

def normalize_rule(doc: dict, *, existing_id: str | None = None) -> dict:
    """API JSON -> normalised rule. Raises ValidationError naming the first bad field."""
    if not isinstance(doc, dict):
        raise _bad(_("the promotion must be a JSON object"), "rule")
    kind = doc.get("kind")
    if kind not in KINDS:
        raise _bad(_("{field} must be one of {choices}", field="kind",
                     choices=", ".join(KINDS)), "kind")
    allowed = set(COMMON) | set(READ_ONLY) | set(KIND_FIELDS[kind])
    unknown = sorted(k for k in doc if k not in allowed)
    if unknown:
        raise _bad(_("{field} is not a field of a {kind} promotion", field=unknown[0],
                     kind=kind), unknown[0])
    if existing_id is not None:
        rule_id = existing_id
    elif doc.get("id") is not None:
        rule_id = doc["id"]
        if not isinstance(rule_id, str) or not _ID_RE.match(rule_id):
            raise _bad(_("{field} must be 1 to 64 letters, digits, dashes or dots",
                         field="id"), "id")
    else:
        rule_id = new_rule_id()
    rule = {
        "id": rule_id,
        "name": _text(doc, "name", required=True),
        "name_en": _text(doc, "name_en"),
        "kind": kind,
        "active": _bool(doc, "active", True),
        "priority": _int(doc, "priority", DEFAULT_PRIORITY[kind], 0, 999),
        "group": _text(doc, "group", max_len=40),
        "valid_from": _when(doc, "valid_from"),
        "valid_to": _when(doc, "valid_to"),
        "days": _days(doc),
        "hours": _hours(doc),
        "levels": _levels(doc),
        "products": _refs(doc, "products"),
        "categories": _refs(doc, "categories"),
    }
    if (rule["valid_from"] and rule["valid_to"] and datetime.fromisoformat(rule["valid_to"])
            <= datetime.fromisoformat(rule["valid_from"])):
        raise _bad(_("{field} must be later than {other}", field="valid_to",
                     other="valid_from"), "valid_to")
    rule.update(_KIND_NORMALIZERS[kind](doc))
    return rule


def _percent_off(doc: dict) -> dict:
    return {"percent_bp": parse_percent(doc.get("percent"), "percent")}


def _amount_off(doc: dict) -> dict:
    per = doc.get("per", "scope")
    if per not in ("unit", "scope"):
        raise _bad(_("{field} must be one of {choices}", field="per", choices="unit, scope"),
                   "per")
    return {"amount": _amount(doc.get("amount"), "amount", allow_zero=False), "per": per}


def _fixed_price(doc: dict) -> dict:
    return {"price": _amount(doc.get("price"), "price")}


def _threshold(doc: dict) -> dict:
    return {"tiers": _tiers(doc, "off"), "repeat": _bool(doc, "repeat", False),
            "cap": _amount(doc.get("cap", "0"), "cap")}


def _multi_buy(doc: dict) -> dict:
    size = _int(doc, "group_size", None, 2, 99)
    discounted = _int(doc, "discounted", 1, 1, 98)
    if discounted >= size:
        raise _bad(_("{field} must be less than {other}", field="discounted",
                     other="group_size"), "discounted")
    return {"group_size": size, "discounted": discounted,
            "percent_bp": parse_percent(doc.get("percent"), "percent")}


def _coupon(doc: dict) -> dict:
    codes = doc.get("codes")
    if not isinstance(codes, list) or not codes:
        raise _bad(_("{field} must be a non-empty list", field="codes"), "codes")
    if len(codes) > MAX_LIST:
        raise _bad(_("{field} lists more than {n} entries", field="codes", n=MAX_LIST), "codes")
    norm = [_code(c, f"codes[{i}]") for i, c in enumerate(codes)]
    if len(set(norm)) != len(norm):
        raise _bad(_("{field} lists a code twice", field="codes"), "codes")
    percent = doc.get("percent", "0")
    percent_bp = parse_percent(percent, "percent", allow_zero=True)
    amount = _amount(doc.get("amount", "0"), "amount")
    if (percent_bp == 0) == (amount == 0):
        raise _bad(_("{field}: give exactly one of percent or amount", field="percent"),
                   "percent")
    return {"codes": norm,
            "max_uses": _int(doc, "max_uses", 0, 0, 10_000_000),
            "max_uses_per_member": _int(doc, "max_uses_per_member", 0, 0, 10_000_000),
            "min_spend": _amount(doc.get("min_spend", "0"), "min_spend"),
            "percent_bp": percent_bp, "amount": amount}


def _topup_bonus(doc: dict) -> dict:
    return {"tiers": _tiers(doc, "bonus")}


def _points_gift(doc: dict) -> dict:
    product_id = _text(doc, "product_id", required=True, max_len=64)
    variant_id = _text(doc, "variant_id", max_len=64)
    for field, value in (("product_id", product_id), ("variant_id", variant_id)):
        if value and not _REF_RE.match(value):
            raise _bad(_("{field}: \"{value}\" is not a valid id", field=field, value=value),
                       field)
    return {"product_id": product_id, "variant_id": variant_id,
            "points": _int(doc, "points", None, 1, 100_000_000)}


_KIND_NORMALIZERS = {"percent_off": _percent_off, "amount_off": _amount_off,
                     "fixed_price": _fixed_price, "threshold": _threshold,
                     "multi_buy": _multi_buy, "coupon": _coupon, "topup_bonus": _topup_bonus,
                     "points_gift": _points_gift}

_AMOUNT_FIELDS = ("amount", "price", "cap", "min_spend")


def rule_to_json(rule: dict) -> dict:
    """Normalised rule -> API JSON (amounts and percentages as decimal strings).

    Extra keys a store adds (``source``) pass through; ``rule_to_json`` then
    :func:`normalize_rule` gives back the same rule.
    """
    out = {}
    for key, value in rule.items():
        if key == "percent_bp":
            out["percent"] = format_hundredths(value)
        elif key in _AMOUNT_FIELDS and isinstance(value, int):
            out[key] = money.format_amount(value)
        elif key == "tiers":
            out[key] = [{k: money.format_amount(v) for k, v in t.items()} for t in value]
        elif isinstance(value, list):
            out[key] = list(value)
        else:
            out[key] = value
    return out


# -- liveness --------------------------------------------------------------------------------

def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def window(rule: dict) -> tuple:
    """The parsed validity window of a rule: (from_utc, to_utc, days, hours in minutes)."""
    vf, vt = rule.get("valid_from"), rule.get("valid_to")
    hours = rule.get("hours")
    return (datetime.fromisoformat(vf) if vf else None,
            datetime.fromisoformat(vt) if vt else None,
            frozenset(rule.get("days") or ()),
            (_minutes(hours[0]), _minutes(hours[1])) if hours else None)


def in_window(win: tuple, now: datetime, local: datetime) -> bool:
    start, end, days, hours = win
    if start is not None and now < start:
        return False
    if end is not None and now >= end:
        return False
    weekday = local.isoweekday()
    if hours is not None:
        minute = local.hour * 60 + local.minute
        lo, hi = hours
        # [lo, hi) in shop-local time; lo > hi runs over midnight (22:00-02:00), and the
        # hours after midnight belong to the evening before: a Friday-night rule still
        # runs at 01:00 on Saturday, and not at 01:00 on Friday.
        if lo < hi:
            if not lo <= minute < hi:
                return False
        elif minute < hi:
            weekday = weekday - 1 or 7
        elif minute < lo:
            return False
    return not days or weekday in days


def aware(now: datetime) -> datetime:
    """A naive time is taken as UTC (the box's clocks are UTC)."""
    return now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)


def is_live(rule: dict, now: datetime, tz: ZoneInfo) -> bool:
    """Switched on and inside its validity window, weekdays and daily hours (shop-local)."""
    if not rule.get("active", True):
        return False
    now = aware(now)
    return in_window(window(rule), now, now.astimezone(tz))


# -- member levels ---------------------------------------------------------------------------

LEVEL_FIELDS = ("id", "name", "name_en", "sort", "active", "discount_percent",
                "points_per_yuan", "excluded_categories")


def normalize_level(doc: dict, *, existing_id: str | None = None) -> dict:
    """Level API JSON -> internal (discount_bp: 9500 = 95折; points_per_yuan_c: x100)."""
    if not isinstance(doc, dict):
        raise _bad(_("the member level must be a JSON object"), "level")
    unknown = sorted(k for k in doc if k not in LEVEL_FIELDS)
    if unknown:
        raise _bad(_("{field} is not a field of a member level", field=unknown[0]),
                   unknown[0])
    if existing_id is not None:
        level_id = existing_id
    elif doc.get("id") is not None:
        level_id = doc["id"]
        if not isinstance(level_id, str) or not _ID_RE.match(level_id):
            raise _bad(_("{field} must be 1 to 64 letters, digits, dashes or dots",
                         field="id"), "id")
    else:
        level_id = new_level_id()
    off = parse_percent(doc.get("discount_percent", "0"), "discount_percent", allow_zero=True)
    if off >= 10000:
        raise _bad(_("{field} must be less than 100", field="discount_percent"),
                   "discount_percent")
    return {"id": level_id, "name": _text(doc, "name", required=True),
            "name_en": _text(doc, "name_en"),
            "sort": _int(doc, "sort", 0, 0, 9999),
            "active": _bool(doc, "active", True),
            "discount_bp": 10000 - off,
            "points_per_yuan_c": _parse_hundredths(doc.get("points_per_yuan", "1"),
                                                   "points_per_yuan", 100_00),
            "excluded_categories": _refs(doc, "excluded_categories")}


def level_to_json(level: dict) -> dict:
    out = {k: v for k, v in level.items() if k not in ("discount_bp", "points_per_yuan_c")}
    out["discount_percent"] = format_hundredths(10000 - level["discount_bp"])
    out["points_per_yuan"] = format_hundredths(level["points_per_yuan_c"])
    out["excluded_categories"] = list(level.get("excluded_categories", []))
    return out
