"""Training mode leaves the real ledger, stock, master data and the uplink untouched, by byte
comparison, on a running core with uplinkd connected to a real mosquitto.

What makes the comparison meaningful: before the snapshot every real record is acked by head
office (uplinkd's cursor file is final), every real print job is printed (a claim would
otherwise move one, a real write), and the WAL is checkpointed into ledger.db and truncated.
After that, any write to the real ledger, however small, appends WAL frames or changes
ledger.db, and either shows. The -shm file (the WAL index, whose read marks every reader,
uplinkd included, updates) holds no data and is not compared.
"""

import hashlib
import sqlite3

from conftest import HttpScreen
from uplink_rig import TEA, LinkedBox, Probe, wait_until

from appliance.training import TRAINING_LEDGER


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def snapshot(box):
    """The bytes that must not change, by file."""
    data = box.cfg.data_dir
    files = [data / "ledger.db", data / "ledger.db-wal", *sorted(box.cfg.master_dir.glob("*")),
             *sorted(box.cfg.uplink_dir.glob("*"))]
    return {str(p.relative_to(data)): digest(p) for p in files}


def training_mark_texts(box):
    from appliance.i18n import language
    from drivers.printer.layout import COLUMNS, training_mark
    settings = box.master.settings
    with language(settings.get("receipt.language")):
        return [ln.text for ln in training_mark(COLUMNS[settings.get("receipt.width_mm")])]


def checkpoint(path):
    conn = sqlite3.connect(str(path))
    try:
        busy, _log, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0
    finally:
        conn.close()


def ok(result, *codes):
    status, body, _cookie = result
    assert status in (codes or (200, 201)), (status, body)
    return body


def sale(screen, *, member_id=None, method="cash", amount="100.00"):
    order = ok(screen.call("POST", "/api/v1/orders"))
    if member_id:
        ok(screen.call("PUT", f"/api/v1/orders/{order['id']}/member", {"member_id": member_id}))
    ok(screen.call("POST", f"/api/v1/orders/{order['id']}/lines", {"barcode": TEA}))
    body = {"method": method, "amount": amount}
    if method != "cash":
        body["reference"] = "T-1"
    ok(screen.call("POST", f"/api/v1/orders/{order['id']}/payments", body))
    return order["id"]


def print_everything(port, token):
    """printerd's part: claim every job and report it printed; the jobs claimed."""
    import http.client
    import json
    jobs = []
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/api/v1/device/print-jobs/next",
                     headers={"Authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        raw = resp.read()
        conn.close()
        if resp.status == 204:
            return jobs
        job = json.loads(raw)
        jobs.append(job)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", f"/api/v1/device/print-jobs/{job['id']}",
                     json.dumps({"state": "printed"}),
                     {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        assert conn.getresponse().status == 200
        conn.close()


def test_training_leaves_the_real_box_and_head_office_untouched(tmp_path, broker):
    linked = LinkedBox(tmp_path / "box", broker.port)
    probe = Probe(broker.port)
    try:
        box, port = linked.box, linked.server.port
        box.master.staff.add("店长", "manager", "1357")
        cashier = HttpScreen(port, "1001")
        manager = HttpScreen(port, "1357")
        linked.start_uplinkd()

        # -- the real shop trades first ------------------------------------------------------
        first = sale(cashier)
        sale(cashier, method="card", amount="68.00")
        ok(manager.call("POST", f"/api/v1/orders/{first}/refunds", {"reason": "破损"}))
        real_member = ok(cashier.call("POST", "/api/v1/members",
                                      {"name": "真会员", "phone": "13900000009"}))
        sale(cashier, member_id=real_member["id"])
        real_jobs = print_everything(port, box.device_token)
        assert real_jobs and not any("TRAINING" in ln["text"] for j in real_jobs
                                     for ln in j.get("document", {}).get("lines", []))
        head = linked.head()
        wait_until(lambda: {p["seq"] for p in probe.on("journal")} >= set(range(1, head + 1)),
                   20, "the real records at head office")
        probe.publish(linked.topic("ack"), {"seq": head}, retain=True)
        wait_until(lambda: linked.acked() == head, 15, "uplinkd's cursor at the head")
        with box.ledger.reading() as conn:
            real_stock = conn.execute("SELECT * FROM stock_levels ORDER BY 1, 2").fetchall()
            real_members = conn.execute("SELECT * FROM members ORDER BY id").fetchall()
        checkpoint(box.config.ledger_path)
        before = snapshot(linked)
        assert before["ledger.db"] and before["uplink/cursor.json"]

        # -- a training session does everything -----------------------------------------------
        ok(cashier.call("POST", "/api/v1/training/session", {"on": True}))
        ok(manager.call("POST", "/api/v1/training/session", {"on": True}))
        ok(cashier.call("POST", "/api/v1/shifts", {"float": "0.00"}))
        practice = sale(cashier, amount="100.00")
        sale(cashier, method="wechat", amount="68.00")
        ok(manager.call("POST", f"/api/v1/orders/{practice}/refunds", {"reason": "练习退货"}))
        member = ok(cashier.call("POST", "/api/v1/members",
                                 {"name": "练习会员", "phone": "13800000001"}))
        ok(cashier.call("POST", f"/api/v1/members/{member['id']}/topups",
                        {"amount": "100.00", "method": "cash"}))
        sale(cashier, member_id=member["id"], method="member_balance", amount="68.00")
        sale(cashier, member_id=member["id"])
        ok(manager.call("POST", "/api/v1/reports/x"))
        # Counted exactly: cash sale 68 - its refund 68 + top-up 100 + member's cash sale 68.
        ok(cashier.call("POST", "/api/v1/shifts/current/close",
                        {"denominations": {"10000": 1, "5000": 1, "1000": 1, "500": 1,
                                           "100": 3}, "tenders": {"wechat": "68.00"}}))
        ok(manager.call("POST", "/api/v1/reports/z"))
        # The real member is not there to be charged in training.
        status, _body, _ = cashier.call("GET", f"/api/v1/members/{real_member['id']}")
        assert status == 404
        training_jobs = print_everything(port, box.device_token)
        assert {j["kind"] for j in training_jobs} == {"receipt", "report"}
        mark = training_mark_texts(box)
        for job in training_jobs:
            texts = [ln["text"] for ln in job["document"]["lines"]]
            assert texts[:len(mark)] == mark and texts[-len(mark):] == mark, job["kind"]
        ok(cashier.call("POST", "/api/v1/training/session", {"on": False}))

        # -- the real box: not one byte moved ---------------------------------------------------
        assert snapshot(linked) == before
        with box.ledger.reading() as conn:
            assert conn.execute("SELECT * FROM stock_levels ORDER BY 1, 2").fetchall() \
                == real_stock
            assert conn.execute("SELECT * FROM members ORDER BY id").fetchall() == real_members
        # -- the training ledger has it all -------------------------------------------------
        stack = box.training()
        assert stack.ledger.path == box.config.data_dir / TRAINING_LEDGER
        types = [r.type for r in stack.ledger.records()]
        for wanted in ("order.paid", "order.refunded", "member.joined", "member.topped_up",
                       "shift.opened", "report.x", "shift.closed", "report.z"):
            assert wanted in types, wanted
        assert all(r.actor.get("device") == "till-1-training" for r in stack.ledger.records())

        # -- head office: the real records, and only those --------------------------------------
        after_training = sale(cashier, method="card", amount="68.00")  # real again
        new_head = linked.head()
        assert {r.data["order_id"] for r in box.ledger.records(head + 1)} == {after_training}
        wait_until(lambda: {p["seq"] for p in probe.on("journal")} >= set(range(1, new_head + 1)),
                   20, "the real sale after training at head office")
        real_ids = {r.id for r in box.ledger.records()}
        training_ids = {r.id for r in stack.ledger.records()}
        sent = probe.on("journal")
        assert {p["id"] for p in sent} <= real_ids
        assert not {p["id"] for p in sent} & training_ids
        assert all(p["device"] == "till-1" for p in sent)
        assert not [t for t, _p, _r in probe.messages if "training" in t]
        assert not any(p["type"].startswith(("training.", "report.", "shift.")) for p in sent)
        assert after_training in {p["data"].get("order_id") for p in sent}
    finally:
        probe.close()
        linked.close()
