"""Checks for text that people type (names, notes, reasons, references), shared by the order
engine and the master data so both refuse the same things with the same words."""

from __future__ import annotations

from .errors import ValidationError
from .i18n import _


def text(value, field: str, limit: int, *, required: bool = False,
         multiline: bool = False) -> str:
    """Stripped text of at most ``limit`` characters; ``None`` counts as empty.

    Control characters are refused (they break receipts and CSV files); ``multiline``
    allows line breaks and tabs, for notes.
    """
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(_("{field} must be text", field=field), field=field)
    value = value.strip()
    if required and not value:
        raise ValidationError(_("{field} must not be empty", field=field), field=field)
    if len(value) > limit:
        raise ValidationError(
            _("{field} is {value} characters long; at most {limit} are allowed",
              field=field, value=len(value), limit=limit), field=field)
    allowed = "\n\t" if multiline else ""
    if any((ch < " " or ch == "\x7f") and ch not in allowed for ch in value):
        raise ValidationError(
            _("{field} must not contain control characters", field=field) if multiline
            else _("{field} must be one line without control characters", field=field),
            field=field)
    return value


def whole(value, field: str, *, low: int, high: int) -> int:
    """A whole number (not a bool) from ``low`` to ``high``, or a ValidationError naming it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(_("{field} must be a whole number", field=field), field=field)
    if not low <= value <= high:
        raise ValidationError(_("{field} must be from {low} to {high}", field=field, low=low,
                                high=high), field=field)
    return value
