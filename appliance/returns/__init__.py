"""Returns without a receipt and exchanges (issue 10 point 2; docs/returns.md).

Finding the original sale (member phone, date, product, order number), exchanging in one
transaction (return lines plus new lines, only the difference settled), store credit as a
refund tender, manager approval above the refund limit, reasons recorded.
"""

from __future__ import annotations

import logging

from ..ledger import Ledger
from ..master import MasterData

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")


class Returns:
    def __init__(self, ledger: Ledger, master: MasterData, timezone: str, *, orders):
        self.ledger = ledger
        self.master = master
        self.timezone = timezone
        self.orders = orders
