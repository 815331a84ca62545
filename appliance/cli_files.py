"""Opening the files a command names: a file that cannot be opened is bad input (exit 2)."""

from __future__ import annotations

from .errors import UsageError


def open_output(path, *, excel: bool = False):
    """A text file to write; ``excel`` adds a UTF-8 BOM so spreadsheets show the Chinese."""
    try:
        return open(path, "w", encoding="utf-8-sig" if excel else "utf-8", newline="")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None


def open_input(path):
    """A text file to read (a BOM, as spreadsheets write it, is skipped)."""
    try:
        return open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
