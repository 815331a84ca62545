"""Rebuilding a dead box from head office's copy of its journal (issue 11;
docs/replacing-a-box.md): how long the owner waits, for a shop of N records.

The cached shop (bench/ledger_fill.py) is written as a device journal file (the format
`tillbox headoffice export-device` writes), then `tillbox ledger import FILE` runs in a fresh
data directory as an operator runs it: the whole file checked first, every record inserted
verbatim with its projections in one transaction. Reported: the file's size, the import's
wall time (interpreter start-up included) and records per second, the importer's peak RSS,
and `tillbox ledger verify --projections` on the result.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import CACHE, ROOT, Timer, emit
from ledger_fill import cached_shop

from appliance.ledger import iter_records, open_readonly
from appliance.replace import journal_file


def write_journal_file(ledger_db: Path, out: Path) -> dict:
    conn = open_readonly(ledger_db)
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        seq, head_hash = conn.execute(
            "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
        head = journal_file.header(meta.get("store_id", "demo-store"),
                                   meta.get("device_id", "till-1"), 1, seq, head_hash,
                                   "2026-11-27T00:00:00+00:00")
        with open(out, "w", encoding="utf-8") as fh:
            journal_file.write(fh, head, iter_records(conn))
    finally:
        conn.close()
    return head


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1_000_000)
    args = ap.parse_args()
    shop = cached_shop(args.records)
    CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="rebuild-", dir=CACHE))
    try:
        journal = work / "journal.jsonl"
        with Timer() as export:
            head = write_journal_file(shop / "ledger.db", journal)
        cfg = work / "new.toml"
        cfg.write_text(f'[paths]\ndata = "{work / "new"}"\n[shop]\n'
                       f'store_id = "{head["store"]}"\ndevice_id = "{head["device"]}"\n')
        cli = [sys.executable, "-m", "appliance.cli", "--config", str(cfg), "ledger"]
        with Timer() as imported:
            proc = subprocess.run(cli + ["import", str(journal)], cwd=ROOT,
                                  capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"bench rebuild: import failed: {proc.stderr.strip()}")
        rss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        with Timer() as verified:
            check = subprocess.run(cli + ["verify", "--projections"], cwd=ROOT,
                                   capture_output=True, text=True)
        emit("rebuild", {
            "records": head["head_seq"],
            "file_mib": round(journal.stat().st_size / 2 ** 20, 1),
            "write_file_s": round(export.seconds, 2),
            "import_s": round(imported.seconds, 2),
            "import_records_per_s": round(head["head_seq"] / imported.seconds),
            "import_peak_rss_mib": round(rss_kib / 1024, 1),
            "ledger_mib": round((work / "new" / "ledger.db").stat().st_size / 2 ** 20, 1),
            "verify_projections_s": round(verified.seconds, 2),
            "verify_exit": check.returncode})
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
