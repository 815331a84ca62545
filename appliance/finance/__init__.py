"""Finance (issue 9; docs/finance.md): income and expense entries as journal records, and
profit by day and month."""

from __future__ import annotations


class Finance:
    def __init__(self, ledger, master, timezone: str = "Asia/Shanghai"):
        self.ledger = ledger
        self.master = master
        self.timezone = timezone
