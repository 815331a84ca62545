"""Wall-clock time for journal records.

A Pi has no battery-backed clock: until NTP answers it may boot in the past. Records carry a
``clock_synced`` flag, and the ledger never lets ``ts`` go backwards (it reuses the previous
record's time when the clock is behind).
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path


class SystemClock:
    def __init__(self, sync_flag: str | os.PathLike = "/run/systemd/timesync/synchronized",
                 assume_synced: bool = False):
        self.sync_flag = Path(sync_flag)
        self.assume_synced = assume_synced

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def synced(self) -> bool:
        return self.assume_synced or self.sync_flag.exists()


class FixedClock:
    """A clock tests can set and move, including backwards."""

    def __init__(self, start: datetime, synced: bool = True):
        self.current = start
        self._synced = synced

    def now(self) -> datetime:
        return self.current

    def synced(self) -> bool:
        return self._synced

    def advance(self, **kw) -> None:
        from datetime import timedelta
        self.current = self.current + timedelta(**kw)


def format_ts(dt: datetime) -> str:
    """UTC ISO-8601 with microseconds and a Z: sortable as text, exact in the hash."""
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_ts(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
