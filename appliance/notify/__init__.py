"""Notifications to customers (issue 10 point 5; docs/notifications.md): queued durably in
ledger.db in the same transaction as the record that causes them, then sent and retried by
notifyd (e-mail over SMTP, SMS through the USB modem) or relayed through head office on the
``notify`` topic (SMS without a modem, WeChat).
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class Outbox:
    """The queue: what is waiting, claiming, results, retries (core's side)."""

    def __init__(self, ledger, master, config):
        self.ledger = ledger
        self.master = master
        self.config = config


def install(box) -> None:
    """Queue notifications for the records the real ledger appends (never training's)."""
