"""Kill a process that is committing sales with SIGKILL, many times: no acknowledged sale is
lost, receipt numbers stay gap-free, the chain verifies and projections equal a replay."""

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from appliance.ledger import Ledger, iter_records, open_readonly, verify
from appliance.ledger.projections import replay, snapshot
from appliance.master import MasterData
from appliance.master.catalog import Product

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 20


def _run_and_kill(data_dir: Path, rng: random.Random) -> list[tuple[str, int]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("crash_worker.py")),
                             str(data_dir)], stdout=subprocess.PIPE, text=True, env=env)
    acks: list[tuple[str, int]] = []
    first = threading.Event()

    def reader():
        for line in proc.stdout:
            if line.startswith("ACK "):
                _, order_id, receipt = line.split()
                acks.append((order_id, int(receipt)))
                first.set()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    assert first.wait(30), "worker made no sale"
    time.sleep(rng.uniform(0.01, 0.4))
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    t.join(10)
    return acks


@pytest.mark.slow
def test_sigkill_while_selling_loses_no_acknowledged_sale(tmp_path):
    with MasterData(tmp_path / "master") as master:
        master.catalog.save_product(Product(id="", sku="T", name="普洱茶饼", category_id=None,
                                            unit="饼", price=12800, cost=6000, barcodes=[]))
    Ledger(tmp_path / "ledger.db").close()
    rng = random.Random(20261126)
    acked: list[tuple[str, int]] = []
    for _ in range(ROUNDS):
        acked += _run_and_kill(tmp_path, rng)
    assert len(acked) > ROUNDS

    conn = open_readonly(tmp_path / "ledger.db")
    result = verify(iter_records(conn), rescan=lambda: iter_records(conn))
    assert result.ok, result.line()
    paid = dict(conn.execute("SELECT id, receipt_no FROM orders WHERE status = 'paid'"))
    for order_id, receipt_no in acked:
        assert paid.get(order_id) == receipt_no, f"acknowledged sale {order_id} lost"
    receipts = sorted(paid.values())
    assert receipts == list(range(1, len(receipts) + 1)), "receipt numbers have a gap"
    conn.execute("BEGIN")
    assert snapshot(conn) == snapshot(replay(iter_records(conn)))
    conn.execute("COMMIT")
    conn.close()
