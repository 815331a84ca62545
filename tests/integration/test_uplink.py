"""uplinkd against a real mosquitto: the birth and the Will with a growing session, records in
seq order, the cursor moving only on head office's ack, resending after restarts, refusals by
the broker's ACL never counted as sent, and commands (deduplicated, expiring, applied)."""

import signal

import pytest

from mqtt_broker import Broker
from uplink_rig import LinkedBox, Probe, linked, probe, ts, wait_until  # noqa: F401 (fixtures)


def journal_seqs(probe):
    return [p["seq"] for p in probe.on("journal")]


def test_records_go_out_in_order_and_the_cursor_moves_only_on_ack(linked, probe):
    linked.sales(5)
    linked.start_uplinkd()
    head = linked.head()
    wait_until(lambda: set(journal_seqs(probe)) >= set(range(1, head + 1)), 15, "journal")
    seqs = journal_seqs(probe)
    assert seqs[:head] == list(range(1, head + 1))            # in seq order
    first = probe.on("journal")[0]
    assert first["schema"] == 1 and first["device"] == "till-1" and first["store"] == "hz-0012"
    assert linked.acked() == 0                                # nothing acked, nothing moved
    probe.publish(linked.topic("ack"), {"seq": 7}, retain=True)
    wait_until(lambda: linked.acked() == 7, 10, "cursor at the ack")
    # Restarted, it resends exactly what head office has not acked.
    linked.stop_uplinkd()
    probe.messages.clear()
    linked.start_uplinkd()
    wait_until(lambda: set(journal_seqs(probe)) >= set(range(8, head + 1)), 15, "resend")
    assert min(journal_seqs(probe)) == 8
    # An ack beyond anything this box wrote (an old retained ack meeting a wiped box) is
    # refused: the cursor stays, the shop is told.
    probe.publish(linked.topic("ack"), {"seq": head + 50}, retain=True)
    devices = linked.app.config["DEVICES"]
    wait_until(lambda: "acked seq" in (devices.uplink().get("warning") or ""), 15, "warning")
    assert linked.acked() == 7


def test_birth_will_and_session_counter(linked, probe, broker):
    linked.start_uplinkd()
    births = wait_until(lambda: [p for p in probe.on("status") if p["online"]], 10, "birth")
    first = births[0]["session"]
    linked.stop_uplinkd(signal.SIGKILL)                       # the box vanishes
    # The Will speaks for the connection that died: same session, offline.
    wait_until(lambda: any(not p["online"] and p["session"] == first
                           for p in probe.on("status")), 20, "the Will")
    linked.start_uplinkd()
    wait_until(lambda: any(p["online"] and p["session"] == first + 1
                           for p in probe.on("status")), 10, "the next birth")


def test_heartbeats_carry_the_backlog(linked, probe):
    linked.sales(2)
    linked.start_uplinkd()
    hb = wait_until(lambda: [p for p in probe.on("hb") if p["last_seq"] == linked.head()],
                    10, "heartbeat")[-1]
    assert hb["backlog"] == linked.head() and hb["acked_seq"] == 0
    assert hb["oldest_unacked_age_s"] is not None and hb["disk_free_mb"] > 0
    assert "printer" in hb and hb["clock_synced"] is True and hb["version"]


def test_the_shop_sees_the_link_state(linked, probe, broker):
    linked.sales(1)
    linked.start_uplinkd()
    devices = linked.app.config["DEVICES"]
    wait_until(lambda: devices.uplink()["state"] == "connected", 15, "connected")
    broker.stop()
    wait_until(lambda: devices.uplink()["state"] == "offline", 30, "offline shown")
    assert devices.uplink()["backlog"] == linked.head() and devices.uplink()["last_contact"]
    linked.sales(3)                                           # selling goes on meanwhile
    broker.start()
    wait_until(lambda: devices.uplink()["state"] == "connected", 40, "reconnected")


def test_commands_are_acknowledged_deduplicated_and_expire(linked, probe):
    linked.start_uplinkd()
    wait_until(lambda: probe.on("status"), 10, "birth")
    row = {"sku": "TEA-1", "name": "西湖龙井", "unit": "盒", "price": "72.00",
           "barcodes": "6901234567892", "stock_tracked": "0"}
    cmd = {"id": "c-1", "expires": ts(minutes=5), "args": {"rows": [row]}}
    probe.publish(linked.topic("cmd/catalog.update"), cmd)
    wait_until(lambda: any(a["id"] == "c-1" and a["status"] == "done"
                           for a in probe.on("cmd_ack")), 10, "catalog done")
    assert linked.box.master.catalog.lookup_barcode("6901234567892")[0].price == 7200
    # The next order uses the new price.
    e = linked.box.orders
    o = e.open_order(linked.actor)
    assert e.add_line(linked.actor, o.id, barcode="6901234567892").lines[0].unit_price == 7200
    # The same id again, and an expired command: nothing changes.
    row2 = dict(row, price="99.00")
    probe.publish(linked.topic("cmd/catalog.update"),
                  {"id": "c-1", "expires": ts(minutes=5), "args": {"rows": [row2]}})
    probe.publish(linked.topic("cmd/catalog.update"),
                  {"id": "c-2", "expires": ts(minutes=-1), "args": {"rows": [row2]}})
    probe.publish(linked.topic("cmd/self.destruct"), {"id": "c-3", "expires": ts(minutes=5)})
    wait_until(lambda: {a["id"] for a in probe.on("cmd_ack")} >= {"c-2", "c-3"}, 10, "acks")
    acks = {a["id"]: a for a in probe.on("cmd_ack") if a["id"] in ("c-2", "c-3")}
    assert acks["c-2"]["status"] == "rejected" and acks["c-2"]["detail"] == "expired"
    assert acks["c-3"]["status"] == "rejected" and "unknown" in acks["c-3"]["detail"]
    # The repeat is answered with how it ended, and not run again.
    wait_until(lambda: [a["status"] for a in probe.on("cmd_ack") if a["id"] == "c-1"] ==
               ["accepted", "done", "done"], 10, "the repeat answered")
    assert linked.box.master.catalog.lookup_barcode("6901234567892")[0].price == 7200


def test_a_bad_catalog_update_fails_without_changing_anything(linked, probe):
    linked.start_uplinkd()
    wait_until(lambda: probe.on("status"), 10, "birth")
    probe.publish(linked.topic("cmd/catalog.update"), {
        "id": "c-9", "expires": ts(minutes=5),
        "args": {"rows": [{"sku": "X", "name": "坏数据", "unit": "盒", "price": "abc"}]}})
    ack = wait_until(lambda: [a for a in probe.on("cmd_ack")
                              if a["id"] == "c-9" and a["status"] == "failed"], 10, "failed")
    assert ack[0]["detail"]
    assert linked.box.master.catalog.lookup_barcode("6901234567892")[0].price == 6800


def test_head_office_promotions_price_the_next_order_and_come_back_on_the_journal(linked,
                                                                                  probe):
    linked.start_uplinkd()
    wait_until(lambda: probe.on("status"), 10, "birth")
    rule = {"id": "ho-2611", "name": "总部满100减10", "kind": "threshold",
            "tiers": [{"min": "100.00", "off": "10.00"}], "repeat": True}
    probe.publish(linked.topic("cmd/promotions.update"),
                  {"id": "p-1", "expires": ts(minutes=5), "args": {"promotions": [rule]}})
    wait_until(lambda: any(a["id"] == "p-1" and a["status"] == "done"
                           for a in probe.on("cmd_ack")), 10, "promotions done")
    e = linked.box.orders
    o = e.open_order(linked.actor)
    o = e.add_line(linked.actor, o.id, barcode="6901234567892", qty=3)   # 204.00
    quote = e.quote(o)
    assert (quote.discount, quote.total) == (2000, 18400)
    assert [a.label for a in quote.adjustments] == ["总部满100减10"]
    # Head office sees the change it made as a journal record, like any other.
    sent = wait_until(lambda: [p for p in probe.on("journal")
                               if p["type"] == "promotions.replaced"], 10, "journal record")
    assert [r["id"] for r in sent[0]["data"]["rules"]] == ["ho-2611"]
    # A rule that does not pass the checks fails the whole command and changes nothing.
    probe.publish(linked.topic("cmd/promotions.update"), {
        "id": "p-2", "expires": ts(minutes=5),
        "args": {"promotions": [{"id": "ho-x", "name": "坏", "kind": "threshold",
                                 "tiers": [{"min": "10.00", "off": "20.00"}]}]}})
    ack = wait_until(lambda: [a for a in probe.on("cmd_ack")
                              if a["id"] == "p-2" and a["status"] == "failed"], 10, "failed")
    assert "ho-x" in ack[0]["detail"]
    assert e.quote(e.get_order(o.id)).total == 18400


def test_refused_publishes_are_not_sent_and_arrive_when_access_returns(tmp_path):
    allow = ("user till-1\ntopic readwrite pos/v1/hz-0012/till-1/#\n"
             "user ho\ntopic readwrite pos/v1/#\n")
    deny = ("user till-1\ntopic readwrite pos/v1/hz-0012/till-1/status\n"
            "topic read pos/v1/hz-0012/till-1/#\n"
            "user ho\ntopic readwrite pos/v1/#\n")
    broker = Broker(tmp_path / "broker", acl=deny, users={"till-1": "pw", "ho": "pw"})
    box = LinkedBox(tmp_path / "box", broker.port, extra="")
    (tmp_path / "box" / "secrets.toml").write_text('[mqtt]\npassword = "pw"\n')
    (tmp_path / "box" / "secrets.toml").chmod(0o600)
    import os
    os.environ.pop("TILLBOX_MQTT__USERNAME", None)
    text = box.cfg_path.read_text().replace("[mqtt]\n", '[mqtt]\nusername = "till-1"\n')
    box.cfg_path.write_text(text)
    probe = Probe(broker.port, username="ho", password="pw")
    try:
        box.sales(2)
        box.start_uplinkd()
        devices = box.app.config["DEVICES"]
        wait_until(lambda: "refused" in (devices.uplink().get("warning") or ""), 20,
                   "the refusal shown")
        assert probe.on("journal") == []
        # Head office sees the warning on the box's retained status.
        wait_until(lambda: any("refused" in p.get("warning", "") for p in probe.on("status")),
                   10, "the warning on status")
        broker.set_acl(allow)
        wait_until(lambda: set(journal_seqs(probe)) >= set(range(1, box.head() + 1)), 90,
                   "everything arrives")
        wait_until(lambda: not devices.uplink().get("warning"), 15, "warning cleared")
    finally:
        probe.close()
        box.close()
        broker.stop()


def test_a_command_cut_short_by_a_restart_runs_on_its_repeat(linked, probe):
    # What a SIGKILL between `accepted` and core's answer leaves on disk.
    from appliance.durable import write_json
    linked.cfg.uplink_dir.mkdir(parents=True)
    write_json(linked.cfg.uplink_dir / "commands.json",
               {"c-5": {"at": 0, "status": "accepted", "detail": ""}})
    linked.start_uplinkd()
    wait_until(lambda: probe.on("status"), 10, "birth")
    row = {"sku": "TEA-1", "name": "西湖龙井", "unit": "盒", "price": "75.00",
           "barcodes": "6901234567892", "stock_tracked": "0"}
    probe.publish(linked.topic("cmd/catalog.update"),
                  {"id": "c-5", "expires": ts(minutes=5), "args": {"rows": [row]}})
    wait_until(lambda: any(a["id"] == "c-5" and a["status"] == "done"
                           for a in probe.on("cmd_ack")), 10, "finished this time")
    assert linked.box.master.catalog.lookup_barcode("6901234567892")[0].price == 7500
