"""Boot a tillbox root filesystem in systemd-nspawn and look inside it: the boot test
(tests/system/test_boot.py) and bench/boot.py use this; by hand it boots a box to try:

    sudo python3 image_build/nspawn_box.py var/build/rootfs-boottest-amd64

The container shares the host's network (core listens on 127.0.0.1 at the ports given) and is
not registered with machined (--register=no), so commands run inside through nsenter into its
init's namespaces.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

DAEMONS = ("tillbox-core", "tillbox-scannerd", "tillbox-printerd", "tillbox-uplinkd")
DROPIN = "etc/systemd/system/tillbox-.service.d/50-nspawn.conf"


def nspawn_problem() -> str | None:
    """Why systemd-nspawn cannot boot a container here, or None."""
    if os.geteuid() != 0:
        return "systemd-nspawn needs root"
    for tool in ("systemd-nspawn", "nsenter", "mmdebstrap"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    if not Path("/sys/fs/cgroup").is_dir():
        return "no cgroup file system at /sys/fs/cgroup"
    return None


class NspawnBox:
    """One booted container. ``env`` becomes an Environment= drop-in for every tillbox-*
    unit (ports and the like), written before the boot."""

    def __init__(self, rootfs: Path, env: dict[str, str], log_path: Path):
        self.rootfs = Path(rootfs)
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0

    # -- life cycle --------------------------------------------------------------------------

    def boot(self) -> None:
        dropin = self.rootfs / DROPIN
        dropin.parent.mkdir(parents=True, exist_ok=True)
        dropin.write_text("[Service]\n" + "".join(
            f'Environment="{k}={v}"\n' for k, v in self.env.items()))
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(
            ["systemd-nspawn", "--quiet", "--boot", "--register=no", "--keep-unit",
             "--directory", str(self.rootfs), "--console=pipe", "--resolv-conf=off",
             "--link-journal=no"],
            stdin=subprocess.DEVNULL, stdout=open(self.log_path, "ab"), stderr=subprocess.STDOUT,
            start_new_session=True)

    def leader(self, timeout: float = 30) -> int:
        """The container's PID 1 as the host sees it (nspawn's child)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_running()
            out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)],
                                 capture_output=True, text=True).stdout.split()
            if out:
                return int(out[0])
            time.sleep(0.1)
        raise TimeoutError("the container's init did not appear")

    def run(self, *cmd: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess:
        """Run a command inside the container (its mounts, network, PIDs and hostname)."""
        proc = subprocess.run(
            ["nsenter", "-t", str(self.leader()), "-m", "-u", "-i", "-n", "-p", "--", *cmd],
            capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode} in the container: "
                               f"{proc.stdout}{proc.stderr}")
        return proc

    def unit_property(self, unit: str, prop: str) -> str:
        return self.run("systemctl", "show", "--value", "-p", prop, unit).stdout.strip()

    def wait_active(self, units=DAEMONS, timeout: float = 120) -> float:
        """Seconds from boot() until every unit was active; names the laggards on timeout."""
        deadline = time.monotonic() + timeout
        states: dict[str, str] = {}
        while time.monotonic() < deadline:
            self._check_running()
            try:
                out = self.run("systemctl", "is-active", *units, check=False, timeout=10)
            except (RuntimeError, TimeoutError, subprocess.TimeoutExpired):
                time.sleep(0.2)   # nsenter before the container's mounts exist
                continue
            states = dict(zip(units, out.stdout.split()))
            if len(states) == len(units) and all(s == "active" for s in states.values()):
                return time.monotonic() - self.started_at
            time.sleep(0.1)
        raise TimeoutError(f"units not active after {timeout:.0f} s: {states}\n"
                           + self.journal(units))

    def journal(self, units=DAEMONS, lines: int = 40) -> str:
        try:
            args = [a for u in units for a in ("-u", u)]
            return self.run("journalctl", "--no-pager", "-n", str(lines), *args,
                            check=False, timeout=20).stdout
        except Exception as exc:  # noqa: BLE001 - only for a failure message
            return f"(no journal: {exc})"

    def poweroff(self, timeout: float = 60) -> int:
        """A clean shutdown from inside; returns nspawn's exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.run("systemctl", "poweroff", "--no-block", check=False, timeout=20)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        """Pull the plug: SIGKILL to the container's init ends its whole PID namespace (killing
        only nspawn would leave the container running, orphaned)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.kill(self.leader(timeout=5), signal.SIGKILL)
        except (RuntimeError, TimeoutError, ProcessLookupError):
            pass
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def _check_running(self) -> None:
        if self.proc is None:
            raise RuntimeError("not booted")
        if self.proc.poll() is not None:
            raise RuntimeError(f"systemd-nspawn exited with {self.proc.returncode}; see "
                               f"{self.log_path}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("rootfs", type=Path)
    p.add_argument("--port", type=int, default=8080)
    a = p.parse_args()
    if (why := nspawn_problem()) is not None:
        print(f"nspawn_box: {why}", file=sys.stderr)
        return 2
    box = NspawnBox(a.rootfs, {"TILLBOX_WEB__HOST": "127.0.0.1",
                               "TILLBOX_WEB__PORT": str(a.port)},
                    Path("/tmp/tillbox-nspawn.log"))
    box.boot()
    try:
        print(f"all units active after {box.wait_active():.1f} s; http://127.0.0.1:{a.port}/ "
              "(Ctrl-C powers it off)")
        box.proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        box.poweroff()
    return 0


if __name__ == "__main__":
    sys.exit(main())
