"""Time of `tillbox ledger verify` (the whole chain) over a journal of N records."""

from __future__ import annotations

import argparse
import subprocess
import sys

from common import ROOT, Timer, emit
from ledger_fill import cached_shop

from appliance.ledger import iter_records, open_readonly, verify


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=1_000_000)
    args = ap.parse_args()
    shop = cached_shop(args.size)
    conn = open_readonly(shop / "ledger.db")
    with Timer() as t:
        res = verify(iter_records(conn, stored=True))
    conn.close()
    # The same through the CLI, as an operator runs it (includes interpreter start-up).
    cfg = shop / "bench.toml"
    cfg.write_text(f'[paths]\ndata = "{shop}"\n[shop]\ndevice_id = "till-1"\n')
    with Timer() as cli:
        proc = subprocess.run([sys.executable, "-m", "appliance.cli", "--config", str(cfg),
                               "ledger", "verify"], cwd=ROOT, capture_output=True, text=True)
    emit("ledger_verify", {"records": res.checked, "ok": res.ok,
                           "seconds": round(t.seconds, 2),
                           "records_per_second": round(res.checked / t.seconds),
                           "cli_seconds": round(cli.seconds, 2), "cli_exit": proc.returncode})


if __name__ == "__main__":
    main()
