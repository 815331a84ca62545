"""Backlog drain: how fast a box's unsent journal reaches head office, against raw MQTT.

A box whose ledger holds ``--records`` journal records of real sales (made through the order
engine, 5 records a sale) meets a fresh mosquitto and head office's ingest (``tillbox
headoffice run`` on SQLite), then uplinkd is started as a process. The drain is timed until
uplinkd's cursor file says head office acked the last record: every record read from the
ledger, published, PUBACKed by the broker, verified and committed by the ingest, and the ack
back on the box. ``drain_s`` runs from the ingest's first batch (``received_at`` of seq 1) to
the cursor's final write (its ``at``); ``spawn_to_acked_s`` adds uplinkd's start and connect.

For comparison, on the same broker before head office and uplinkd start: a raw paho-mqtt
client publishes the same payloads at QoS 1 with ``max_inflight`` 100 to a topic head office
does not read, and a subscriber in another process (its own GIL, as the ingest has) counts
them. Timed from the first publish to the last PUBACK and to the last message received.

Each ``--windows`` entry is a run of its own (mqtt.window; a fresh broker, head-office
database and uplink cursor, the same ledger); the raw figures come with the first.

The broker's ``max_queued_messages`` (``--broker-queue``) is 10000 as in
docs/headoffice/mosquitto.conf. It matters: uplinkd publishes faster than the ingest
commits, so the ingest's queue at the broker grows with the backlog; past the limit
mosquitto drops messages ("Outgoing messages are being dropped"), head office sees holes and
asks for resends, and the drain takes several times as long (``--broker-queue 1000``,
mosquitto's default, shows it). Every run reports the ingest's duplicates and resends and
the broker's drop warnings.

The launchers here (mosquitto, head office, uplinkd, a box config) are shared with
bench/uplink_latency.py.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from common import CACHE, ROOT, emit, free_port

from appliance.box import Box
from appliance.config import load
from appliance.durable import read_json
from appliance.headoffice.store import open_store, parse_dsn
from appliance.master.catalog import Product
from appliance.uplink import contract

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
STORE, DEVICE, PREFIX = "hz-0012", "till-1", "pos/v1"
RAW_TOPIC = "bench/raw/journal"   # not under the prefix: head office does not read it
RAW_INFLIGHT = 100


def child_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILLBOX_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def stop_process(proc: subprocess.Popen | None, timeout: float = 30.0) -> int | None:
    """SIGTERM (systemd's stop) and its exit code; -9 when it had to be killed."""
    if proc is None:
        return None
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return -9


def print_log_tails(**procs) -> None:
    """A failed run shows what the daemons said last (the JSON goes to stdout, this not)."""
    for name, proc in procs.items():
        if proc is not None:
            print(f"--- {name}'s log (tail):\n{proc.log()[-1500:]}", file=sys.stderr)


def parse_utc(text: str) -> float:
    """A ledger/head-office timestamp (UTC, microseconds) as a Unix time."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=timezone.utc).timestamp()


class Mosquitto:
    """mosquitto on a free loopback port, no persistence; logs subscriptions so a bench can
    tell when head office's ingest is listening."""

    def __init__(self, directory: Path, max_queued: int | None = None,
                 extra: tuple[str, ...] = ()):
        directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.logfile = directory / "mosquitto.log"
        conf = directory / "mosquitto.conf"
        conf.write_text("\n".join([
            f"listener {self.port} 127.0.0.1", "allow_anonymous true", "persistence false",
            # As root mosquitto would switch to the mosquitto user and drop privileges.
            *(["user root"] if os.geteuid() == 0 else []),
            f"log_dest file {self.logfile}", "log_type error", "log_type warning",
            "log_type notice", "log_type information", "log_type subscribe",
            *([f"max_queued_messages {max_queued}"] if max_queued is not None else []),
            *extra])
            + "\n")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited with {self.proc.returncode}: "
                                   f"{self.log()[-500:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"mosquitto did not listen on {self.port} in 10 s")
                time.sleep(0.05)

    def log(self) -> str:
        return self.logfile.read_text(errors="replace") if self.logfile.exists() else ""

    def drop_warnings(self) -> int:
        """How often mosquitto said it dropped messages for a client whose queue was full
        (max_queued_messages)."""
        return self.log().count("Outgoing messages are being dropped")

    def wait_subscribed(self, client_id: str, topic: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while f"{client_id} 1 {topic}" not in self.log():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{client_id} did not subscribe to {topic} within "
                                   f"{timeout:.0f} s")
            time.sleep(0.02)

    def stop(self) -> int | None:
        return stop_process(self.proc, 10)


class HeadOffice:
    """``tillbox headoffice run`` on a SQLite database, with its default timings."""

    CLIENT_ID = "ho-bench"

    def __init__(self, directory: Path, broker: Mosquitto):
        directory.mkdir(parents=True, exist_ok=True)
        self.dsn = f"sqlite:///{directory / 'headoffice.db'}"
        self.logfile = directory / "headoffice.log"
        with open(self.logfile, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "appliance.cli", "headoffice", "run", "--db", self.dsn,
                 "--broker", f"127.0.0.1:{broker.port}", "--client-id", self.CLIENT_ID],
                cwd=ROOT, env=child_env(), stdout=log, stderr=subprocess.STDOUT)
        broker.wait_subscribed(self.CLIENT_ID,
                               f"$share/{contract.SHARE_GROUP}/{PREFIX}/+/+/journal")

    def log(self) -> str:
        return self.logfile.read_text(errors="replace") if self.logfile.exists() else ""

    def stats(self) -> dict:
        """The counts of the ingest's last stats line (written when it stops)."""
        found = re.findall(r"stored (\d+), duplicates (\d+), rejected (\d+), resends (\d+)",
                           self.log())
        if not found:
            return {}
        return dict(zip(("stored", "duplicates", "rejected", "resends"), map(int, found[-1])))

    def stop(self) -> int | None:
        return stop_process(self.proc)


def received_at(dsn: str, from_seq: int = 1) -> dict[int, float]:
    """seq -> when head office's ingest took it (``received_at``: the start of the batch
    that stored it, before that batch's commit), as Unix time."""
    conn = sqlite3.connect(Path(parse_dsn(dsn)[1]).resolve().as_uri() + "?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT seq, received_at FROM journal WHERE store = ? AND "
                            "device = ? AND seq >= ?", (STORE, DEVICE, from_seq)).fetchall()
    finally:
        conn.close()
    return {seq: parse_utc(at) for seq, at in rows}


def write_box_config(directory: Path, broker_port: int, window: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "tillbox.toml"
    # Core does not run: its port is free, so uplinkd's reports to it fail fast.
    path.write_text(f"""
[paths]
data = "data"
[web]
port = {free_port()}
[shop]
store_id = "{STORE}"
device_id = "{DEVICE}"
[mqtt]
host = "127.0.0.1"
port = {broker_port}
tls = false
window = {window}
[clock]
assume_synced = true
""", encoding="utf-8")
    return path


class Uplinkd:
    def __init__(self, config_path: Path, logfile: Path):
        self.logfile = logfile
        cfg = load(config_path, environ={})
        self.cursor = cfg.uplink_dir / "cursor.json"
        with open(logfile, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "appliance.cli", "uplinkd"], cwd=ROOT,
                env=child_env(TILLBOX_CONFIG=str(config_path)), stdout=log,
                stderr=subprocess.STDOUT)

    def acked(self) -> dict:
        return read_json(self.cursor, {"acked_seq": 0, "at": None})

    def check_running(self) -> None:
        if self.proc.poll() is not None:
            raise RuntimeError(f"uplinkd exited with {self.proc.returncode}")

    def log(self) -> str:
        return self.logfile.read_text(errors="replace") if self.logfile.exists() else ""

    def stop(self) -> int | None:
        return stop_process(self.proc)


def add_products(box: Box) -> None:
    for i in range(2):
        box.master.catalog.save_product(Product(
            id="", sku=f"TEA-{i + 1}", name=f"西湖龙井 {i + 1}号", category_id=None, unit="盒",
            price=6800 + 1200 * i, cost=3000, barcodes=[f"69012345678{i}"],
            stock_tracked=False))


# -- raw paho-mqtt ------------------------------------------------------------------------------

def _count_messages(port: int, n: int, ready, results) -> None:
    """The raw subscriber (a child process): counts messages until it has ``n``, or none
    came for 3 s (the broker dropped some), and reports the time of the last."""
    got = {"count": 0, "last": None}
    done = threading.Event()

    def on_message(_c, _u, _msg):
        got["last"] = time.time()
        got["count"] += 1
        if got["count"] == n:
            done.set()

    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-raw-sub",
                    protocol=mqtt.MQTTv5)
    c.on_message = on_message
    c.on_subscribe = lambda *_a: ready.set()
    c.connect("127.0.0.1", port)
    c.subscribe(RAW_TOPIC, qos=1)
    c.loop_start()
    deadline = time.monotonic() + 300
    while not done.wait(0.5) and time.monotonic() < deadline:
        if got["last"] and time.time() - got["last"] > 3:
            break
    c.loop_stop()
    c.disconnect()
    results.put(got)


def raw_paho(port: int, payloads: list[bytes]) -> dict:
    n = len(payloads)
    ctx = multiprocessing.get_context("spawn")
    ready, results = ctx.Event(), ctx.Queue()
    sub = ctx.Process(target=_count_messages, args=(port, n, ready, results), daemon=True)
    sub.start()
    try:
        if not ready.wait(30):
            raise RuntimeError("the raw subscriber did not subscribe within 30 s")
        acks = {"count": 0, "refused": 0, "last": None}
        all_acked, connected = threading.Event(), threading.Event()

        def on_publish(_c, _u, _mid, rc, _p):
            acks["count"] += 1
            acks["refused"] += rc.is_failure
            if acks["count"] == n:
                acks["last"] = time.time()
                all_acked.set()

        pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-raw-pub",
                          protocol=mqtt.MQTTv5)
        pub.max_inflight_messages_set(RAW_INFLIGHT)
        pub.max_queued_messages_set(0)   # no limit: paho queues what the window holds back
        pub.on_publish = on_publish
        pub.on_connect = lambda *_a: connected.set()
        pub.connect("127.0.0.1", port)
        pub.loop_start()
        try:
            if not connected.wait(10):
                raise RuntimeError("the raw publisher did not connect within 10 s")
            t0 = time.time()
            for payload in payloads:
                pub.publish(RAW_TOPIC, payload, qos=1)
            if not all_acked.wait(300):
                raise RuntimeError(f"raw publish: {acks['count']} of {n} PUBACKs in 300 s")
        finally:
            pub.loop_stop()
            pub.disconnect()
        got = results.get(timeout=300)
    finally:
        sub.join(10)
        if sub.is_alive():
            sub.terminate()
    if not got["count"]:
        raise RuntimeError("the raw subscriber received nothing")
    puback_s, received_s = acks["last"] - t0, got["last"] - t0
    # received_s is to the last message received: with drops, the rate of what arrived.
    return {"max_inflight": RAW_INFLIGHT, "messages": n, "refused": acks["refused"],
            "received": got["count"], "dropped_by_broker": n - got["count"],
            "publish_to_all_pubacks_s": round(puback_s, 3),
            "publish_to_all_received_s": round(received_s, 3),
            "records_per_s_pubacked": round(n / puback_s),
            "records_per_s_received": round(got["count"] / received_s)}


# -- one drain ----------------------------------------------------------------------------------

def drain(work: Path, box_dir: Path, uplink_dir: Path, window: int, n: int,
          payloads: list[bytes] | None, timeout: float, broker_queue: int) -> dict:
    run = work / f"window-{window}"
    shutil.rmtree(uplink_dir, ignore_errors=True)   # a fresh cursor: everything is backlog
    broker = ho = up = None
    codes: dict[str, int | None] = {}
    out: dict = {"window": window}
    try:
        broker = Mosquitto(run / "broker", broker_queue)
        if payloads is not None:
            out["raw_paho"] = raw_paho(broker.port, payloads)
        ho = HeadOffice(run, broker)
        config = write_box_config(box_dir, broker.port, window)
        t_spawn = time.time()
        up = Uplinkd(config, run / "uplinkd.log")
        deadline = time.monotonic() + timeout
        while (cursor := up.acked())["acked_seq"] < n:
            up.check_running()
            if time.monotonic() > deadline:
                raise RuntimeError(f"window {window}: acked {cursor['acked_seq']} of {n} "
                                   f"records in {timeout:.0f} s")
            time.sleep(0.01)
        t_done = cursor["at"]
        codes["uplinkd"] = up.stop()
        codes["headoffice"] = ho.stop()
        with open_store(ho.dsn, create=False) as db:
            held = db.count_records(STORE, DEVICE)
        taken = received_at(ho.dsn)
        first = taken[1]
        batches = len(set(taken.values()))   # a batch's records share its received_at
        drain_s = t_done - first
        out.update({
            "records": n, "headoffice_records": held,
            "spawn_to_acked_s": round(t_done - t_spawn, 3),
            "start_and_connect_s": round(first - t_spawn, 3),
            "drain_s": round(drain_s, 3), "records_per_s": round(n / drain_s),
            "ingest": {**ho.stats(), "batches": batches,
                       "mean_batch": round(n / batches, 1)},
            "broker_drop_warnings": broker.drop_warnings(),
            "uplinkd_resends": up.log().count("resending from seq")})
    except BaseException:
        print_log_tails(headoffice=ho, uplinkd=up)
        raise
    finally:
        for name, proc in (("uplinkd", up), ("headoffice", ho), ("mosquitto", broker)):
            if proc is not None and name not in codes:
                codes[name] = proc.stop()
        out["exit_codes"] = codes
    return out


def build_box(box_dir: Path, records: int) -> tuple[Box, list[bytes]]:
    """The box's ledger with ``records`` records (5 a sale), and each record's payload as
    it goes on ``journal``."""
    from ledger_fill import fill   # batches many sales to a transaction

    config = load(write_box_config(box_dir, 1883, 100), environ={})
    box = Box(config)
    add_products(box)
    fill(box.ledger, box.master, box.orders, records)
    payloads = [contract.encode(contract.journal_payload(r, STORE, DEVICE))
                for r in box.ledger.records()]
    return box, payloads


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=10000,
                    help="journal records in the backlog, a multiple of 5 (default 10000)")
    ap.add_argument("--windows", default="100",
                    help="mqtt.window of each run, comma-separated; the raw paho figures "
                    "come with the first (default 100)")
    ap.add_argument("--timeout", type=float, default=600, help="seconds a drain may take")
    ap.add_argument("--broker-queue", type=int, default=10000,
                    help="mosquitto's max_queued_messages (default 10000, as in "
                    "docs/headoffice/mosquitto.conf; mosquitto's own default is 1000)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the work directory (logs, databases) and print where it is")
    args = ap.parse_args()
    windows = [int(w) for w in args.windows.split(",")]
    if args.records < 5 or args.records % 5 or not all(1 <= w <= 1000 for w in windows):
        ap.error("--records must be a multiple of 5; windows between 1 and 1000")
    CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="uplink-drain-", dir=CACHE))
    box = None
    try:
        t = time.perf_counter()
        box, payloads = build_box(work / "box", args.records)
        build_s = time.perf_counter() - t
        n = box.ledger.head()[0]
        runs = [drain(work, work / "box", box.config.uplink_dir, w, n,
                      payloads if i == 0 else None, args.timeout, args.broker_queue)
                for i, w in enumerate(windows)]
        main_run, raw = runs[0], runs[0]["raw_paho"]
        sizes = [len(p) for p in payloads]
        emit("uplink_drain", {
            "records": n, "build_ledger_s": round(build_s, 2),
            "payload_bytes": {"min": min(sizes), "mean": round(sum(sizes) / n),
                              "max": max(sizes)},
            "broker_max_queued_messages": args.broker_queue, "window": main_run["window"],
            "records_per_s": main_run["records_per_s"],
            "raw_paho": raw,
            "ratio_to_raw_pubacked": round(main_run["records_per_s"]
                                           / raw["records_per_s_pubacked"], 3),
            "ratio_to_raw_received": round(main_run["records_per_s"]
                                           / raw["records_per_s_received"], 3),
            "runs": [{k: v for k, v in r.items() if k != "raw_paho"} for r in runs]})
        bad = {f"{r['window']}/{k}": c for r in runs for k, c in r["exit_codes"].items() if c}
        lost = [r["window"] for r in runs if r["headoffice_records"] != n]
        if bad or lost:
            print(f"uplink_drain: exit codes {bad}; head office short in windows {lost}",
                  file=sys.stderr)
            sys.exit(1)
    finally:
        if box is not None:
            box.close()
        if args.keep:
            print(f"uplink_drain: kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
