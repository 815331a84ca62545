"""The sales ledger: an append-only, hash-chained journal plus projections, in SQLite."""

from .records import GENESIS_HASH, Record, canonical_json, compute_hash
from .store import Ledger, LedgerError, iter_records, open_readonly
from .verify import VerifyResult, verify

__all__ = ["GENESIS_HASH", "Record", "canonical_json", "compute_hash", "Ledger", "LedgerError",
           "iter_records", "open_readonly", "VerifyResult", "verify"]
