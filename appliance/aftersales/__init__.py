"""After-sales (售后) tickets: complaint, repair, warranty (issue 10 point 3;
docs/aftersales.md). Linked to the order and, for serialised goods, to the serial number
captured at the sale; status open, in progress, resolved, closed, with notes and who did what.
"""

from __future__ import annotations

import logging

from ..ledger import Ledger
from ..master import MasterData

log = logging.getLogger(__name__)


class AfterSales:
    def __init__(self, ledger: Ledger, master: MasterData, timezone: str):
        self.ledger = ledger
        self.master = master
        self.timezone = timezone
