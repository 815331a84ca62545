"""Scan-to-screen latency: a code read by the box's scanner until the counter screen hears of
it over Server-Sent Events.

The whole appliance runs as separate processes with simulated devices, as in a shop (core,
the simulated printer, printerd, scannerd; see tests/integration/test_hardware_flow.py). The
bench signs in the counter's cashier, points the till at no order and opens the event stream
on a raw socket, as a browser would. Each sample writes a product barcode into scannerd's FIFO
(``t0`` just before the write) and stops the clock when the ``scan`` event for it has been
read from the socket (``t1``): scannerd's read, its POST to core, the order line committed to
the ledger (fsync), and the event through core's bus and waitress.

Every scan adds a new line (one product per line of the order); after ``--lines-per-order``
lines the order is paid in cash, so receipts and drawer kicks print meanwhile as they would,
and the next scan opens a fresh order. The first ``--warmup`` scans are not counted. Each scan
loads the whole order (before and after adding the line), so the p50 is also given by line
number within the order.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import CACHE, ROOT, emit, free_port, percentile

from appliance.box import Box
from appliance.config import load
from appliance.master.catalog import Product
from drivers.scanner.codes import check_digit
from drivers.scanner.simulated import feed_fifo

DAEMONS = ("core", "simprinter", "printerd", "scannerd")
CASHIER_PIN = "1001"
NAMES = ["西湖龙井", "安溪铁观音", "武夷山大红袍", "云南普洱", "白毫银针", "正山小种",
         "汝窑茶杯", "建盏", "紫砂壶", "公道杯"]


def ean13(n: int) -> str:
    body = f"690{n:09d}"   # 690: a Chinese GS1 prefix, so not read as a scale label
    return body + check_digit(body)


class Counter:
    """The counter's screen: a keep-alive connection with the cashier's session."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = self.csrf = ""
        status, body = self.call("POST", "/api/v1/auth/login",
                                 {"pin": CASHIER_PIN, "terminal": "counter"})
        if status != 200:
            raise RuntimeError(f"the cashier (PIN {CASHIER_PIN}) could not sign in: "
                               f"{status} {body}")
        self.csrf = body["csrf_token"]

    def call(self, method: str, path: str, body=None) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json", "Accept-Language": "en"}
        if self.cookie:
            headers.update({"Cookie": self.cookie, "X-CSRF-Token": self.csrf})
        self.conn.request(method, path, json.dumps(body) if body is not None else None,
                          headers)
        resp = self.conn.getresponse()
        raw = resp.read()
        cookie = resp.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return resp.status, json.loads(raw) if raw else {}

    def close(self) -> None:
        self.conn.close()


class EventStream:
    """GET /api/v1/events on a raw socket; undoes the chunked transfer encoding and hands
    out one ``(kind, data)`` event at a time, as soon as its bytes are in."""

    def __init__(self, port: int, cookie: str, timeout: float = 10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.sendall(f"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          f"Cookie: {cookie}\r\nAccept: text/event-stream\r\n\r\n".encode())
        self.raw = b""
        self.body = b""
        self.ended = False
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.raw:
            self._recv(deadline)
        head, self.raw = self.raw.split(b"\r\n\r\n", 1)
        status = head.split(b"\r\n", 1)[0]
        if b" 200 " not in status + b" ":
            raise RuntimeError(f"the event stream answered {status.decode(errors='replace')}")
        self.chunked = b"transfer-encoding: chunked" in head.lower()
        self._decode()
        while b"retry:" not in self.body:   # the stream is subscribed once this is sent
            self._recv(deadline)
            self._decode()

    def _recv(self, deadline: float) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no event in time on the event stream")
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("no event in time on the event stream") from None
        if not chunk:
            raise ConnectionError("core closed the event stream")
        self.raw += chunk

    def _decode(self) -> None:
        if not self.chunked:
            self.body, self.raw = self.body + self.raw, b""
            return
        while True:
            eol = self.raw.find(b"\r\n")
            if eol < 0:
                return
            size = int(self.raw[:eol].split(b";", 1)[0], 16)
            end = eol + 2 + size
            if len(self.raw) < end + 2:
                return
            self.body += self.raw[eol + 2:end]
            self.raw = self.raw[end + 2:]
            if size == 0:   # the last chunk: core ended the stream
                self.ended = True
                return

    def next_event(self, timeout: float = 10.0) -> tuple[str, dict]:
        deadline = time.monotonic() + timeout
        while True:
            while b"\n\n" in self.body:
                block, self.body = self.body.split(b"\n\n", 1)
                kind = data = None
                for line in block.decode("utf-8").splitlines():
                    if line.startswith("event: "):
                        kind = line[7:]
                    elif line.startswith("data: "):
                        data = json.loads(line[6:])
                if kind and data is not None:
                    return kind, data
            self._recv(deadline)
            self._decode()

    def wait_ended(self, timeout: float = 5.0) -> bool:
        """Read until core ends the stream; False if it did not in time."""
        deadline = time.monotonic() + timeout
        try:
            while not self.ended:
                self._recv(deadline)
                self._decode()
        except (TimeoutError, ConnectionError):
            return False
        return True

    def close(self) -> None:
        self.sock.close()


class Appliance:
    """The four processes over a temporary data directory: a cashier and ``products``
    products, each with its own barcode."""

    def __init__(self, work: Path, products: int):
        self.work = work
        self.port = free_port()
        cfg = work / "tillbox.toml"
        cfg.write_text(f"""
[paths]
data = "data"
[web]
port = {self.port}
[printer]
backend = "simulated"
port = {free_port()}
timeout_ms = 1000
[scanner]
backend = "simulated"
[clock]
assume_synced = true
""", encoding="utf-8")
        config = load(cfg, environ={})
        self.fifo = config.sim_dir / "scanner.fifo"
        self.barcodes = [ean13(i + 1) for i in range(products)]
        with Box(config) as box:
            box.master.staff.add("收银小张", "cashier", CASHIER_PIN)
            for i, code in enumerate(self.barcodes):
                box.master.catalog.save_product(Product(
                    id="", sku=f"B{i + 1:03d}", name=f"{NAMES[i % len(NAMES)]} {i + 1}号",
                    category_id=None, unit="件", price=1800 + 100 * i, cost=900,
                    barcodes=[code]))
        env = {k: v for k, v in os.environ.items() if not k.startswith("TILLBOX_")}
        env["TILLBOX_CONFIG"] = str(cfg)
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        self.procs: dict[str, subprocess.Popen] = {}
        for name in DAEMONS:
            with open(work / f"{name}.log", "wb") as log:
                self.procs[name] = subprocess.Popen(
                    [sys.executable, "-m", "appliance.cli", name], cwd=ROOT, env=env,
                    stdout=log, stderr=subprocess.STDOUT)

    def log(self, name: str) -> str:
        return (self.work / f"{name}.log").read_text(errors="replace")

    def wait_ready(self, timeout: float = 60.0) -> Counter:
        """Core answers, the cashier signs in, printerd found the printer ready and scannerd
        made its FIFO."""
        deadline = time.monotonic() + timeout
        counter = None
        while time.monotonic() < deadline:
            for name, p in self.procs.items():
                if p.poll() is not None:
                    raise RuntimeError(f"{name} exited with {p.returncode} while starting")
            try:
                counter = counter or Counter(self.port)
                _s, body = counter.call("GET", "/api/v1/printer")
                if body["printer"]["ready"] and self.fifo.exists():
                    return counter
            except (OSError, http.client.HTTPException):
                counter = None
            time.sleep(0.2)
        raise RuntimeError("the appliance was not ready within "
                           f"{timeout:.0f} s (printer ready, scanner FIFO made)")

    def stop(self) -> dict[str, int]:
        """SIGTERM to every process still running (systemd's stop); their exit codes (-9:
        still running after 30 s, killed)."""
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        codes = {}
        for name, p in self.procs.items():
            try:
                codes[name] = p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                codes[name] = p.wait()
        return codes


def settle(counter: Counter, order_id: str) -> None:
    """Pay the order in cash, exactly."""
    status, order = counter.call("GET", f"/api/v1/orders/{order_id}")
    if status != 200:
        raise RuntimeError(f"order {order_id} could not be read: {status} {order}")
    status, paid = counter.call("POST", f"/api/v1/orders/{order_id}/payments",
                                {"method": "cash", "amount": order["due"]})
    if status != 201 or not paid.get("completed"):
        raise RuntimeError(f"paying order {order_id} failed: {status} {paid}")


def run(app: Appliance, counter: Counter, samples: int, warmup: int,
        lines_per_order: int) -> dict:
    status, body = counter.call("PUT", "/api/v1/till", {"order_id": None})
    if status != 200:
        raise RuntimeError(f"PUT /api/v1/till failed: {status} {body}")
    events = EventStream(app.port, counter.cookie)
    latencies, positions, orders, order_id, lines = [], [], 0, None, 0
    try:
        for i in range(warmup + samples):
            code = app.barcodes[lines % len(app.barcodes)]
            t0 = time.perf_counter()
            feed_fifo(app.fifo, code)
            while True:
                kind, data = events.next_event()
                if kind == "scan":
                    break
            t1 = time.perf_counter()
            if not data["ok"] or data["code"] != code:
                raise RuntimeError(f"scan {code} was not taken: {data}")
            order_id, lines = data["order_id"], lines + 1
            if i >= warmup:
                latencies.append(t1 - t0)
                positions.append(lines)
            if lines == lines_per_order:
                settle(counter, order_id)
                orders, lines = orders + 1, 0
        # Sign out as a cashier would: the next event (a scan nobody takes now) ends core's
        # side of the stream. A stream merely dropped by the client holds a core thread until
        # its next heartbeat (15 s), and core's SIGTERM waits for it.
        counter.call("POST", "/api/v1/auth/logout", {})
        feed_fifo(app.fifo, app.barcodes[0])
        stream_ended = events.wait_ended()
    finally:
        events.close()
    return {"latencies": latencies, "positions": positions, "orders_paid": orders,
            "stream_ended": stream_ended}


def by_position(latencies: list[float], positions: list[int], size: int = 10) -> dict:
    """p50 (ms) of the scans that made lines 1-10, 11-20, ... of their order: each scan
    loads the whole order, so a long order's scans take longer."""
    buckets: dict[int, list[float]] = {}
    for seconds, pos in zip(latencies, positions):
        buckets.setdefault((pos - 1) // size, []).append(seconds * 1000)
    return {f"{b * size + 1}-{(b + 1) * size}": round(percentile(ms, 50), 3)
            for b, ms in sorted(buckets.items())}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=300, help="timed scans (default 300)")
    ap.add_argument("--warmup", type=int, default=5, help="scans first, not timed (default 5)")
    ap.add_argument("--lines-per-order", type=int, default=50,
                    help="lines (distinct products) before the order is paid (default 50)")
    args = ap.parse_args()
    if args.samples < 1 or args.lines_per_order < 1:
        ap.error("--samples and --lines-per-order must be at least 1")
    CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="scan-latency-", dir=CACHE))
    app = None
    try:
        app = Appliance(work, args.lines_per_order)
        counter = app.wait_ready()
        try:
            result = run(app, counter, args.samples, args.warmup, args.lines_per_order)
        finally:
            counter.close()
        t_stop = time.perf_counter()
        codes, app = app.stop(), None
        stop_seconds = time.perf_counter() - t_stop
        ms = [x * 1000 for x in result["latencies"]]
        emit("scan_latency", {
            "samples": len(ms), "warmup": args.warmup, "lines_per_order": args.lines_per_order,
            "orders_paid": result["orders_paid"],
            "p50_ms": round(percentile(ms, 50), 3), "p99_ms": round(percentile(ms, 99), 3),
            "min_ms": round(min(ms), 3), "mean_ms": round(sum(ms) / len(ms), 3),
            "max_ms": round(max(ms), 3),
            "p50_ms_by_line_of_order": by_position(result["latencies"], result["positions"]),
            "event_stream_ended_on_sign_out": result["stream_ended"],
            "stop_seconds": round(stop_seconds, 2), "exit_codes": codes})
        if any(codes.values()):
            print(f"scan_latency: not every process stopped cleanly: {codes}", file=sys.stderr)
            sys.exit(1)
    except BaseException:
        if app is not None:
            for name in DAEMONS:
                print(f"--- {name}'s log (tail):\n{app.log(name)[-1500:]}", file=sys.stderr)
        raise
    finally:
        if app is not None:
            app.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
