"""Read models of members and levels, loaded from the projections, and the checks on the
fields people type (phone, birthday, card code)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

from ..errors import ValidationError
from ..i18n import _
from ..money import format_amount
from ..validate import text

_FULL_WIDTH = str.maketrans("０１２３４５６７８９＋－（）　", "0123456789+-() ")
_PHONE_RE = re.compile(r"^\+?[0-9]{5,15}$")
_CARD_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$")
DEFAULT_LEVEL = {"id": "lv-normal", "name": "普通会员", "name_en": "Member", "sort": 0,
                 "active": True, "discount_bp": 10000, "points_per_yuan_c": 100,
                 "excluded_categories": []}


def normalize_phone(value, field: str = "phone") -> str:
    """Digits with an optional leading +: "138 0013-8000" and "13800138000" are one member."""
    raw = text(value, field, 32, required=True).translate(_FULL_WIDTH)
    phone = re.sub(r"[\s()-]", "", raw)
    if not _PHONE_RE.match(phone):
        raise ValidationError(_("phone \"{phone}\" is not a phone number: use 5 to 15 digits,"
                                " with a + in front for a country code", phone=value),
                              field=field)
    return phone


def phone_digits_sql(column: str) -> str:
    """SQL for a phone column without the spaces and dashes it may have been typed with
    (order and delivery phones written before they were kept as digits)."""
    return f"REPLACE(REPLACE({column}, ' ', ''), '-', '')"


_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def normalize_email(value) -> str:
    """An optional e-mail address ("" for none), lower-cased domain."""
    raw = text(value, "email", 120)
    if not raw:
        return ""
    if not _EMAIL_RE.fullmatch(raw):
        raise ValidationError(_("\"{email}\" is not an e-mail address like name@example.com",
                                email=raw), field="email")
    name, _at, domain = raw.rpartition("@")
    return f"{name}@{domain.lower()}"


def normalize_card(value) -> str | None:
    code = text(value, "card_code", 32)
    if not code:
        return None
    if not _CARD_RE.match(code):
        raise ValidationError(_("card code \"{code}\" must be 3 to 32 letters, digits, dots,"
                                " dashes or underscores", code=code), field="card_code")
    return code


def normalize_birthday(value) -> str:
    """'' or YYYY-MM-DD or MM-DD (many people give no year)."""
    value = text(value, "birthday", 10)
    if not value:
        return ""
    try:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            if date.fromisoformat(value) > date.today():
                raise ValueError
            return value
        if re.fullmatch(r"[0-9]{2}-[0-9]{2}", value):
            date.fromisoformat(f"2000-{value}")   # a leap year: 02-29 is a birthday
            return value
    except ValueError:
        pass
    raise ValidationError(_("birthday \"{value}\" is not a date: use YYYY-MM-DD or MM-DD",
                            value=value), field="birthday")


@dataclass
class Member:
    id: str
    phone: str
    card_code: str | None
    name: str
    birthday: str
    level_id: str
    note: str
    points: int
    balance: int          # fen
    active: bool
    joined_at: str
    joined_by: str
    level_name: str = ""
    email: str = ""        # optional, for notifications (issue 10)

    def to_json(self) -> dict:
        return {"id": self.id, "name": self.name, "phone": self.phone, "email": self.email,
                "card_code": self.card_code, "birthday": self.birthday,
                "level_id": self.level_id, "level_name": self.level_name, "note": self.note,
                "active": self.active, "points": self.points,
                "balance": format_amount(self.balance), "joined_at": self.joined_at}

    def fields(self) -> dict:
        """The fields a member.updated record carries (all of them, new values)."""
        return {"member_id": self.id, "phone": self.phone, "name": self.name,
                "birthday": self.birthday, "card_code": self.card_code,
                "level_id": self.level_id, "note": self.note, "active": self.active,
                **({"email": self.email} if self.email else {})}


COLUMNS = ("m.id, m.phone, m.card_code, m.name, m.birthday, m.level_id, m.note, m.points,"
           " m.balance, m.active, m.joined_at, m.joined_by, m.email, l.doc")
FROM = "members m LEFT JOIN member_levels l ON l.id = m.level_id"


def _member(row) -> Member:
    *values, email, doc = row
    values[9] = bool(values[9])
    level = json.loads(doc) if doc else {}
    return Member(*values, level_name=level.get("name", ""), email=email or "")


def load_member(conn, member_id: str) -> Member | None:
    row = conn.execute(f"SELECT {COLUMNS} FROM {FROM} WHERE m.id = ?", (member_id,)).fetchone()
    return _member(row) if row else None


def by_phone_or_card(conn, code: str) -> Member | None:
    row = conn.execute(f"SELECT {COLUMNS} FROM {FROM} WHERE m.phone = ?", (code,)).fetchone()
    if row is None:
        row = conn.execute(f"SELECT {COLUMNS} FROM {FROM} WHERE m.card_code = ?",
                           (code,)).fetchone()
    return _member(row) if row else None


def search(conn, q: str, limit: int = 50) -> list[Member]:
    """Phone prefix, part of the name, or an exact card code; newest members first."""
    q = q.strip()
    sql, params = " WHERE m.erased_at IS NULL", ()    # an erased member is no one to find
    if q:
        digits = re.sub(r"[\s()-]", "", q.translate(_FULL_WIDTH))
        like = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        sql += " AND (m.name LIKE ? ESCAPE '\\' OR m.card_code = ?"
        params = (f"%{like}%", q)
        if re.fullmatch(r"\+?[0-9]+", digits):
            sql += " OR m.phone LIKE ?"
            params += (f"{digits}%",)
        sql += ")"
    rows = conn.execute(f"SELECT {COLUMNS} FROM {FROM}{sql} ORDER BY m.joined_at DESC, m.id"
                        " LIMIT ?", (*params, limit)).fetchall()
    return [_member(r) for r in rows]


def levels(conn) -> list[dict]:
    return [json.loads(doc) for (doc,) in conn.execute(
        "SELECT doc FROM member_levels ORDER BY sort, id")]


def level(conn, level_id: str) -> dict | None:
    row = conn.execute("SELECT doc FROM member_levels WHERE id = ?", (level_id,)).fetchone()
    return json.loads(row[0]) if row else None


def level_of_member(conn, member_id: str | None) -> dict | None:
    if not member_id:
        return None
    row = conn.execute("SELECT l.doc FROM members m JOIN member_levels l ON l.id = m.level_id"
                       " WHERE m.id = ?", (member_id,)).fetchone()
    return json.loads(row[0]) if row else None
