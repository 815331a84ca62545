"""Delivery and pick-up (issue 10 point 4; docs/delivery.md): orders marked for delivery or
for pick-up in the shop, carrier and tracking number, status updates, and orders pushed from
head office (``cmd/order.create``) that appear at the counter with a pick slip.
"""

from __future__ import annotations

import logging

from ..ledger import Ledger
from ..master import MasterData

log = logging.getLogger(__name__)


class Fulfilment:
    def __init__(self, ledger: Ledger, master: MasterData, timezone: str, *, orders):
        self.ledger = ledger
        self.master = master
        self.timezone = timezone
        self.orders = orders
