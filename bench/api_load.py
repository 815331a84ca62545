"""The order API under load: latency of adding a line (by barcode) and of settling an order
(a cash payment that completes it), with one client and with many at once, and what the core
process's memory does meanwhile.

Runs ``tillbox core`` for real (waitress, in its own process, so /proc/<pid>/status shows the
core's own memory) over a temporary data directory holding the demo shop. Each client is a
thread with its own keep-alive HTTP connection and its own signed-in session (the demo's
cashiers, several sessions each), and works through orders of ``--lines-per-order`` lines:
open, add the lines by barcode, pay in cash with a little change. Latency is measured at the
client, request sent to answer read. Afterwards core is stopped and ``tillbox ledger verify
--projections`` checks that the concurrent writes left a sound journal.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from common import CACHE, ROOT, Timer, emit, free_port, summary_ms

from appliance.demo import DEMO_STAFF

CASHIER_PINS = [pin for _name, role, pin in DEMO_STAFF if role == "cashier"]


def demo_barcodes() -> list[str]:
    """Every barcode of the demo catalog (product and variant barcodes)."""
    path = ROOT / "appliance" / "demo" / "catalog.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        return sorted({code.strip() for row in csv.DictReader(fh)
                       for code in row["barcodes"].split("|") if code.strip()})


def memory(pid: int) -> dict:
    """VmRSS and VmHWM (peak RSS) of a process, in MiB."""
    out = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key.lower() + "_mib"] = round(int(value.split()[0]) / 1024, 1)
    return out


class Client:
    """One screen: a keep-alive connection, a session cookie and its CSRF token."""

    def __init__(self, port: int, pin: str, terminal: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = ""
        self.csrf = ""
        status, body = self.call("POST", "/api/v1/auth/login",
                                 {"pin": pin, "terminal": terminal})
        if status != 200:
            raise RuntimeError(f"sign-in with a demo PIN failed: {status} {body}")
        self.csrf = body["csrf_token"]

    def call(self, method: str, path: str, body=None) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        if self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        data = json.dumps(body).encode() if body is not None else None
        self.conn.request(method, path, body=data, headers=headers)
        resp = self.conn.getresponse()
        raw = resp.read()
        cookie = resp.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return resp.status, (json.loads(raw) if raw else {})

    def close(self) -> None:
        self.conn.close()


def work(client: Client, barcodes: list[str], adds: int, lines_per_order: int, seed: int,
         out: dict, start: threading.Barrier) -> None:
    """Add ``adds`` lines in orders of ``lines_per_order`` lines, settling each order."""
    rng = random.Random(seed)
    opens, lines, settles, errors = [], [], [], []
    start.wait()
    done = 0
    try:
        while done < adds:
            with Timer() as t:
                status, order = client.call("POST", "/api/v1/orders", {})
            opens.append(t.seconds)
            if status != 201:
                errors.append(("open", status, order.get("error")))
                continue
            url = f"/api/v1/orders/{order['id']}"
            for _ in range(min(lines_per_order, adds - done)):
                with Timer() as t:
                    status, order = client.call("POST", f"{url}/lines",
                                                {"barcode": rng.choice(barcodes),
                                                 "qty": rng.randint(1, 3)})
                lines.append(t.seconds)
                done += 1
                if status != 201:
                    errors.append(("line", status, order.get("error")))
            if not order.get("due"):
                continue
            # Cash, rounded up to the next 10 yuan: the change path too.
            due_fen = int(order["due"].replace(".", ""))
            tendered = (due_fen // 1000 + 1) * 1000
            with Timer() as t:
                status, paid = client.call("POST", f"{url}/payments", {
                    "method": "cash", "amount": f"{tendered // 100}.{tendered % 100:02d}"})
            settles.append(t.seconds)
            if status != 201 or not paid.get("completed"):
                errors.append(("settle", status, paid.get("error")))
    except Exception as exc:  # noqa: BLE001 - report it with the results
        errors.append(("exception", 0, repr(exc)))
    out.update(opens=opens, lines=lines, settles=settles, errors=errors)


def sign_in(port: int, clients: int, tag: str) -> list[Client]:
    """Sessions for the demo's cashiers, several per person (right PINs only)."""
    return [Client(port, CASHIER_PINS[i % len(CASHIER_PINS)], f"{tag}-{i}")
            for i in range(clients)]


def phase(screens: list[Client], barcodes: list[str], adds: int, lines_per_order: int,
          seed: int) -> dict:
    clients = len(screens)
    results = [{} for _ in screens]
    start = threading.Barrier(clients + 1)
    threads = [threading.Thread(target=work, args=(c, barcodes, adds, lines_per_order,
                                                   seed + i, results[i],
                                                   start))
               for i, c in enumerate(screens)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    for c in screens:
        c.close()
    lines = [x for r in results for x in r["lines"]]
    settles = [x for r in results for x in r["settles"]]
    opens = [x for r in results for x in r["opens"]]
    errors = [e for r in results for e in r["errors"]]
    requests = len(lines) + len(settles) + len(opens)
    return {"clients": clients, "add_line": summary_ms(lines), "settle": summary_ms(settles),
            "open_order": summary_ms(opens), "seconds": round(seconds, 2),
            "requests_per_second": round(requests / seconds, 1),
            "errors": len(errors), "first_errors": errors[:5]}


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"core exited with {proc.returncode} while starting")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("core did not answer /healthz in time")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200,
                    help="add-line requests per client (default 200)")
    ap.add_argument("--clients", type=int, default=20, help="concurrent clients (default 20)")
    ap.add_argument("--lines-per-order", type=int, default=2,
                    help="lines added before each order is settled (default 2)")
    ap.add_argument("--threads", type=int, default=16, help="core's web threads (default 16)")
    args = ap.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    work_dir = tempfile.mkdtemp(prefix="api-load-", dir=CACHE)
    cfg = os.path.join(work_dir, "tillbox.toml")
    with open(cfg, "w", encoding="utf-8") as fh:
        fh.write(f'[paths]\ndata = "data"\nsecrets = "secrets.toml"\n\n'
                 f'[web]\nhost = "127.0.0.1"\nthreads = {args.threads}\n\n'
                 '[clock]\nassume_synced = true\n')
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "TILLBOX_WEB__PORT": str(port)}
    tillbox = [sys.executable, "-m", "appliance.cli", "--config", cfg]
    core = None
    log = open(os.path.join(work_dir, "core.log"), "wb")
    try:
        subprocess.run([*tillbox, "demo", "load"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        core = subprocess.Popen([*tillbox, "core"], env=env, stdout=log, stderr=log)
        wait_healthy(port, core)
        barcodes = demo_barcodes()
        mem = {"start": memory(core.pid)}
        screens = sign_in(port, 1, "one")
        mem["after_1_sign_in"] = memory(core.pid)
        single = phase(screens, barcodes, args.requests, args.lines_per_order, 1)
        mem["after_1_client"] = memory(core.pid)
        screens = sign_in(port, args.clients, "many")
        mem[f"after_{args.clients}_sign_ins"] = memory(core.pid)
        many = phase(screens, barcodes, args.requests, args.lines_per_order, 1000)
        mem["end"] = memory(core.pid)
        core.send_signal(signal.SIGTERM)
        core.wait(timeout=30)
        check = subprocess.run([*tillbox, "ledger", "verify", "--projections", "--json"],
                               env=env, capture_output=True, text=True)
        verdict = json.loads(check.stdout) if check.stdout.strip().startswith("{") else {
            "output": check.stdout.strip()[-300:]}
        emit("api_load", {
            "requests_per_client": args.requests, "lines_per_order": args.lines_per_order,
            "core_threads": args.threads, "one_client": single,
            f"{args.clients}_clients": many,
            "core_memory": mem,
            "ledger_verify": {"cli_exit": check.returncode, "ok": verdict.get("ok"),
                              "records": verdict.get("checked"),
                              "reason": verdict.get("reason")},
        })
        if single["errors"] or many["errors"] or check.returncode != 0:
            print(f"api_load: {single['errors'] + many['errors']} failed requests, ledger "
                  f"verify exit {check.returncode}", file=sys.stderr)
            sys.exit(1)
    except BaseException:
        log.flush()
        tail = open(log.name, encoding="utf-8", errors="replace").read()[-2000:]
        print(f"core's log (tail):\n{tail}", file=sys.stderr)
        raise
    finally:
        if core is not None and core.poll() is None:
            core.kill()
            core.wait()
        log.close()
        shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
