"""`tillbox run --demo` (what `make run` starts): the demo shop loads, core serves /healthz on
the configured port, printerd, scannerd and notifyd come up with the simulated devices, the demo PINs
are printed, and Ctrl-C stops everything cleanly."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_run_demo_serves_and_stops(tmp_path):
    cfg = tmp_path / "tillbox.toml"
    cfg.write_text(f'[paths]\ndata = "data"\n[printer]\nbackend = "simulated"\nport = {free_port()}\n'
                   '[scanner]\nbackend = "simulated"\n[modem]\nbackend = "simulated"\n'
                   '[notify]\nsms = "modem"\n', encoding="utf-8")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILLBOX_")}
    env["TILLBOX_WEB__PORT"] = str(port)
    proc = subprocess.Popen([sys.executable, "-m", "appliance.cli", "--config", str(cfg), "run",
                             "--demo"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    out = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            out.append(line)
            if "Ctrl-C stops it" in line:
                break
        text = "".join(out)
        assert f"http://127.0.0.1:{port}" in text, text
        assert "2468" in text and "owner" in text and "assistant" in text
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
            health = json.load(r)
        assert health["status"] == "ok"
        assert health["components"]["master"]["products"] >= 60
        assert health["components"]["ledger"]["head_seq"] > 60
        # The device daemons came up with it: printerd found the simulated printer ready.
        from conftest import HttpScreen
        counter = HttpScreen(port, "1001")
        deadline = time.monotonic() + 30
        while not counter.call("GET", "/api/v1/printer")[1]["printer"]["ready"]:
            assert time.monotonic() < deadline, "printerd never reported the printer ready"
            time.sleep(0.2)
        assert (tmp_path / "data" / "sim" / "scanner.fifo").exists()  # scannerd is reading
        # notifyd came up too: the demo members' welcome messages leave through the
        # simulated modem (what it sent is kept under sim/modem/sent).
        sent = tmp_path / "data" / "sim" / "modem" / "sent"
        deadline = time.monotonic() + 45
        while not (sent.is_dir() and any(sent.iterdir())):
            assert time.monotonic() < deadline, "notifyd sent nothing through the modem"
            time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(30)
    assert rc == 0
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "core still listening after Ctrl-C"
