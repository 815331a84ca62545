"""The settings page's head-office section through /api/v1 (issue 11; docs/settings.md):
the link's settings validated and journalled, the password never shown, stored 0600 and
preferred over the secrets file, certificates checked (PEM, key matches), the health view."""

import json
import logging
import stat
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from appliance.config import read_overlay
from appliance.config_changes import reload
from appliance.headoffice_link import broker_password, password_path

SECRET = "s3cr3t-pässwörd"


def make_pair(name="till-1"):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def changed_records(box):
    return [r for r in box.ledger.records() if r.type == "config.changed"]


@pytest.fixture
def owner(web, tmp_path):
    # A secrets file of the test's own (the default is /etc/tillbox/secrets.toml).
    (tmp_path / "t.toml").write_text('[paths]\ndata = "d"\nsecrets = "sec.toml"\n')
    web.box.config = reload(web.box.config)
    assert web.box.config.paths.secrets == tmp_path / "sec.toml"
    return web.as_role("owner")


def test_get_describes_the_link_without_any_secret(web, owner):
    data = owner.get("/api/v1/settings/headoffice").get_json()
    assert set(data["settings"]) == {"mqtt.host", "mqtt.port", "mqtt.tls", "mqtt.prefix",
                                     "mqtt.username", "mqtt.keepalive"}
    assert data["settings"]["mqtt.port"]["value"] == 8883
    assert data["password"] == {"set": False, "source": "none"}
    assert data["tls"]["ca_file"] == {"path": "", "set": False, "problem": ""}
    assert data["link"]["state"] == "not_linked" and data["test"] == {"state": "idle"}
    assert web.as_role("manager").get("/api/v1/settings/headoffice").status_code == 403


def test_patch_changes_the_overlay_and_is_one_record(web, owner):
    r = owner.patch("/api/v1/settings/headoffice",
                    {"mqtt.host": "mqtt.hq.example.com", "mqtt.port": 1883, "mqtt.tls": False,
                     "mqtt.username": "hz-0012"})
    assert r.status_code == 200, r.get_json()
    data = r.get_json()
    assert data["changed"]["mqtt.port"] == {"from": 8883, "to": 1883}
    assert data["warnings"] == []
    overlay = read_overlay(web.box.config.overlay_path)["mqtt"]
    assert overlay == {"host": "mqtt.hq.example.com", "port": 1883, "tls": False,
                       "username": "hz-0012"}
    assert web.box.config.mqtt.port == 1883              # takes effect without a restart
    assert data["link"]["state"] != "not_linked"         # the counter's light follows
    recs = changed_records(web.box)
    assert len(recs) == 1 and set(recs[0].data["changes"]) == {
        "mqtt.host", "mqtt.port", "mqtt.tls", "mqtt.username"}
    # The same again changes nothing and writes no record.
    again = owner.patch("/api/v1/settings/headoffice", {"mqtt.port": 1883}).get_json()
    assert again["changed"] == {}
    assert len(changed_records(web.box)) == 1


def test_a_new_prefix_is_allowed_with_a_warning(web, owner):
    data = owner.patch("/api/v1/settings/headoffice", {"mqtt.prefix": "pos/v2"}).get_json()
    assert data["changed"]["mqtt.prefix"] == {"from": "pos/v1", "to": "pos/v2"}
    assert "pos/v2" in data["warnings"][0]


@pytest.mark.parametrize("body, field", [
    ({"mqtt.host": "bad host"}, "mqtt.host"),
    ({"mqtt.port": 0}, "mqtt.port"),
    ({"mqtt.port": 65536}, "mqtt.port"),
    ({"mqtt.port": "1883x"}, "mqtt.port"),
    ({"mqtt.keepalive": 2}, "mqtt.keepalive"),
    ({"mqtt.prefix": "pos/#"}, "mqtt.prefix"),
    ({"mqtt.tls": "maybe"}, "mqtt.tls"),
    ({"mqtt.window": 5}, "mqtt.window"),            # not a page key
    ({"printer.backend": "usb"}, "printer.backend"),  # not this section's
    ({"mqtt.password": "x"}, "mqtt.password"),      # has its own endpoint
])
def test_bad_values_are_refused_and_change_nothing(web, owner, body, field):
    r = owner.patch("/api/v1/settings/headoffice", body)
    assert r.status_code == 400 and r.get_json()["field"] == field, r.get_json()
    assert not web.box.config.overlay_path.exists() or \
        "mqtt" not in read_overlay(web.box.config.overlay_path)
    assert not changed_records(web.box)


def test_the_password_is_stored_0600_and_never_shown_journalled_or_logged(web, owner, caplog):
    caplog.set_level(logging.DEBUG)
    r = put(owner, "/api/v1/settings/headoffice/password", {"password": SECRET})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["password"] == {"set": True, "source": "page"}
    assert r.get_json()["changed"] == {"mqtt.password": {"from": "not set", "to": "changed"}}
    path = password_path(web.box.config)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert broker_password(web.box.config) == SECRET
    got = owner.get("/api/v1/settings/headoffice")
    assert SECRET not in got.get_data(as_text=True)
    assert SECRET not in caplog.text
    overlay = web.box.config.overlay_path
    assert not overlay.exists() or SECRET not in overlay.read_text()
    for rec in web.box.ledger.records():
        assert SECRET not in json.dumps(rec.data, ensure_ascii=False)
    # Cleared on the page: back to the secrets file's.
    web.box.config.paths.secrets.write_text('[mqtt]\npassword = "from-file"\n')
    web.box.config.paths.secrets.chmod(0o600)
    cleared = put(owner, "/api/v1/settings/headoffice/password", {"password": None}).get_json()
    assert cleared["password"] == {"set": True, "source": "secrets_file"}
    assert not path.exists() and broker_password(web.box.config) == "from-file"
    assert [r.data["changes"]["mqtt.password"]["to"] for r in changed_records(web.box)] == ["changed", "cleared"]


@pytest.mark.parametrize("body", [{}, {"password": ""}, {"password": 12},
                                  {"password": "a\nb"}, {"password": "x" * 257}])
def test_bad_passwords_are_refused(web, owner, body):
    r = put(owner, "/api/v1/settings/headoffice/password", body)
    assert r.status_code == 400 and r.get_json()["field"] == "password"
    assert not password_path(web.box.config).exists()


def put(api, path, body):
    return api.client.put(path, json=body, headers={"X-CSRF-Token": api.csrf})


def test_certificates_are_checked_stored_and_described(web, owner):
    cert, key = make_pair()
    ca, _ca_key = make_pair("Head office CA")
    r = put(owner, "/api/v1/settings/headoffice/tls",
            {"ca_file": ca, "client_cert": cert, "client_key": key})
    assert r.status_code == 200, r.get_json()
    tls = r.get_json()["tls"]
    assert tls["ca_file"]["subject"] == "CN=Head office CA" and tls["ca_file"]["sha256"]
    assert tls["client_cert"]["subject"] == "CN=till-1" and tls["client_key"]["set"]
    m = web.box.config.mqtt
    assert open(m.client_key).read().strip() == key.strip()
    assert stat.S_IMODE(__import__("os").stat(m.client_key).st_mode) == 0o600
    overlay = read_overlay(web.box.config.overlay_path)["mqtt"]
    assert overlay["client_key"] == m.client_key and overlay["ca_file"] == m.ca_file
    assert "PRIVATE" not in r.get_data(as_text=True)
    (rec,) = changed_records(web.box)
    assert "PRIVATE" not in json.dumps(rec.data) and "sha256" in rec.data["changes"]["mqtt.client_cert"]
    # A key that belongs to another certificate is refused; nothing changes.
    _other_cert, other_key = make_pair("other")
    bad = put(owner, "/api/v1/settings/headoffice/tls", {"client_key": other_key})
    assert bad.status_code == 400 and bad.get_json()["field"] == "client_key"
    assert open(m.client_key).read().strip() == key.strip()
    # Removing the pair clears the paths and the files.
    gone = put(owner, "/api/v1/settings/headoffice/tls", {"client_cert": "", "client_key": ""})
    assert gone.status_code == 200 and web.box.config.mqtt.client_key == ""
    assert not __import__("os").path.exists(m.client_key)


@pytest.mark.parametrize("body, field", [
    ({"ca_file": "hello"}, "ca_file"),
    ({"client_cert": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"},
     "client_cert"),
    ({"client_key": "not a key"}, "client_key"),
    ({"client_cert": make_pair()[0]}, "client_key"),   # a certificate without its key
    ({"server_key": "x"}, "server_key"),
    ({"ca_file": 5}, "ca_file"),
])
def test_bad_certificates_are_refused(web, owner, body, field):
    r = put(owner, "/api/v1/settings/headoffice/tls", body)
    assert r.status_code == 400 and r.get_json()["field"] == field, r.get_json()
    assert web.box.config.mqtt.client_cert == "" and web.box.config.mqtt.ca_file == ""


def test_an_encrypted_key_is_refused_with_how_to_fix_it(web, owner):
    cert, key = make_pair()
    locked = serialization.load_pem_private_key(key.encode(), None).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw")).decode()
    r = put(owner, "/api/v1/settings/headoffice/tls", {"client_cert": cert, "client_key": locked})
    assert r.status_code == 400 and "openssl pkey" in r.get_json()["error"]


def test_health_shows_what_uplinkd_reports(web, owner, device):
    owner.patch("/api/v1/settings/headoffice", {"mqtt.host": "127.0.0.1"})
    report = {"linked": True, "connected": False, "session": 3, "last_seq": 9, "acked_seq": 4,
              "backlog": 5, "oldest_unacked_age_s": 30, "last_contact": None, "warning": "",
              "broker": "127.0.0.1:8883", "connected_since": None,
              "last_error": {"kind": "auth", "detail": "Bad user name or password",
                             "at": "2026-11-27T08:00:00.000Z"},
              "acked_at": "2026-11-27T07:59:00.000Z", "last_heartbeat": None}
    assert device.put("/api/v1/device/uplink", json=report).status_code == 200
    link = owner.get("/api/v1/settings/headoffice/status").get_json()["link"]
    assert link["state"] == "offline" and link["backlog"] == 5 and link["acked_seq"] == 4
    assert link["last_error"]["kind"] == "auth" and link["broker"] == "127.0.0.1:8883"
    assert link["acked_at"] == "2026-11-27T07:59:00.000Z"


def test_connection_test_needs_a_host_and_reports_a_refusal(web, owner):
    r = owner.post("/api/v1/settings/headoffice/test", {})
    assert r.status_code == 400 and r.get_json()["field"] == "mqtt.host"
    from conftest import free_port   # nothing listens there
    owner.patch("/api/v1/settings/headoffice",
                {"mqtt.host": "127.0.0.1", "mqtt.port": free_port(), "mqtt.tls": False})
    started = owner.post("/api/v1/settings/headoffice/test", {})
    assert started.status_code == 202 and started.get_json()["test"]["state"] == "running"
    result = web.app.extensions["tillbox_headoffice_test"].wait(12)
    assert result["state"] == "failed" and result["kind"] == "refused", result
    shown = owner.get("/api/v1/settings/headoffice/status").get_json()["test"]
    assert shown["state"] == "failed" and shown["kind"] == "refused"


def test_connection_test_names_a_tls_failure_and_a_success(web, owner, broker):
    # mosquitto here speaks plain MQTT: a TLS handshake with it fails, readably.
    owner.patch("/api/v1/settings/headoffice", {"mqtt.host": "127.0.0.1",
                                                "mqtt.port": broker.port, "mqtt.tls": True})
    owner.post("/api/v1/settings/headoffice/test", {})
    tester = web.app.extensions["tillbox_headoffice_test"]
    result = tester.wait(12)
    assert result["state"] == "failed" and result["kind"] == "tls" and result["detail"], result
    owner.patch("/api/v1/settings/headoffice", {"mqtt.tls": False})
    owner.post("/api/v1/settings/headoffice/test", {})
    result = tester.wait(12)
    assert result["state"] == "ok" and result["broker"] == f"127.0.0.1:{broker.port}", result


def test_failures_are_classified_for_the_page():
    import socket
    import ssl

    from appliance.headoffice_link import classify

    class Reason:
        def __init__(self, value, text):
            self.value, self.text = value, text

        def __str__(self):
            return self.text

    assert classify(socket.gaierror(-2, "Name or service not known"))["kind"] == "dns"
    assert classify(ConnectionRefusedError(111, "Connection refused"))["kind"] == "refused"
    assert classify(TimeoutError("timed out"))["kind"] == "unreachable"
    assert classify(OSError(113, "No route to host"))["kind"] == "unreachable"
    assert classify(ssl.SSLError(1, "wrong version number"))["kind"] == "tls"
    assert classify(reason=Reason(0x86, "Bad user name or password")) == {
        "kind": "auth", "detail": "Bad user name or password"}
    assert classify(reason=Reason(0x88, "Server unavailable"))["kind"] == "refused"
