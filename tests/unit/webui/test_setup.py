"""The setup page of a new box (webui/setup.py, appliance/provisioning.py) and its slip
(appliance/printing/documents.py)."""

import logging
import tomllib

import pytest
from escpos.printer import Dummy

from appliance.box import Box
from appliance.config import load
from appliance.printing.documents import document_for
from appliance.provisioning import read_code
from drivers.printer import escpos_out
from drivers.printer.layout import Line
from webui import setup as setup_page
from webui.app import create_app

GOOD = {"store_id": "hz-0012", "mqtt_host": "mqtt.head-office.example", "mqtt_port": "8883",
        "mqtt_tls": True, "owner_name": "王店长", "pin": "2580", "pin_again": "2580"}


class NewBox:
    def __init__(self, tmp_path, printer="simulated", extra=""):
        self.cfg_file = tmp_path / "tillbox.toml"
        self.cfg_file.write_text(f'[paths]\ndata = "data"\n[web]\nhost = "0.0.0.0"\n'
                                 f'https_port = 8443\n[printer]\nbackend = "{printer}"\n{extra}',
                                 encoding="utf-8")
        self.box = Box(load(self.cfg_file, environ={}))
        self.app = create_app(self.box)
        self.app.config.update(TESTING=True)
        self.client = self.app.test_client()
        self.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"

    def start(self):
        return setup_page.start(self.app)

    @property
    def code(self):
        return read_code(self.box.config.data_dir)

    def post(self, **fields):
        return self.client.post("/api/v1/setup", json={"code": self.code, **GOOD, **fields})


@pytest.fixture(autouse=True)
def shop_lan(monkeypatch):
    monkeypatch.setattr("services.tls.lan_addresses", lambda: ["192.168.1.20"])


@pytest.fixture
def new(tmp_path):
    nb = NewBox(tmp_path)
    yield nb
    nb.box.close()


def test_a_new_box_sends_the_start_page_and_sign_in_to_setup(new):
    assert new.start() is True
    for path in ("/", "/login", "/?lang=en"):
        r = new.client.get(path)
        assert r.status_code == 302 and r.headers["Location"].startswith("/setup"), path
    assert new.client.get("/?lang=en").headers["Location"] == "/setup?lang=en"


def test_before_core_has_started_setup_is_not_open(new):
    """Only core's start opens setup (it makes the code); an app alone serves as before."""
    assert new.client.get("/").status_code == 200
    assert new.client.get("/setup").headers["Location"] == "/login"
    assert new.code is None


def test_the_setup_page_is_chinese_by_default_and_takes_the_code_from_the_link(new):
    new.start()
    new.client.environ_base.pop("HTTP_ACCEPT_LANGUAGE")
    html = new.client.get(f"/setup?code={new.code}").get_data(as_text=True)
    assert "设置本机" in html and "门店编号" in html and 'lang="zh-CN"' in html
    assert f'value="{new.code}"' in html
    html = new.client.get("/setup?lang=en&code=%22%3E%3Cscript%3E").get_data(as_text=True)
    assert "Set up this box" in html and "<script>" not in html.split("<main>")[1].split(
        "</main>")[0]


def test_setup_creates_the_owner_writes_the_overlay_and_closes(new, caplog):
    new.start()
    code_file = new.box.config.data_dir / "setup-code"
    with caplog.at_level(logging.INFO, logger="audit"):
        r = new.post()
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["next"] == "/login"
    assert "sign in with your PIN" in r.get_json()["message"]
    [owner] = new.box.master.staff.list()
    assert (owner.name, owner.role) == ("王店长", "owner")
    overlay = tomllib.loads(new.box.config.overlay_path.read_text(encoding="utf-8"))
    assert overlay == {"shop": {"store_id": "hz-0012"},
                       "mqtt": {"host": "mqtt.head-office.example"}}  # port, TLS: as before
    assert load(new.cfg_file, environ={}).shop.store_id == "hz-0012"
    assert not code_file.exists()
    # The running core has the values: no restart needed for it.
    assert new.box.config.shop.store_id == "hz-0012"
    assert new.app.config["DEVICES"].uplink()["state"] != "not_linked"
    audit = [r.getMessage() for r in caplog.records if r.name == "audit"]
    assert any("setup done" in m and "hz-0012" in m for m in audit)
    assert not any("2580" in m for m in caplog.messages)
    # Then: the normal start page, the PIN works, and setup is refused.
    assert new.client.get("/").status_code == 200
    assert new.client.get("/setup").headers["Location"] == "/login"
    login = new.client.post("/api/v1/auth/login", json={"pin": "2580"})
    assert login.status_code == 200 and login.get_json()["staff"]["role"] == "owner"
    again = new.client.post("/api/v1/setup", json={**GOOD, "code": "12345678",
                                                   "pin": "3691", "pin_again": "3691"})
    assert again.status_code == 409
    assert len(new.box.master.staff.list()) == 1


def test_an_unlinked_shop_leaves_the_broker_empty(new):
    new.start()
    r = new.post(mqtt_host="", mqtt_port="")
    assert r.status_code == 200, r.get_json()
    overlay = tomllib.loads(new.box.config.overlay_path.read_text(encoding="utf-8"))
    assert overlay == {"shop": {"store_id": "hz-0012"}}
    assert new.app.config["DEVICES"].uplink()["state"] == "not_linked"


def test_a_broker_in_the_environment_stays_the_environments(tmp_path, monkeypatch):
    nb = NewBox(tmp_path)
    nb.box.close()
    nb.box = Box(load(nb.cfg_file, environ={"TILLBOX_MQTT__HOST": "env.example"}))
    nb.app = create_app(nb.box)
    nb.client = nb.app.test_client()
    nb.start()
    assert nb.post(mqtt_host="page.example").status_code == 200
    assert nb.box.config.mqtt.host == "env.example"  # as a restart would have it
    nb.box.close()


@pytest.mark.parametrize("fields,bad", [
    ({"store_id": "hz 12/a"}, "store_id"),
    ({"store_id": ""}, "store_id"),
    ({"mqtt_port": "70000"}, "mqtt_port"),
    ({"mqtt_port": "eighty"}, "mqtt_port"),
    ({"mqtt_host": "mqtts://ho.example:8883"}, "mqtt_host"),
    ({"pin_again": "2581"}, "pin_again"),
    ({"pin": "1234", "pin_again": "1234"}, "pin"),
    ({"pin": "12", "pin_again": "12"}, "pin"),
    ({"owner_name": " "}, "owner_name"),
])
def test_a_bad_field_is_named_with_a_readable_reason_and_nothing_is_saved(new, fields, bad):
    new.start()
    r = new.post(**fields)
    assert r.status_code == 400
    body = r.get_json()
    assert list(body["fields"]) == [bad] and body["field"] == bad
    assert body["error"] == body["fields"][bad] and len(body["error"]) > 10
    assert new.box.master.staff.list(include_inactive=True) == []
    assert not new.box.config.overlay_path.exists()
    assert new.code is not None  # try again with the same code


def test_every_bad_field_is_reported_at_once_in_chinese(new):
    new.start()
    new.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    body = new.post(store_id="a b", mqtt_port="0", pin_again="9999").get_json()
    assert set(body["fields"]) == {"store_id", "mqtt_port", "pin_again"}
    assert "门店编号" in body["fields"]["store_id"]
    assert "PIN" in body["fields"]["pin_again"] and "不一致" in body["fields"]["pin_again"]


def test_a_wrong_code_is_refused_and_repeated_guesses_are_throttled(new, caplog):
    new.start()
    wrong = "00000000" if new.code != "00000000" else "11111111"
    r = new.post(code=wrong)
    assert r.status_code == 403 and r.get_json()["field"] == "code"
    assert "setup-code" in r.get_json()["error"]
    assert new.box.master.staff.list() == []
    for _ in range(19):
        new.post(code=wrong)
    locked = new.post()  # even the right code waits now
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert new.box.master.staff.list() == []
    assert not any(new.code in m for m in caplog.messages)


def test_setup_takes_json_only(new):
    new.start()
    r = new.client.post("/api/v1/setup", data={"code": new.code, **GOOD})
    assert r.status_code == 400
    assert new.box.master.staff.list() == []


def test_a_box_with_staff_is_provisioned_and_gets_no_code(tmp_path):
    nb = NewBox(tmp_path)
    nb.box.master.staff.add("李", "cashier", "1001")
    assert nb.start() is False
    assert nb.code is None
    assert nb.box.printing.pending() == []
    assert nb.client.get("/").status_code == 200
    nb.box.close()


def test_a_store_id_in_the_overlay_means_provisioned(tmp_path):
    nb = NewBox(tmp_path)
    nb.box.config.overlay_path.write_text('[shop]\nstore_id = "hz-0012"\n', encoding="utf-8")
    assert nb.start() is False
    nb.box.close()


# -- the setup slip ----------------------------------------------------------------------------

def claim_slip(box):
    job = box.printing.claim(kind="report")
    assert job is not None and job["id"].startswith("setup-")
    return document_for(box, job)


def test_core_start_queues_one_setup_slip_with_the_code_and_a_qr(new):
    new.start()
    new.start()  # a second start while the first slip still waits: not twice
    assert [j["kind"] for j in new.box.printing.pending()] == ["report"]
    doc = claim_slip(new.box)
    texts = [ln["text"] for ln in doc["lines"]]
    assert doc["qr"] == f"https://192.168.1.20:8443/setup?code={new.code}"
    zh = next(i for i, t in enumerate(texts) if "设置本机" in t)
    en = next(i for i, t in enumerate(texts) if "Set up this box" in t)
    assert zh < en  # Chinese first, English second
    assert sum(new.code in t for t in texts) == 2
    assert any("https://192.168.1.20:8443/setup" in t for t in texts)
    assert any("192.168.1.20" in t and "地址" in t for t in texts)
    width = 48 if doc["paper_mm"] == 80 else 32
    from drivers.printer.layout import width as cols
    assert all(cols(t) <= width for t in texts)
    # It prints: GB18030 text and the printer's own QR code.
    dummy = Dummy()
    escpos_out.render(dummy, [Line(**ln) for ln in doc["lines"]], qr_url=doc["qr"],
                      paper_mm=doc["paper_mm"])
    out = dummy.output
    assert "设置码".encode("gb18030") in out and new.code.encode() in out
    assert b"\x1d(k" in out  # GS ( k: native QR


def test_the_code_is_not_stored_in_the_print_queue(new):
    new.start()
    with new.box.ledger.reading() as conn:
        payloads = [p for (p,) in conn.execute("SELECT payload FROM print_jobs")]
    assert payloads and not any(new.code in p for p in payloads)


def test_a_slip_printed_after_setup_only_says_where_to_sign_in(new):
    new.start()
    code = new.code
    assert new.post().status_code == 200
    doc = claim_slip(new.box)
    texts = " ".join(ln["text"] for ln in doc["lines"])
    assert code not in texts and code not in doc["qr"]
    assert doc["qr"] == "https://192.168.1.20:8443/login"


def test_no_printer_no_slip(tmp_path):
    nb = NewBox(tmp_path, printer="none")
    assert nb.start() is True
    assert nb.box.printing.pending() == []
    nb.box.close()


def test_without_a_lan_address_the_slip_uses_the_mdns_name(tmp_path, monkeypatch):
    monkeypatch.setattr("services.tls.lan_addresses", lambda: [])
    monkeypatch.setattr("socket.gethostname", lambda: "tillbox-cdef12")
    nb = NewBox(tmp_path)
    nb.start()
    assert claim_slip(nb.box)["qr"].startswith("https://tillbox-cdef12.local:8443/setup?code=")
    nb.box.close()
