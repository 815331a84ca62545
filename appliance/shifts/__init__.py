"""Shifts and cash control (issue 9; docs/shifts.md): a shift opens with a float, cash is paid
in and out with a reason, the handover (交班) is a blind count; X and Z reports are journal
records."""

from __future__ import annotations


class ShiftDesk:
    def __init__(self, ledger, master, timezone: str = "Asia/Shanghai"):
        self.ledger = ledger
        self.master = master
        self.timezone = timezone
