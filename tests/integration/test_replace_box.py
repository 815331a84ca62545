"""Replacing a box end to end against a real mosquitto: a box whose records reached head
office's ingest is stopped and relinked to a new device id; its uplinkd then sends only the
new device's records, starting with ``device.linked``, head office takes the link and acks
the new device from there, and nothing is stored or counted twice."""

from appliance.box import Box
from appliance.config import load
from appliance.headoffice.ingest import Ingest, IngestSettings
from appliance.headoffice.report import sales_by_day
from appliance.headoffice.store import open_store
from appliance.replace.relink import relink
from loopback import LoopbackServer
from uplink_rig import LinkedBox, wait_until
from webui.app import create_app

STORE = "hz-0012"


def test_a_relinked_box_goes_on_as_the_new_device_and_head_office_counts_each_sale_once(
        tmp_path, broker):
    db = open_store(f"sqlite://{tmp_path}/ho.db")
    ingest = Ingest(db, IngestSettings(host="127.0.0.1", port=broker.port,
                                       client_id="ingest-replace", session_expiry=0,
                                       gap_grace=0))
    ingest.start()
    box = LinkedBox(tmp_path / "box", broker.port)
    try:
        assert ingest.wait_subscribed(5), broker.log()
        box.sales(2)
        box.start_uplinkd()
        old_head = box.head()
        wait_until(lambda: box.acked() == old_head, 20, "the old device acked")
        assert db.contiguous(STORE, "till-1") == old_head

        # the box is stopped and goes on under a new id
        box.stop_uplinkd()
        box.server.close()
        box.box.close()
        link = relink(box.cfg, "till-2", "new hardware")
        box.cfg = load(box.cfg_path, environ={})
        assert box.cfg.shop.device_id == "till-2"        # from the setup overlay
        box.box = Box(box.cfg, background_checkpoints=True)
        box.app = create_app(box.box)
        box.server = LoopbackServer(box.app, threads=6, port=box.cfg.web.port)
        box.sales(1)
        box.start_uplinkd()
        head = box.head()
        wait_until(lambda: box.acked() == head, 20, "the new device acked")

        assert db.contiguous(STORE, "till-2") == head
        mine = db.records(STORE, "till-2")
        assert [r.seq for r in mine] == list(range(link["seq"], head + 1))
        assert mine[0].type == "device.linked"
        assert db.count_records(STORE, "till-1") == old_head      # nothing re-sent as till-1
        assert db.count_records() == head                         # every record once
        assert sum(row.sales for row in sales_by_day(db, STORE)) == 3
        assert db.rejects() == []
    finally:
        box.close()
        ingest.close()
        db.close()
