"""Sells as fast as it can and prints ``ACK <order_id> <receipt_no>`` after each sale returns.

Run by test_crash.py, which SIGKILLs it at random moments. A line is printed only after the
engine acknowledged the sale, exactly as the web UI would show "paid" to a person.
"""

import sys
from pathlib import Path

from appliance.ledger import Ledger
from appliance.master import MasterData
from appliance.orders import Actor, OrderEngine


def main(data_dir: str) -> None:
    data = Path(data_dir)
    ledger = Ledger(data / "ledger.db")
    master = MasterData(data / "master")
    engine = OrderEngine(ledger, master)
    product = master.catalog.list_products()[0]
    assistant = Actor("s-a", "assistant", "phone")
    cashier = Actor("s-c", "cashier", "counter")
    out = sys.stdout
    while True:
        order = engine.open_order(assistant)
        order = engine.add_line(assistant, order.id, product_id=product.id, qty=2)
        res = engine.add_payment(cashier, order.id, "cash", engine.due(order) + 100)
        out.write(f"ACK {order.id} {res.order.receipt_no}\n")
        out.flush()


if __name__ == "__main__":
    main(sys.argv[1])
