"""The sales ledger: an append-only, hash-chained journal plus projections, in SQLite."""

from .records import GENESIS_HASH, Record, canonical_json, compute_hash
from .store import Ledger, LedgerError, iter_records, open_readonly
from .verify import VerifyResult, verify

__all__ = ["GENESIS_HASH", "Record", "canonical_json", "compute_hash", "Ledger", "LedgerError",
           "iter_records", "open_readonly", "VerifyResult", "verify", "verify_file"]


def verify_file(path) -> tuple[dict, VerifyResult]:
    """A ledger file's meta (device_id, store_id, ...) and its whole chain verified, read
    through its own read-only connection (backup, relink: before acting on it)."""
    conn = open_readonly(path)
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        return meta, verify(iter_records(conn, stored=True))
    finally:
        conn.close()
