"""bench/boot.py keeps working (issue 6's figures): one boot of the boot test's root file system,
its time to every unit active and the daemons' memory. Here rather than in the quick bench run
(tests/integration/test_bench.py), because the package and its root file system are built once
per run for the system tests: building them again for the bench doubled the suite's slowest
step."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from system_build import older_package, package, pristine_rootfs  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parents[2]


def test_the_boot_bench_boots_once_and_reads_the_daemons_memory(older_package, pristine_rootfs):
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "boot.py"), "--boots", "1",
                           "--settle", "1", "--deb", str(older_package),
                           "--rootfs", str(pristine_rootfs)],
                          capture_output=True, text=True, timeout=600, cwd=ROOT / "bench")
    assert proc.returncode == 0, proc.stderr
    boot = next(json.loads(ln) for ln in proc.stdout.splitlines() if ln.startswith("{"))
    assert boot["package"] == older_package.name and boot["build_s"] is None
    assert 0 < boot["first_boot_all_active_s"] < 180 and boot["boots"][0]["poweroff_exit"] == 0
    memory = boot["boots"][0]["memory"]
    assert all(memory[u]["pss_mib"] > 5 for u in ("tillbox-core", "tillbox-uplinkd"))
    assert memory["total"]["pss_mib"] == pytest.approx(
        sum(memory[u]["pss_mib"] for u in memory if u != "total"), abs=0.2)
