"""Staff administration (docs/staff-audit.md): every change is a ``staff.changed`` record
written with the master-data change, never with a PIN or its hash (in the journal or the
logs); deactivation ends the person's sessions at once; the last owner stays."""

import json
import logging

import pytest

from appliance.errors import Forbidden
from appliance.orders import Actor
from appliance.staffing import StaffAdmin

PIN = "7391"


def _records(box, type_="staff.changed"):
    return [r for r in box.ledger.records() if r.type == type_]


def _secret_free(box, caplog, *pins):
    """No PIN and no PIN hash in any journal record or log line."""
    hashes = [s.pin_hash for s in box.master.staff.list(include_inactive=True)]
    journal = "\n".join(json.dumps([r.actor, r.data], ensure_ascii=False)
                        for r in box.ledger.records())
    logs = "\n".join(r.getMessage() for r in caplog.records)
    for secret in [*pins, *hashes, "scrypt$"]:
        assert secret not in journal
        assert secret not in logs


def test_each_change_is_journalled_without_the_pin(web, caplog):
    owner = web.as_role("owner")
    with caplog.at_level(logging.DEBUG):
        r = owner.post("/api/v1/staff", json={"name": "吴导购", "role": "assistant",
                                              "pin": PIN})
        assert r.status_code == 201, r.get_json()
        person = r.get_json()
        assert person == {"id": person["id"], "name": "吴导购", "role": "assistant",
                          "active": True}
        sid = person["id"]
        assert owner.patch(f"/api/v1/staff/{sid}", json={"role": "cashier"}).status_code == 200
        assert owner.post(f"/api/v1/staff/{sid}/pin", json={"pin": "8642"}).status_code == 200
        assert owner.post(f"/api/v1/staff/{sid}/deactivate").status_code == 200
        r = owner.post(f"/api/v1/staff/{sid}/reactivate", json={"pin": "5820"})
        assert r.status_code == 200 and r.get_json()["active"] is True
    recs = _records(web.box)
    assert [r.data["change"] for r in recs] == ["added", "role", "pin_reset", "deactivated",
                                                "reactivated"]
    assert all(r.data["staff_id"] == sid and r.data["name"] == "吴导购" for r in recs)
    assert all(r.actor["staff"] == web.staff_ids["owner"] for r in recs)
    assert recs[1].data == {"staff_id": sid, "change": "role", "name": "吴导购",
                            "role": "cashier", "from_role": "assistant", "active": True}
    assert recs[3].data["active"] is False
    assert any("staff changed" in r.getMessage() and r.name == "audit" for r in caplog.records)
    _secret_free(web.box, caplog, PIN, "8642", "5820")
    # the new PIN works, the old ones do not
    assert web.client().login(pin="5820").status_code == 200
    assert web.client().login(pin="8642").status_code == 401


def test_a_deactivated_persons_sessions_end_at_once(web):
    cashier = web.as_role("cashier")
    assert cashier.get("/api/v1/auth/me").status_code == 200
    sessions = web.app.config["SESSIONS"]
    before = sessions.count()
    owner = web.as_role("owner")
    r = owner.post(f"/api/v1/staff/{web.staff_ids['cashier']}/deactivate")
    assert r.status_code == 200 and r.get_json()["active"] is False
    assert sessions.count() == before       # the owner's came, the cashier's went
    assert cashier.get("/api/v1/auth/me").status_code == 401
    assert web.client().login("cashier").status_code == 401


def test_the_last_owner_cannot_be_removed_or_demoted(web):
    owner = web.as_role("owner")
    me = web.staff_ids["owner"]
    head = web.box.ledger.head()
    r = owner.post(f"/api/v1/staff/{me}/deactivate")
    assert r.status_code == 409 and "owner" in r.get_json()["error"]
    r = owner.patch(f"/api/v1/staff/{me}", json={"role": "manager"})
    assert r.status_code == 409
    assert web.box.ledger.head() == head      # nothing journalled
    assert web.box.master.staff.get(me).role == "owner"


def test_a_refused_change_appends_nothing(web):
    owner = web.as_role("owner")
    head = web.box.ledger.head()
    for body, status in (({"name": "x", "role": "owner", "pin": "1234"}, 400),   # trivial
                         ({"name": "x", "role": "boss", "pin": "7391"}, 400),
                         ({"name": "", "role": "cashier", "pin": "7391"}, 400),
                         ({"name": "x", "role": "cashier", "pin": "1001"}, 409),   # in use
                         ({"name": "x", "role": "cashier", "pin": 7391}, 400)):
        r = owner.post("/api/v1/staff", json=body)
        assert r.status_code == status, (body, r.get_json())
        assert "error" in r.get_json()
    assert web.box.ledger.head() == head
    assert len(web.box.master.staff.list(include_inactive=True)) == 4


def test_a_failed_append_puts_the_person_back(web, monkeypatch):
    box = web.box
    admin = StaffAdmin(box.ledger, box.master)
    owner = Actor(web.staff_ids["owner"], "owner")
    cashier = web.staff_ids["cashier"]

    def broken(self, *a, **kw):
        raise OSError("disk full")
    from appliance.ledger.store import Transaction
    monkeypatch.setattr(Transaction, "append", broken)
    with pytest.raises(OSError):
        admin.deactivate(owner, cashier)
    with pytest.raises(OSError):
        admin.add(owner, "新人", "assistant", "7391")
    assert box.master.staff.get(cashier).active is True
    assert [s.name for s in box.master.staff.list(include_inactive=True)
            if s.name == "新人"] == []


def test_reactivation_needs_a_new_pin_nobody_else_has(web):
    owner = web.as_role("owner")
    sid = web.staff_ids["assistant"]
    owner.post(f"/api/v1/staff/{sid}/deactivate")
    assert owner.post(f"/api/v1/staff/{sid}/reactivate", json={}).status_code == 400
    r = owner.post(f"/api/v1/staff/{sid}/reactivate", json={"pin": "1001"})  # the cashier's
    assert r.status_code == 409
    assert owner.post(f"/api/v1/staff/{sid}/reactivate", json={"pin": "6174"}).status_code == 200
    r = owner.post(f"/api/v1/staff/{sid}/reactivate", json={"pin": "6175"})
    assert r.status_code == 409            # already active


def test_the_list_shows_deactivated_people_and_no_hashes(web):
    owner = web.as_role("owner")
    owner.post(f"/api/v1/staff/{web.staff_ids['assistant']}/deactivate")
    listed = owner.get("/api/v1/staff").get_json()["staff"]
    assert len(listed) == 4
    assert {s["id"]: s["active"] for s in listed}[web.staff_ids["assistant"]] is False
    assert all(set(s) == {"id", "name", "role", "active"} for s in listed)


def test_only_the_owner_manages_staff(web):
    manager = web.as_role("manager")
    for method, path in (("GET", "/api/v1/staff"), ("POST", "/api/v1/staff"),
                         ("POST", f"/api/v1/staff/{web.staff_ids['cashier']}/deactivate")):
        r = manager.client.open(path, method=method, json={"name": "x", "role": "owner",
                                                            "pin": "9753"},
                                headers={"X-CSRF-Token": manager.csrf})
        assert r.status_code == 403 and "error" in r.get_json()
    with pytest.raises(Forbidden):
        StaffAdmin(web.box.ledger, web.box.master).add(
            Actor(web.staff_ids["manager"], "manager"), "x", "assistant", "9753")
    assert web.box.master.staff.get(web.staff_ids["cashier"]).active


def test_unknown_people_are_404(web):
    owner = web.as_role("owner")
    for path in ("/api/v1/staff/nobody/deactivate", "/api/v1/staff/nobody/pin"):
        r = owner.post(path, json={"pin": "9753"})
        assert r.status_code == 404 and r.get_json()["code"] == "not_found"


def test_per_staff_sales(web):
    cashier = web.as_role("cashier")
    assistant = web.as_role("assistant")
    order = assistant.post("/api/v1/orders", json={}).get_json()
    order = assistant.post(f"/api/v1/orders/{order['id']}/lines",
                           json={"barcode": "6901234567892"}).get_json()
    r = cashier.post(f"/api/v1/orders/{order['id']}/payments",
                     json={"method": "cash", "amount": "68.00"})
    assert r.status_code in (200, 201), r.get_json()
    rows = web.as_role("owner").get("/api/v1/staff/sales").get_json()["staff"]
    by_id = {r["staff_id"]: r for r in rows}
    assert by_id[web.staff_ids["assistant"]]["opened_sales"] == "68.00"
    assert by_id[web.staff_ids["cashier"]]["settled_sales"] == "68.00"
