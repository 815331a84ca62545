"""/api/v1 routes of issue 10 (the e-receipt page's requests relayed by head office)."""

from __future__ import annotations

from ..access import access  # noqa: F401
from . import bp  # noqa: F401
