"""Promotions (issue 7): rules, the pure pricing engine built from them, and their storage.

Kept import-light: ``rules`` and ``engine`` need only the standard library and the money and
pricing modules; ``store`` reads a sqlite3 connection; ``commands`` writes through the ledger.
"""
