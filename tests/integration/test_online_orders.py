"""Head office's online orders end to end: cmd/order.create published on a real mosquitto,
uplinkd (a real process) hands it to core, the order is made and waits at the counter with
its pick slip queued, cmd_ack says done; a repeat of the same external_ref makes nothing new;
a bad order fails with the reason and writes nothing."""

from uplink_rig import TEA, linked, probe, ts, wait_until  # noqa: F401 (fixtures)


def args(ref, **over):
    a = {"external_ref": ref, "lines": [{"barcode": TEA, "qty": 3}],
         "customer": {"name": "李四", "phone": "13900139000"},
         "fulfilment": {"kind": "pickup", "recipient": "李四", "phone": "13900139000"},
         "note": "网店自提"}
    a.update(over)
    return a


def final_ack(probe, cmd_id):
    return wait_until(lambda: next((a for a in probe.on("cmd_ack") if a["id"] == cmd_id
                                    and a["status"] in ("done", "failed")), None),
                      15, f"the final cmd_ack of {cmd_id}")


def pick_slips(box):
    with box.ledger.reading() as conn:
        return [r[0] for r in conn.execute(
            "SELECT json_extract(payload, '$.order_id') FROM print_jobs WHERE kind = 'report'"
            " AND json_extract(payload, '$.document') = 'pick_slip'")]


def test_an_online_order_arrives_at_the_counter_with_a_pick_slip(linked, probe):
    linked.start_uplinkd()
    wait_until(lambda: probe.on("status"), 10, "birth")
    probe.publish(linked.topic("cmd/order.create"),
                  {"id": "ord-1", "expires": ts(minutes=5), "args": args("WX-1")})
    ack = final_ack(probe, "ord-1")
    assert ack["status"] == "done", ack
    parked = linked.box.orders.list_orders(status="parked")
    assert len(parked) == 1 and ack["detail"].find(parked[0].number) >= 0
    order = linked.box.orders.get_order(parked[0].id)
    assert [(ln.qty, ln.unit_price) for ln in order.lines] == [(3, 6800)]
    ful = linked.box.fulfilment.get(order.id)
    assert (ful["source"], ful["external_ref"], ful["kind"]) == ("head_office", "WX-1",
                                                                 "pickup")
    assert pick_slips(linked.box) == [order.id]
    # Its records go up to head office like every sale's.
    wait_until(lambda: any(j.get("type") == "order.fulfilment_set" and
                           j["data"]["external_ref"] == "WX-1" for j in probe.on("journal")),
               15, "the fulfilment record on journal")
    # Head office repeats the order under a new command id: the same order answers.
    probe.publish(linked.topic("cmd/order.create"),
                  {"id": "ord-2", "expires": ts(minutes=5), "args": args("WX-1")})
    again = final_ack(probe, "ord-2")
    assert again["status"] == "done" and order.number in again["detail"]
    assert len(linked.box.orders.list_orders(status="parked")) == 1
    assert pick_slips(linked.box) == [order.id]


def test_a_prepaid_order_is_paid_and_a_bad_one_fails_with_the_reason(linked, probe):
    linked.start_uplinkd()
    wait_until(lambda: probe.on("status"), 10, "birth")
    probe.publish(linked.topic("cmd/order.create"), {
        "id": "ord-3", "expires": ts(minutes=5),
        "args": args("WX-3", paid={"method": "wechat", "amount": 20400,
                                   "reference": "4200001234"})})
    assert final_ack(probe, "ord-3")["status"] == "done"
    order_id = linked.box.fulfilment.find_external("WX-3")
    order = linked.box.orders.get_order(order_id)
    assert order.status == "paid" and order.paid == 20400
    before = linked.head()
    probe.publish(linked.topic("cmd/order.create"), {
        "id": "ord-4", "expires": ts(minutes=5),
        "args": args("WX-4", lines=[{"barcode": "6900000000000", "qty": 1}])})
    ack = final_ack(probe, "ord-4")
    assert ack["status"] == "failed" and "6900000000000" in ack["detail"]
    assert linked.head() == before and linked.box.fulfilment.find_external("WX-4") is None
