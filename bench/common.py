"""Small helpers shared by the benchmarks: timing, percentiles, JSON output, free ports."""

from __future__ import annotations

import json
import os
import platform
import socket
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: Where large generated fixtures (the 1M-record ledger) are kept between runs.
CACHE = Path(os.environ.get("TILLBOX_BENCH_CACHE", ROOT / "var" / "bench-cache"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(samples: list[float], p: float) -> float:
    s = sorted(samples)
    if not s:
        return float("nan")
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary_ms(samples_s: list[float]) -> dict:
    ms = [x * 1000 for x in samples_s]
    return {"n": len(ms), "p50_ms": round(percentile(ms, 50), 4),
            "p99_ms": round(percentile(ms, 99), 4), "max_ms": round(max(ms), 4)}


def machine() -> dict:
    return {"python": platform.python_version(), "platform": platform.platform(),
            "cpus": os.cpu_count()}


def emit(name: str, result: dict) -> None:
    print(json.dumps({"bench": name, "machine": machine(), **result}, ensure_ascii=False))


class Timer:
    def __enter__(self):
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0


def timed(fn, repeat: int) -> dict:
    """Call ``fn`` ``repeat`` times: p50/p99/max in ms."""
    samples = []
    for _ in range(repeat):
        with Timer() as t:
            fn()
        samples.append(t.seconds)
    return summary_ms(samples)
