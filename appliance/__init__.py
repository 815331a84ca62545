"""Tillbox appliance core: configuration, money, the ledger, master data and the order engine."""

__version__ = "0.1.0"
