"""Boot time and memory of the packaged appliance (issue 6), in systemd-nspawn.

Builds this tree's package and a boot-test root file system (image_build/), or takes them
with --deb / --rootfs, then boots it ``--boots`` times: the first boot on a fresh copy (first
boot: host name, device id, certificate, setup code), the rest as reboots of the same box.
For each boot: seconds from starting systemd-nspawn until every tillbox daemon is active, and
the four daemons' memory once idle (PSS and RSS of each main process from smaps_rollup, and
the unit's cgroup MemoryCurrent, which includes page cache). Needs root.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, emit, free_port

sys.path.insert(0, str(ROOT / "image_build"))
from nspawn_box import DAEMONS, NspawnBox, nspawn_problem  # noqa: E402


def build(out: Path) -> tuple[Path, Path]:
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True,
                          text=True).stdout.strip()
    env = {**os.environ, "OUT": str(out), "ARCH": arch,
           "BUILDROOT": str(ROOT / "var" / "build" / f"buildroot-{arch}")}
    deb = _script(["build-deb.sh"], env).split()[-1]
    rootfs = out / "rootfs"
    _script(["rootfs.sh", arch, deb, str(rootfs), "boottest"], env)
    return Path(deb), rootfs


def _script(args: list[str], env: dict) -> str:
    proc = subprocess.run(["bash", str(ROOT / "image_build" / args[0]), *args[1:]], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"image_build/{args[0]} failed ({proc.returncode}):\n"
                           f"{proc.stdout[-3000:]}")
    return proc.stdout


def memory(box: NspawnBox) -> dict:
    out = {}
    for unit in DAEMONS:
        pid = box.unit_property(unit, "MainPID")
        rollup = box.run("cat", f"/proc/{pid}/smaps_rollup").stdout
        fields = {line.split(":")[0]: int(line.split()[1]) for line in rollup.splitlines()[1:]
                  if line.split(":")[0] in ("Rss", "Pss")}
        current = box.unit_property(unit, "MemoryCurrent")
        out[unit] = {"pss_mib": round(fields["Pss"] / 1024, 1),
                     "rss_mib": round(fields["Rss"] / 1024, 1),
                     "cgroup_mib": round(int(current) / 2 ** 20, 1) if current.isdigit()
                     else None}
    # cgroup figures are missing where the container has no memory controller (nspawn on a
    # host without systemd): then there is no total either, rather than a false 0.
    out["total"] = {k: (round(sum(v[k] for v in out.values()), 1)
                        if all(v[k] is not None for v in out.values()) else None)
                    for k in ("pss_mib", "rss_mib", "cgroup_mib")}
    return out


def one_boot(rootfs: Path, log: Path, settle: float) -> dict:
    port, https_port = free_port(), free_port()
    box = NspawnBox(rootfs, {"TILLBOX_WEB__HOST": "127.0.0.1", "TILLBOX_WEB__PORT": str(port),
                             "TILLBOX_WEB__HTTPS_PORT": str(https_port)}, log)
    box.boot()
    try:
        active_s = box.wait_active(timeout=180)
        time.sleep(settle)    # idle: imports done, first heartbeats sent
        result = {"all_active_s": round(active_s, 2), "memory": memory(box)}
        t0 = time.monotonic()
        result["poweroff_exit"] = box.poweroff()
        result["poweroff_s"] = round(time.monotonic() - t0, 2)
        return result
    finally:
        box.kill()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--boots", type=int, default=3)
    ap.add_argument("--deb", type=Path, help="a package to use instead of building one")
    ap.add_argument("--rootfs", type=Path, help="a boot-test root file system (image_build/"
                    "rootfs.sh ... boottest) to use instead of building one")
    ap.add_argument("--settle", type=float, default=5.0,
                    help="seconds idle before the memory is read")
    a = ap.parse_args()
    if (why := nspawn_problem()) is not None:
        # Said in the report rather than failing `make bench` for everything else.
        print(f"bench boot: cannot boot a container here: {why}", file=sys.stderr)
        emit("boot", {"unavailable": why})
        return 0
    work = Path(tempfile.mkdtemp(prefix="tillbox-bench-boot-"))
    try:
        t0 = time.monotonic()
        if a.rootfs:
            pristine, deb = a.rootfs, a.deb
        else:
            deb, pristine = build(work)
        build_s = round(time.monotonic() - t0, 1)
        box_root = work / "box"
        subprocess.run(["cp", "-a", str(pristine), str(box_root)], check=True)
        boots = [one_boot(box_root, work / "nspawn.log", a.settle) for _ in range(a.boots)]
        emit("boot", {
            "package": deb.name if deb else None,
            "package_mib": round(deb.stat().st_size / 2 ** 20, 1) if deb else None,
            "build_s": build_s if not a.rootfs else None,
            "boots": boots,
            "first_boot_all_active_s": boots[0]["all_active_s"],
            "reboot_all_active_s": [b["all_active_s"] for b in boots[1:]],
            "daemons_pss_mib": boots[-1]["memory"]["total"]["pss_mib"],
            "daemons_rss_mib": boots[-1]["memory"]["total"]["rss_mib"]})
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
