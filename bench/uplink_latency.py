"""Sale to head office: from a sale's commit on the box to its ``order.paid`` record being
committed in head office's database, with the link idle (no backlog).

A fresh mosquitto, head office's ingest (``tillbox headoffice run`` on SQLite) and uplinkd
run as processes, as in bench/uplink_drain.py. The bench process holds the box's own
:class:`Box` (it is the ledger's writer, as core is; uplinkd reads) and rings up one sale
every ``--interval-ms``: open an order, add a line, pay by card. ``t0`` is ``time.time()``
right after ``add_payment`` returned (the ``order.paid`` record is committed, fsynced).

Three clocks on the way (one machine, one clock):
- on the broker: a plain subscriber to the box's ``journal`` topic sees the record;
- taken by the ingest: the record's ``received_at`` (set when the ingest's batch starts, before
  its commit; microseconds);
- in head office's DB: a thread polls the database every ``--poll-ms`` (default 5 ms) for
  the record, so this figure is late by up to one poll interval plus the query.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from common import CACHE, emit, summary_ms
from uplink_drain import (DEVICE, PREFIX, STORE, HeadOffice, Mosquitto, Uplinkd, add_products,
                          print_log_tails, received_at, write_box_config)

from appliance.box import Box
from appliance.config import load
from appliance.headoffice.store import open_store
from appliance.orders import Actor
from appliance.uplink import contract

CASHIER = Actor("s-bench", "cashier", "counter")


class JournalWatcher:
    """A plain subscriber to the box's journal topic: when each seq first reached it."""

    def __init__(self, port: int):
        self.seen: dict[int, float] = {}
        subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-watcher",
                                  protocol=mqtt.MQTTv5)
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *_a: subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.subscribe(contract.topic(PREFIX, STORE, DEVICE, "journal"), qos=1)
        self.client.loop_start()
        if not subscribed.wait(10):
            raise RuntimeError("the journal watcher did not subscribe within 10 s")

    def _on_message(self, _c, _u, msg) -> None:
        now = time.time()
        seq = json.loads(msg.payload)["seq"]
        self.seen.setdefault(seq, now)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


class HeadOfficePoller:
    """A thread that looks every ``interval`` s for the records it is told to wait for and
    notes when each was first there."""

    def __init__(self, dsn: str, interval: float):
        self.dsn, self.interval = dsn, interval
        self.pending: list[int] = []
        self.seen: dict[int, float] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.polls = 0
        self.thread = threading.Thread(target=self._run, name="headoffice-poller", daemon=True)
        self.thread.start()

    def expect(self, seq: int) -> None:
        with self.lock:
            self.pending.append(seq)

    def _run(self) -> None:
        with open_store(self.dsn, create=False) as db:
            while not self.stop.wait(self.interval):
                with self.lock:
                    waiting = list(self.pending)
                for seq in waiting:
                    if db.record_hashes(STORE, DEVICE, seq) is not None:
                        now = time.time()
                        with self.lock:
                            self.seen[seq] = now
                            self.pending.remove(seq)
                self.polls += 1

    def wait_all(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if not self.pending:
                    return True
            time.sleep(0.02)
        return False

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)


def sell(box: Box, product_id: str, price: int) -> tuple[int, float]:
    """One card sale; (seq of its order.paid record, time.time() right after the commit)."""
    e = box.orders
    order = e.open_order(CASHIER)
    e.add_line(CASHIER, order.id, product_id=product_id)
    e.add_payment(CASHIER, order.id, "card", price, reference="BENCH")
    t0 = time.time()
    return box.ledger.head()[0], t0   # order.paid is add_payment's last record


def wait_acked(up: Uplinkd, seq: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while up.acked()["acked_seq"] < seq:
        up.check_running()
        if time.monotonic() > deadline:
            raise RuntimeError(f"head office did not ack seq {seq} within {timeout:.0f} s")
        time.sleep(0.02)


def run(work: Path, samples: int, warmup: int, interval: float, poll: float,
        broker_settings: tuple[str, ...]) -> dict:
    broker = ho = up = box = watcher = poller = None
    codes: dict[str, int | None] = {}
    try:
        broker = Mosquitto(work / "broker", extra=broker_settings)
        ho = HeadOffice(work, broker)
        config = write_box_config(work / "box", broker.port, 100)
        box = Box(load(config, environ={}), background_checkpoints=True)
        add_products(box)
        product = box.master.catalog.list_products()[0]
        watcher = JournalWatcher(broker.port)
        up = Uplinkd(config, work / "uplinkd.log")
        for _ in range(warmup):   # untimed: connects, warms every cache on the way
            sell(box, product.id, product.price)
        wait_acked(up, box.ledger.head()[0], 30)
        poller = HeadOfficePoller(ho.dsn, poll)
        commits: dict[int, float] = {}
        start = time.monotonic()
        for i in range(samples):
            time.sleep(max(0.0, start + i * interval - time.monotonic()))
            seq, t0 = sell(box, product.id, product.price)
            commits[seq] = t0
            poller.expect(seq)
        if not poller.wait_all(30):
            raise RuntimeError(f"head office lacks seqs {poller.pending} after 30 s")
        selling_s = time.monotonic() - start
        head = box.ledger.head()[0]
        wait_acked(up, head, 30)
        poller.close()
        watcher.close()
        codes["uplinkd"] = up.stop()
        codes["headoffice"] = ho.stop()
        with open_store(ho.dsn, create=False) as db:
            held = db.count_records(STORE, DEVICE)
        taken = received_at(ho.dsn)
        return {"commits": commits, "stored": poller.seen, "on_broker": watcher.seen,
                "taken": taken, "head": head, "headoffice_records": held,
                "selling_s": selling_s, "polls": poller.polls,
                "ingest": ho.stats(), "uplinkd_resends": up.log().count("resending from seq"),
                "exit_codes": codes}
    except BaseException:
        print_log_tails(headoffice=ho, uplinkd=up)
        raise
    finally:
        for closer in (poller, watcher):
            if closer is not None:
                closer.close()
        for name, proc in (("uplinkd", up), ("headoffice", ho), ("mosquitto", broker)):
            if proc is not None and name not in codes:
                codes[name] = proc.stop()
        if box is not None:
            box.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=200, help="timed sales (default 200)")
    ap.add_argument("--warmup", type=int, default=3, help="sales first, not timed (default 3)")
    ap.add_argument("--interval-ms", type=float, default=100,
                    help="one sale every this many ms (default 100)")
    ap.add_argument("--poll-ms", type=float, default=5,
                    help="how often head office's database is polled (default 5)")
    ap.add_argument("--tcp-nodelay", action="store_true",
                    help="mosquitto with set_tcp_nodelay true (its default is false)")
    args = ap.parse_args()
    if args.samples < 1 or args.warmup < 1 or args.poll_ms <= 0:
        ap.error("--samples and --warmup must be at least 1, --poll-ms more than 0")
    CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="uplink-latency-", dir=CACHE))
    try:
        r = run(work, args.samples, args.warmup, args.interval_ms / 1000, args.poll_ms / 1000,
                ("set_tcp_nodelay true",) if args.tcp_nodelay else ())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    seqs = sorted(r["commits"])
    commit = r["commits"]
    emit("uplink_latency", {
        "samples": len(seqs), "warmup": args.warmup, "interval_ms": args.interval_ms,
        "poll_ms": args.poll_ms, "polls": r["polls"], "broker_tcp_nodelay": args.tcp_nodelay,
        "selling_s": round(r["selling_s"], 2),
        # The figure asked for: order.paid committed on the box -> seen committed at head
        # office (late by up to poll_ms).
        "commit_to_headoffice": summary_ms([r["stored"][s] - commit[s] for s in seqs]),
        "commit_to_broker": summary_ms([r["on_broker"][s] - commit[s] for s in seqs]),
        "commit_to_ingest_batch": summary_ms([r["taken"][s] - commit[s] for s in seqs]),
        # The same path by stage.
        "stage_broker_to_ingest_batch": summary_ms([r["taken"][s] - r["on_broker"][s]
                                                    for s in seqs]),
        "stage_ingest_batch_to_seen_in_db": summary_ms([r["stored"][s] - r["taken"][s]
                                                        for s in seqs]),
        "journal_records": r["head"], "headoffice_records": r["headoffice_records"],
        "ingest": r["ingest"], "uplinkd_resends": r["uplinkd_resends"],
        "exit_codes": r["exit_codes"]})
    if any(r["exit_codes"].values()) or r["headoffice_records"] != r["head"]:
        print(f"uplink_latency: exit codes {r['exit_codes']}; head office holds "
              f"{r['headoffice_records']} of {r['head']} records", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
