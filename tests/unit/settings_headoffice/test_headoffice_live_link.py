"""Head-office settings take effect live (issue 11): a real uplinkd process and real
mosquitto brokers on loopback. Moving the link to another broker on the settings page makes
uplinkd reconnect there within seconds and deliver, keeping its cursor; a wrong password
shows as refused on the health view, the right one connects; the password is nowhere but its
0600 file (not the overlay, the journal, uplinkd's log or any answer)."""

import json

from conftest import PINS, Api, wait_until
from mqtt_broker import Broker
from uplink_rig import LinkedBox, Probe

PASSWORD = "Rabbit-7-ear"


def owner_of(linked):
    linked.box.master.staff.add("老板", "owner", PINS["owner"])
    api = Api(linked.app)
    assert api.login("owner").status_code == 200
    return api


def put(api, path, body):
    return api.client.put(path, json=body, headers={"X-CSRF-Token": api.csrf})


def link(api):
    return api.get("/api/v1/settings/headoffice/status").get_json()["link"]


def test_moving_to_another_broker_on_the_page_reconnects_and_delivers(tmp_path, broker):
    other = Broker(tmp_path / "other")
    linked = LinkedBox(tmp_path / "box", broker.port)
    probe = Probe(other.port)
    try:
        api = owner_of(linked)
        linked.sales(2)
        linked.start_uplinkd()
        wait_until(lambda: link(api)["state"] == "connected", 20, "connected to the first")
        assert link(api)["broker"] == f"127.0.0.1:{broker.port}"
        r = api.patch("/api/v1/settings/headoffice", {"mqtt.port": other.port})
        assert r.status_code == 200, r.get_json()
        head = linked.head()            # the sales and the config.changed record
        wait_until(lambda: {p["seq"] for p in probe.on("journal")} >= set(range(1, head + 1)),
                   15, "the journal at the new broker")
        assert probe.on("journal")[-1]["type"] == "config.changed"
        wait_until(lambda: link(api)["broker"] == f"127.0.0.1:{other.port}" and
                   link(api)["state"] == "connected", 15, "health shows the new broker")
        assert linked.proc.poll() is None        # the same process: no restart
    finally:
        probe.close()
        linked.close()
        other.stop()


def test_a_wrong_password_shows_as_refused_and_the_right_one_connects(tmp_path):
    secured = Broker(tmp_path / "secured", users={"hz-0012": PASSWORD})
    linked = LinkedBox(tmp_path / "box", secured.port, mqtt={"username": '"hz-0012"'})
    try:
        api = owner_of(linked)
        assert put(api, "/api/v1/settings/headoffice/password",
                   {"password": "wrong-one"}).status_code == 200
        linked.start_uplinkd()
        wait_until(lambda: (link(api).get("last_error") or {}).get("kind") == "auth", 20,
                   "refused for the password")
        assert link(api)["state"] == "offline"
        r = put(api, "/api/v1/settings/headoffice/password", {"password": PASSWORD})
        assert r.status_code == 200 and r.get_json()["password"]["set"] is True
        wait_until(lambda: link(api)["state"] == "connected", 20, "connected with it")
        # The password is in its own file only.
        answers = api.get("/api/v1/settings/headoffice").get_data(as_text=True)
        overlay = linked.cfg.overlay_path.read_text() if linked.cfg.overlay_path.exists() else ""
        journal = json.dumps([r.data for r in linked.box.ledger.records()], ensure_ascii=False)
        for text in (answers, overlay, journal, r.get_data(as_text=True),
                     linked.log.read_text(errors="replace")):
            assert PASSWORD not in text and "wrong-one" not in text
    finally:
        linked.close()
        secured.stop()
