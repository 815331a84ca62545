"""/api/v1/notifications (managers) and /api/v1/device/notifications (the daemons)."""

from __future__ import annotations

import pytest

from conftest import PINS, Api
from webui.app import create_app

from notifybox import make_box


@pytest.fixture
def app(tmp_path):
    box = make_box(tmp_path)
    for role, pin in PINS.items():
        box.master.staff.add(f"{role} 张", role, pin)
    app = create_app(box)
    app.config.update(TESTING=True)
    yield app
    box.close()


def as_role(app, role):
    c = Api(app, "en")
    assert c.login(role).status_code == 200
    return c


@pytest.fixture
def daemon(app):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {app.config['BOX'].device_token}"
    client.environ_base["HTTP_X_TILLBOX_DEVICE"] = "notifyd"
    return client


def test_a_manager_queues_a_test_and_the_daemon_claims_sends_and_reports(app, daemon):
    manager = as_role(app, "manager")
    r = manager.post("/api/v1/notifications/test", json={"channel": "sms",
                                                         "address": "138 0013 8000"})
    assert r.status_code == 201, r.get_json()
    made = r.get_json()
    assert made["to"] == "138****8000" and made["route"] == "modem"
    assert daemon.post("/api/v1/device/notifications/claim",
                       json={"routes": ["smtp"]}).status_code == 204
    r = daemon.post("/api/v1/device/notifications/claim", json={"routes": ["modem"]})
    job = r.get_json()
    assert (job["id"], job["to"], job["event"]) == (made["id"], "13800138000", "test")
    assert "清风茶庄" in job["text"]
    r = daemon.post(f"/api/v1/device/notifications/{job['id']}/result",
                    json={"outcome": "sent", "provider_ref": "7"})
    assert r.get_json()["state"] == "sent"
    r = daemon.post("/api/v1/device/notifications/delivery",
                    json={"route": "modem", "reference": "7", "status": "delivered"})
    assert r.get_json() == {"ids": [job["id"]]}
    listed = manager.get("/api/v1/notifications?event=test").get_json()
    assert [(n["state"], n["delivery"]) for n in listed["notifications"]] == [("sent",
                                                                              "delivered")]


def test_failed_then_retried_and_cancelled_by_a_manager_only(app, daemon):
    manager, cashier = as_role(app, "manager"), as_role(app, "cashier")
    made = manager.post("/api/v1/notifications/test",
                        json={"channel": "email", "address": "boss@example.com"}).get_json()
    job = daemon.post("/api/v1/device/notifications/claim",
                      json={"routes": ["smtp"], "wait": 0.1}).get_json()
    r = daemon.post(f"/api/v1/device/notifications/{job['id']}/result",
                    json={"outcome": "failed", "error": "550 no such mailbox"})
    assert r.get_json()["state"] == "failed"
    assert cashier.post(f"/api/v1/notifications/{made['id']}/retry").status_code == 403
    assert cashier.get("/api/v1/notifications").status_code == 403
    r = manager.post(f"/api/v1/notifications/{made['id']}/retry")
    assert r.status_code == 200 and r.get_json()["state"] == "queued"
    r = manager.post(f"/api/v1/notifications/{made['id']}/cancel")
    assert r.get_json()["state"] == "cancelled"
    assert manager.post(f"/api/v1/notifications/{made['id']}/cancel").status_code == 409
    assert manager.post("/api/v1/notifications/n-nope/retry").status_code == 404


def test_bad_bodies_are_4xx_with_the_field(app, daemon):
    manager = as_role(app, "manager")
    r = manager.post("/api/v1/notifications/test", json={"channel": "fax", "address": "x"})
    assert r.status_code == 400 and r.get_json()["field"] == "channel"
    r = daemon.post("/api/v1/device/notifications/claim", json={"routes": ["fax"]})
    assert r.status_code == 400
    r = daemon.post("/api/v1/device/notifications/claim", json={"routes": ["smtp"],
                                                                 "wait": "long"})
    assert r.status_code == 400
    r = daemon.post("/api/v1/device/notifications/n-x/result", json={"outcome": "sent"})
    assert r.status_code == 404
    r = manager.get("/api/v1/notifications?limit=0")
    assert r.status_code == 400


def test_device_routes_need_the_device_token(app):
    anon = app.test_client()
    r = anon.post("/api/v1/device/notifications/claim", json={"routes": ["smtp"]})
    assert r.status_code == 401


def test_the_office_page_shows_the_routes_and_the_test_form_to_managers(app):
    manager = as_role(app, "manager")
    page = manager.get("/office/notifications")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="nt-list"' in html and 'id="nt-test-form"' in html
    assert 'data-channel="sms" data-route="modem"' in html
    assert 'data-channel="wechat" data-route="off"' in html
    assert "office_notify.js" in html and "nt_events" in html
    assert as_role(app, "cashier").get("/office/notifications").status_code == 403
