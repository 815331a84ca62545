"""An erased customer's name, phone, e-mail and address appear nowhere on the box but the
journal (which keeps verifying): not in members, orders, deliveries typed with spaces on
someone else's order, tickets, or the notification outbox (issue 10 points 5 and 6)."""

import json
import sqlite3

from appliance.ledger.verify import verify
from notifybox import ASSISTANT, CASHIER, MANAGER, make_box, paid_order, rows


def test_an_erased_customer_is_nowhere_but_the_journal(tmp_path, ledger_invariants):
    box = make_box(tmp_path, wechat="relay", sms="relay")
    m = box.members.sign_up(CASHIER, name="王小明", phone="13912345678",
                            email="xiaoming@example.com")
    paid_order(box, member_id=m.id)
    gift = paid_order(box, customer_phone="13700000000")      # someone else's order...
    box.fulfilment.set(ASSISTANT, gift.id, kind="delivery", recipient="王小明",
                       phone="139 1234 5678", address="杭州市西湖区某路1号")  # ...to him
    box.fulfilment.update(ASSISTANT, gift.id, "packed")
    box.fulfilment.update(ASSISTANT, gift.id, "shipped", carrier=box.fulfilment.carriers()[0],
                          tracking="SF1234567890")
    walk_in = paid_order(box)                                  # a pick-up for him
    box.fulfilment.set(ASSISTANT, walk_in.id, kind="pickup", recipient="王小明",
                       phone="13912345678")
    box.fulfilment.update(ASSISTANT, walk_in.id, "ready")
    assert any(r["address"] == "13912345678" for r in rows(box, event="order_ready"))
    found = box.customers.lookup(MANAGER, "139-1234-5678")
    assert found["deliveries"] == 2 and found["orders"] == 1

    box.customers.erase(MANAGER, "13912345678", "customer asked")

    needles = ["王小明", "13912345678", "139 1234 5678", "xiaoming@", "西湖区"]
    conn = sqlite3.connect(box.config.data_dir / "ledger.db")
    try:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type ="
                                             " 'table'") if t != "journal"]
        for table in tables:
            for row in conn.execute(f"SELECT * FROM {table}"):
                text = json.dumps(row, ensure_ascii=False, default=str)
                assert not any(n in text for n in needles), (table, text)
        journal = " ".join(d for (d,) in conn.execute("SELECT data FROM journal"))
    finally:
        conn.close()
    assert "王小明" in journal                 # the records that carried it are unchanged...
    assert verify(box.ledger.records()).ok    # ...and the chain still verifies
    assert {r["state"] for r in rows(box, event="order_ready")} == {"cancelled"}  # SMS, WeChat
    ledger_invariants(box.ledger)
