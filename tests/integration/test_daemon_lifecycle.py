"""printerd and scannerd as systemd runs them: READY=1 once set up, WATCHDOG=1 from the
working loop (also while core or the printer is away), STOPPING=1 and exit 0 on SIGTERM, and
logs that name the device."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from appliance.box import Box
from appliance.config import load
from conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def setup(tmp_path):
    cfg = tmp_path / "t.toml"
    cfg.write_text(f"""
[paths]
data = "d"
[web]
port = {free_port()}
[printer]
backend = "simulated"
port = {free_port()}
timeout_ms = 300
[scanner]
backend = "simulated"
""", encoding="utf-8")
    Box(load(cfg, environ={})).close()  # the data directory and the device token; no core
    sock_path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    sock.settimeout(0.5)
    yield cfg, sock, sock_path
    sock.close()


def messages(sock, until, timeout):
    got, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline and not until(got):
        try:
            got.append(sock.recv(4096).decode())
        except socket.timeout:
            pass
    return got


@pytest.mark.parametrize("name,device", [
    ("printerd", "simulated 127.0.0.1:"),
    ("scannerd", "scanner.fifo"),
])
def test_daemon_notifies_feeds_the_watchdog_and_stops_cleanly(setup, name, device):
    cfg, sock, sock_path = setup
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TILLBOX_", "WATCHDOG_"))}
    env.update(TILLBOX_CONFIG=str(cfg), NOTIFY_SOCKET=str(sock_path), WATCHDOG_USEC="1000000")
    proc = subprocess.Popen([sys.executable, "-m", "appliance.cli", name], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        got = messages(sock, lambda g: sum("WATCHDOG=1" in m for m in g) >= 3, 20)
        assert got and got[0].startswith("READY=1"), got
        # Core is not running and the printer is not there: the loop still turns.
        assert sum("WATCHDOG=1" in m for m in got) >= 3, got
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        assert any("STOPPING=1" in m for m in messages(sock, lambda g: False, 0.5) + got)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log = proc.stdout.read()
    assert device in log, log
    assert "Traceback" not in log, log
