"""The /sim page's modem panel: GET /api/v1/sim/modem shows what the simulated modem sent
(joined parts, delivered or not), PUT flips its faults, and both answer 404 on a box whose
modem is not simulated."""

import pytest

from appliance.box import Box
from appliance.config import load
from conftest import PINS, Api, wait_until
from drivers.modem import TransientSmsError, open_sms_sender
from drivers.modem.simulated import read_faults, write_faults
from webui.app import create_app


@pytest.fixture
def simweb(tmp_path):
    cfg_file = tmp_path / "t.toml"
    cfg_file.write_text('[paths]\ndata = "d"\n[modem]\nbackend = "simulated"\n'
                        '[notify]\ntimeout_seconds = 2\n', encoding="utf-8")
    box = Box(load(cfg_file, environ={}))
    for role in ("cashier", "assistant"):
        box.master.staff.add(f"{role} 张", role, PINS[role])
    app = create_app(box)
    app.config.update(TESTING=True)
    yield app, box
    box.close()


def login(app, role):
    c = Api(app, "en")
    assert c.login(role).status_code == 200
    return c


def test_sent_messages_and_their_delivery_show_on_the_sim_api(simweb):
    app, box = simweb
    state = box.config.sim_dir / "modem"
    write_faults(state, report_delay_s=0.05, undeliverable_numbers=["13900000000"])
    with open_sms_sender(box.config, {}) as sender:
        sender.send("13800138000", "您的快递已发出：" + "顺丰 SF1234567890，" * 8)  # 144 units
        sender.send("13900000000", "Order ready")
        wait_until(lambda: len(sender.reports()) > 0 or None, what="a report")
    c = login(app, "cashier")

    def both_final():
        answer = c.get("/api/v1/sim/modem").get_json()
        return answer if {m["status"] for m in answer["messages"]} == {"delivered",
                                                                        "failed"} else None
    answer = wait_until(both_final, what="both messages' reports")
    failed, delivered = answer["messages"]               # newest first
    assert (failed["number"], failed["text"], failed["status"]) == (
        "13900000000", "Order ready", "failed")
    assert delivered["parts"] == 3 and delivered["text"].startswith("您的快递已发出")
    assert delivered["status"] == "delivered"
    assert answer["faults"]["report_delay_s"] == 0.05


def test_faults_are_flipped_by_a_cashier_and_reach_the_modem(simweb):
    app, box = simweb
    c = login(app, "cashier")
    r = c.client.put("/api/v1/sim/modem", json={"no_network": True},
                     headers=c._headers(True))
    assert r.status_code == 200 and r.get_json()["faults"]["no_network"] is True
    assert read_faults(box.config.sim_dir / "modem")["no_network"] is True
    with open_sms_sender(box.config, {}) as sender:
        with pytest.raises(TransientSmsError, match="331"):
            sender.send("10086", "hi")


@pytest.mark.parametrize("payload", [{"no_network": "yes"}, {"gremlins": True},
                                     {"fail_next": -1}])
def test_bad_faults_are_refused_with_400(simweb, payload):
    app, _ = simweb
    c = login(app, "cashier")
    r = c.client.put("/api/v1/sim/modem", json=payload, headers=c._headers(True))
    assert r.status_code == 400 and "no_network" in r.get_json()["error"]


def test_an_assistant_may_look_but_not_flip(simweb):
    app, _ = simweb
    c = login(app, "assistant")
    assert c.get("/api/v1/sim/modem").status_code == 200
    r = c.client.put("/api/v1/sim/modem", json={"busy": True}, headers=c._headers(True))
    assert r.status_code == 403


def test_the_sim_page_has_the_modem_panel(simweb):
    app, _ = simweb
    c = login(app, "cashier")
    page = c.get("/sim").get_data(as_text=True)
    assert 'id="modem-faults"' in page and 'id="sms"' in page
    assert 'id="roll"' not in page                       # no simulated printer here


def test_no_simulated_modem_no_modem_api(web):
    c = web.as_role("cashier")
    assert c.get("/api/v1/sim/modem").status_code == 404
    r = c.client.put("/api/v1/sim/modem", json={"busy": True}, headers=c._headers(True))
    assert r.status_code == 404
