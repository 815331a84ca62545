"""`make bench`: run every benchmark in bench/ and write one JSON report.

Each benchmark is a script that prints one JSON object per line; this collects them. Later
benchmarks add themselves to BENCHES. ``--quick`` runs them at toy sizes (used by the test
that keeps the scripts working; the figures that matter come from a full run).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

BENCHES = {
    "ledger_commit": (["--sizes", "1000,1000000"], ["--sizes", "200,600", "--samples", "20"]),
    "ledger_verify": (["--size", "1000000"], ["--size", "600"]),
    "barcode_lookup": (["--products", "100000"], ["--products", "500", "--lookups", "200"]),
    "api_load": (["--requests", "200", "--clients", "20"], ["--requests", "10", "--clients", "3"]),
    "page_weight": ([], []),
    "scan_latency": (["--samples", "300"], ["--samples", "10", "--lines-per-order", "4"]),
    "receipt_render": (["--repeat", "200"], ["--repeat", "5"]),
    "pricing": (["--samples", "2000"], ["--samples", "50"]),
    "uplink_drain": (["--records", "10000", "--windows", "100,20,500"], ["--records", "300"]),
    "uplink_latency": (["--samples", "200"], ["--samples", "10"]),
    "month_report": (["--orders", "100000"], ["--orders", "1000", "--products", "30",
                                              "--warm", "1"]),
    "audit_page": (["--records", "1000000"], ["--records", "600", "--sensitive", "10",
                                                "--repeat", "1"]),
    "after_sale": (["--records", "1000000"], ["--records", "600", "--customers", "10",
                                              "--repeat", "2"]),
    "rebuild": (["--records", "1000000"], ["--records", "600"]),
    # Builds the package and a root file system, boots them in systemd-nspawn (root only).
    "boot": (["--boots", "3"], ["--boots", "1", "--settle", "1"]),
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(HERE / "report.json"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", nargs="*", help="names of benchmarks to run")
    ap.add_argument("--skip", nargs="*", default=[], help="names of benchmarks not to run")
    args = ap.parse_args()
    report = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "quick": args.quick,
              "results": {}}
    failed = False
    for name, (full, quick) in BENCHES.items():
        if args.only and name not in args.only or name in args.skip:
            continue
        cmd = [sys.executable, str(HERE / f"{name}.py"), *(quick if args.quick else full)]
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE)
        if proc.returncode != 0:
            failed = True
            report["results"][name] = {"error": proc.stderr.strip().splitlines()[-1:]}
            print(proc.stderr, file=sys.stderr)
            continue
        lines = [json.loads(ln) for ln in proc.stdout.splitlines() if ln.startswith("{")]
        report["results"][name] = lines[0] if len(lines) == 1 else lines
    Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
