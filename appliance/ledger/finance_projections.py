"""Projections of the finance records (issue 9)."""

from __future__ import annotations

from .projections import handles  # noqa: F401
from .records import Record  # noqa: F401
