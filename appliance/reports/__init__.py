"""Sales reports (issue 9; docs/reports.md): figures by period, category, product, staff,
tender and member level, read from the projections in ledger.db."""

from __future__ import annotations


class Reports:
    def __init__(self, ledger, master, timezone: str = "Asia/Shanghai"):
        self.ledger = ledger
        self.master = master
        self.timezone = timezone
