"""The whole appliance as separate processes with simulated devices (core, the simulated
printer, printerd, scannerd), for integration and browser tests."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from appliance.box import Box
from appliance.config import load
from appliance.master.catalog import Product
from conftest import HttpScreen, free_port

ROOT = Path(__file__).resolve().parents[2]
DAEMONS = ("core", "simprinter", "printerd", "scannerd")
TEA = "6901234567892"


class Appliance:
    """Starts the processes; ``demo`` loads the demo shop instead of the one-product shop;
    ``extra`` is appended to the config file."""

    def __init__(self, tmp: Path, *, demo: bool = False, extra: str = ""):
        self.port, self.printer_port = free_port(), free_port()
        self.cfg = tmp / "tillbox.toml"
        self.cfg.write_text(f"""
[paths]
data = "data"
[web]
port = {self.port}
public_url = "http://192.168.1.20:{self.port}"
[printer]
backend = "simulated"
port = {self.printer_port}
timeout_ms = 1000
[scanner]
backend = "simulated"
[clock]
assume_synced = true
{extra}
""", encoding="utf-8")
        config = load(self.cfg, environ={})
        self.sim_printer = config.sim_dir / "printer"
        self.fifo = config.sim_dir / "scanner.fifo"
        with Box(config) as box:
            if demo:
                from appliance import demo as demo_data
                demo_data.load(box)  # cashier PIN 1001 is in the demo staff
            else:
                box.master.staff.add("收银小张", "cashier", "1001")
                box.master.catalog.save_product(Product(
                    id="", sku="T", name="西湖龙井", category_id=None, unit="盒", price=6800,
                    cost=4000, barcodes=[TEA]))
        env = {k: v for k, v in os.environ.items() if not k.startswith("TILLBOX_")}
        env["TILLBOX_CONFIG"] = str(self.cfg)
        self.logs = tmp / "logs"
        self.logs.mkdir()
        self.procs = {}
        for name in DAEMONS:
            log = open(self.logs / f"{name}.log", "w")
            self.procs[name] = subprocess.Popen([sys.executable, "-m", "appliance.cli", name],
                                                cwd=ROOT, env=env, stdout=log,
                                                stderr=subprocess.STDOUT)

    def log(self, name):
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def wait_ready(self):
        """Core answers, the counter signs in, printerd has found the printer ready and
        scannerd has made its FIFO. Returns the counter's screen."""
        deadline = time.monotonic() + 60
        counter = None
        while time.monotonic() < deadline:
            for name, p in self.procs.items():
                assert p.poll() is None, f"{name} exited:\n{self.log(name)}"
            try:
                counter = counter or HttpScreen(self.port, "1001")
                _s, body, _c = counter.call("GET", "/api/v1/printer")
                if body["printer"]["ready"] and self.fifo.exists():
                    return counter
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("appliance not ready:\n" + "\n".join(
            f"--- {n}\n{self.log(n)[-2000:]}" for n in self.procs))

    def stop(self):
        """SIGTERM to all; their exit codes. One that hangs has its stacks dumped to its
        log (SIGUSR1) and is killed, and the assertion shows where it hung."""
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        codes = {}
        for name, p in self.procs.items():
            try:
                codes[name] = p.wait(20)
            except subprocess.TimeoutExpired:
                p.send_signal(signal.SIGUSR1)
                time.sleep(1)
                p.kill()
                p.wait()
                raise AssertionError(f"{name} did not stop on SIGTERM:\n{self.log(name)[-6000:]}")
        return codes
