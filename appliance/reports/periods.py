"""Report periods in shop-local days, and the UTC side of them.

Journal timestamps are UTC text (``2026-11-26T02:30:00.000000Z``, appliance/clock.py), so a
period of shop-local days is a half-open range of that text, and SQL can group by a prefix of
it: the UTC hour (13 characters). Python then moves each bucket to the shop's clock. Shops
whose offset from UTC is not whole hours (India, Nepal) get minute buckets instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from ..clock import format_ts
from ..errors import ValidationError
from ..i18n import _

#: A report covers at most this many days (a year and a bit: this year against last).
MAX_DAYS = 400

PRESETS = ("today", "yesterday", "this_week", "last_week", "this_month", "last_month")


#: Days a report or a filter may name: a typo like 0026 or 9999 would otherwise overflow the
#: calendar once a day is added to it (a 500 instead of a clear refusal).
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)


def parse_day(value, field: str) -> date:
    if not isinstance(value, str):
        raise ValidationError(_("{field} must be a date like 2026-11-26", field=field),
                              field=field)
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(_("{field} must be a date like 2026-11-26", field=field),
                              field=field) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError(_("{field} must be a day from {first} to {last}", field=field,
                                first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat()),
                              field=field)
    return day


@dataclass(frozen=True)
class Period:
    first: date
    last: date              # inclusive
    tz: ZoneInfo

    @classmethod
    def of(cls, first: date, last: date, tz: ZoneInfo) -> "Period":
        if last < first:
            raise ValidationError(_("the period ends before it starts"), field="to")
        if (last - first).days + 1 > MAX_DAYS:
            raise ValidationError(_("a report covers at most {n} days", n=MAX_DAYS),
                                  field="to")
        return cls(first, last, tz)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def start(self) -> datetime:
        return datetime.combine(self.first, time(), self.tz)

    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), self.tz)

    def utc_range(self) -> tuple[str, str]:
        """[start, end) as journal timestamp text."""
        return format_ts(self.start()), format_ts(self.end())

    def hour_keys(self) -> tuple[str, str]:
        """[first, after-last) as shop-local hour keys of the ``visitors`` table."""
        return f"{self.first.isoformat()}T00", f"{(self.last + timedelta(days=1)).isoformat()}T00"

    def bucket_chars(self) -> int:
        """13 (UTC hours) when the shop's offset is whole hours all period long, else 16."""
        for moment in (self.start(), self.end(), self.start() + (self.end() - self.start()) / 2):
            if moment.utcoffset().total_seconds() % 3600:
                return 16
        return 13


def preset(name: str, today: date) -> tuple[date, date]:
    """The days of a named period around ``today`` (weeks start on Monday)."""
    if name == "today":
        return today, today
    if name == "yesterday":
        day = today - timedelta(days=1)
        return day, day
    monday = today - timedelta(days=today.weekday())
    if name == "this_week":
        return monday, today
    if name == "last_week":
        return monday - timedelta(days=7), monday - timedelta(days=1)
    first_of_month = today.replace(day=1)
    if name == "this_month":
        return first_of_month, today
    if name == "last_month":
        last = first_of_month - timedelta(days=1)
        return last.replace(day=1), last
    raise ValidationError(_("period must be one of {names}", names=", ".join(PRESETS)),
                          field="period")


def local_of_bucket(bucket: str, tz: ZoneInfo) -> datetime:
    """A UTC bucket (``2026-11-26T02`` or ``2026-11-26T02:30``) on the shop's clock."""
    fmt = "%Y-%m-%dT%H" if len(bucket) == 13 else "%Y-%m-%dT%H:%M"
    return datetime.strptime(bucket, fmt).replace(tzinfo=timezone.utc).astimezone(tz)


def week_key(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def month_key(day: date) -> str:
    return day.strftime("%Y-%m")
