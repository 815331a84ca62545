"""``tillbox run``: development supervisor that starts every daemon with simulated hardware.

Production uses systemd units instead (systemd/). Each daemon is a child process running
``tillbox <name>`` with the same configuration; Ctrl-C stops them all.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request

from appliance.box import Box

log = logging.getLogger(__name__)

def daemons(cfg) -> list[str]:
    """What `tillbox run` starts: core, the device daemons, the head-office link (idle while
    mqtt.host is empty) and the simulated devices the config names."""
    names = ["core"]
    if cfg.printer.backend == "simulated":
        names.append("simprinter")
    names += ["printerd", "scannerd", "uplinkd"]
    if cfg.notify.email == "smtp" or cfg.notify.sms == "modem":
        names.append("notifyd")   # e-mail and the modem; the relay is uplinkd's
    return names


def _wait_healthy(url: str, procs, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                return json.load(resp).get("status") == "ok"
        except OSError:
            time.sleep(0.2)
    return False


def run(cfg, config_arg, demo: bool = False) -> int:
    from appliance import demo as demo_data
    with Box(cfg) as box:
        if demo and not box.master.catalog.counts()["products"] \
                and not box.master.staff.list(include_inactive=True):
            print("loading the demo shop into", cfg.data_dir, flush=True)
            demo_data.load(box)
        pins = demo_data.working_pins(box) if demo else []
    env = dict(os.environ)
    if cfg.source:
        env["TILLBOX_CONFIG"] = str(cfg.source)
    procs = []
    for name in daemons(cfg):
        procs.append(subprocess.Popen([sys.executable, "-m", "appliance.cli", name], env=env))
    stopping = False

    def stop(signum, _frame):
        nonlocal stopping
        stopping = True
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    url = f"http://{cfg.web.host}:{cfg.web.port}"
    if _wait_healthy(f"{url}/healthz", procs):
        print(f"\nTillbox is running (simulated hardware): {url}\n"
              f"{demo_data.banner(pins) if demo else ''}\nCtrl-C stops it.\n", flush=True)
    elif not stopping:
        log.error("core did not become healthy; see the messages above")
    rc = 0
    while procs:
        for p in list(procs):
            code = p.poll()
            if code is None:
                continue
            procs.remove(p)
            if code not in (0, -signal.SIGTERM) and not stopping:
                log.error("a daemon exited with status %s; stopping the others", code)
                rc = 1
                stop(signal.SIGTERM, None)
        time.sleep(0.2)
    return rc
