"""Projections of aftersales records (issue 10)."""

from __future__ import annotations

from .projections import handles  # noqa: F401
from .records import Record  # noqa: F401
