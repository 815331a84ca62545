"""/api/v1 for reports (issue 9)."""

from __future__ import annotations

from ..access import access
from . import body, box, bp
