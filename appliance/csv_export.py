"""CSV files people open in a spreadsheet: UTF-8 with a BOM (so Excel shows the Chinese),
CRLF line ends, and text that a spreadsheet would run as a formula made harmless."""

from __future__ import annotations

import csv
import io
import re
from typing import Iterable, Sequence

_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def csv_safe(value):
    """Text a spreadsheet would run as a formula gets a leading quote (CSV injection);
    numbers, negative ones too, stay numbers."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") \
            and not _NUMBER.match(value):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\r\n")
    out.writerow(header)
    for row in rows:
        out.writerow([csv_safe(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
