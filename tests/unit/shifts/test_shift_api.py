"""/api/v1 shifts and X/Z reports: who may do what, the blind count, and 4xx answers as JSON."""

from conftest import PINS


def _sale(web, api, method="cash", amount="100.00", reference=""):
    o = api.post("/api/v1/orders", json={}).get_json()
    api.post(f"/api/v1/orders/{o['id']}/lines", json={"barcode": "6901234567892"})
    r = api.post(f"/api/v1/orders/{o['id']}/payments",
                 json={"method": method, "amount": amount, "reference": reference})
    assert r.status_code in (200, 201), r.get_json()
    return o


def test_a_shift_from_opening_to_handover_over_http(web):
    cashier = web.as_role("cashier")
    r = cashier.get("/api/v1/shifts/current")
    assert r.status_code == 200
    form = r.get_json()
    assert form["shift"] is None and form["default_float"] == "500.00"
    assert [d["key"] for d in form["denominations"]][:2] == ["10000", "5000"]
    assert "card" in form["tenders"] and "cash" not in form["tenders"]
    assert "member_balance" not in form["tenders"]
    r = cashier.post("/api/v1/shifts", json={"denominations": {"10000": 3}})
    assert r.status_code == 201, r.get_json()
    shift = r.get_json()
    assert shift["float"] == "300.00" and shift["status"] == "open"
    assert shift["opened_by"]["name"] == "cashier 张"
    _sale(web, cashier)                                  # 68.00 cash, 32.00 change
    r = cashier.post("/api/v1/shifts/current/cash",
                     json={"kind": "paid_out", "amount": "8.00", "reason": "快递费"})
    assert r.status_code == 201
    assert r.get_json()["move"] == {"kind": "paid_out", "amount": "8.00", "reason": "快递费",
                                    "at": r.get_json()["move"]["at"]}
    # Blind: nothing the counting person can read says what the drawer should hold.
    for path in ("/api/v1/shifts/current", f"/api/v1/shifts/{shift['id']}", "/api/v1/shifts"):
        text = cashier.get(path).get_data(as_text=True)
        assert "expected" not in text and "360.00" not in text, path
    # ...a manager may see it so far.
    manager = web.as_role("manager")
    seen = manager.get(f"/api/v1/shifts/{shift['id']}").get_json()
    assert seen["expected_so_far"] == {"cash": "360.00"}
    r = cashier.post("/api/v1/shifts/current/close",
                     json={"denominations": {"10000": 3, "5000": 1, "1000": 1}, "tenders": {}})
    assert r.status_code == 200, r.get_json()
    closed = r.get_json()
    assert closed["status"] == "closed"
    assert closed["expected"] == {"cash": "360.00"}
    assert closed["counted"]["tenders"] == {"cash": "360.00"}
    assert closed["over_short"] == {"cash": "0.00"}
    assert cashier.get("/api/v1/shifts/current").get_json()["shift"] is None
    listed = cashier.get("/api/v1/shifts").get_json()["shifts"]
    assert listed[0]["id"] == shift["id"] and listed[0]["over_short"] == {"cash": "0.00"}


def test_over_the_limit_is_409_naming_tenders_then_a_manager_pin_closes_it(web):
    cashier = web.as_role("cashier")
    cashier.post("/api/v1/shifts", json={"float": "100.00"})
    _sale(web, cashier, "card", "68.00", "T-1")
    body = {"denominations": {"10000": 1}, "tenders": {"card": "50.00"}}     # card 18.00 short
    r = cashier.post("/api/v1/shifts/current/close", json=body)
    assert r.status_code == 409
    err = r.get_json()
    assert err["code"] == "over_short_over_limit" and err["tenders"] == ["card"]
    assert err["field"] == "approver_pin"
    assert "68" not in err["error"] and "18" not in err["error"]
    r = cashier.post("/api/v1/shifts/current/close", json={**body, "approver_pin": "0000"})
    assert r.status_code == 403 and "error" in r.get_json()
    r = cashier.post("/api/v1/shifts/current/close",
                     json={**body, "approver_pin": PINS["cashier"], "reason": "x"})
    assert r.status_code == 403
    r = cashier.post("/api/v1/shifts/current/close",
                     json={**body, "approver_pin": PINS["manager"]})
    assert r.status_code == 409 and r.get_json()["field"] == "reason"
    r = cashier.post("/api/v1/shifts/current/close",
                     json={**body, "approver_pin": PINS["manager"], "reason": "终端对账差"})
    assert r.status_code == 200, r.get_json()
    closed = r.get_json()
    assert closed["over_short"] == {"card": "-18.00", "cash": "0.00"}
    assert closed["override_by"]["id"] == web.staff_ids["manager"]
    assert closed["close_reason"] == "终端对账差"


def test_close_lists_unsettled_orders(web):
    cashier = web.as_role("cashier")
    cashier.post("/api/v1/shifts", json={})
    o = cashier.post("/api/v1/orders", json={}).get_json()
    cashier.post(f"/api/v1/orders/{o['id']}/lines", json={"barcode": "6901234567892"})
    r = cashier.post("/api/v1/shifts/current/close", json={"denominations": {"10000": 5}})
    assert r.status_code == 409
    assert r.get_json()["code"] == "unsettled_orders"
    assert r.get_json()["orders"] == [o["number"]]
    assert cashier.post(f"/api/v1/orders/{o['id']}/park", json={}).status_code == 200
    r = cashier.post("/api/v1/shifts/current/close", json={"denominations": {"10000": 5}})
    assert r.status_code == 200, r.get_json()


def test_bad_input_is_400_json_naming_the_field(web):
    cashier = web.as_role("cashier")
    cases = [
        ("/api/v1/shifts", {"float": 500}, "float"),
        ("/api/v1/shifts", {"float": "abc"}, "float"),
        ("/api/v1/shifts", {"denominations": {"3": 1}}, "denominations"),
        ("/api/v1/shifts", {"denominations": [1]}, "denominations"),
    ]
    for path, body, field in cases:
        r = cashier.post(path, json=body)
        assert r.status_code == 400 and r.get_json()["field"] == field, (body, r.get_json())
    assert cashier.post("/api/v1/shifts", json={}).status_code == 201
    assert cashier.post("/api/v1/shifts", json={}).status_code == 409
    for body, field in (({"kind": "paid_in", "amount": "5.00"}, "reason"),
                        ({"kind": "borrowed", "amount": "5.00", "reason": "x"}, "kind"),
                        ({"kind": "paid_in", "amount": 5, "reason": "x"}, "amount")):
        r = cashier.post("/api/v1/shifts/current/cash", json=body)
        assert r.status_code == 400 and r.get_json()["field"] == field, r.get_json()
    for body, field in (({}, "denominations"),
                        ({"denominations": {"10000": "5"}}, "denominations"),
                        ({"denominations": {}, "tenders": {"card": 12}}, "tenders"),
                        ({"denominations": {}, "tenders": {"cash": "1.00"}}, "tenders"),
                        ({"denominations": {}, "tenders": {"points": "1.00"}}, "tenders")):
        r = cashier.post("/api/v1/shifts/current/close", json=body)
        assert r.status_code == 400 and r.get_json()["field"] == field, r.get_json()
    assert cashier.get("/api/v1/shifts/nope").status_code == 404
    manager = web.as_role("manager")
    assert manager.get("/api/v1/till-reports/nope").status_code == 404
    assert manager.get("/api/v1/till-reports?kind=y").get_json()["field"] == "kind"
    assert cashier.get("/api/v1/shifts?limit=0").get_json()["field"] == "limit"


def test_permissions_of_shifts_and_reports(web):
    assistant, cashier, manager = (web.as_role(r) for r in ("assistant", "cashier", "manager"))
    assert assistant.get("/api/v1/shifts/current").status_code == 403
    assert assistant.post("/api/v1/shifts", json={}).status_code == 403
    assert assistant.post("/api/v1/reports/x", json={}).status_code == 403
    assert manager.post("/api/v1/reports/x", json={}).status_code == 409   # no shift open
    assert cashier.post("/api/v1/shifts", json={}).status_code == 201
    # The cashier who will count blind reads no X report (float + cash net = expected).
    assert cashier.post("/api/v1/reports/x", json={}).status_code == 403
    assert cashier.get("/api/v1/till-reports").status_code == 403
    r = manager.post("/api/v1/reports/x", json={})
    assert r.status_code == 201
    x = r.get_json()
    assert (x["kind"], x["number"], x["float"]) == ("x", 1, "500.00")
    assert cashier.post("/api/v1/reports/z", json={}).status_code == 403
    r = manager.post("/api/v1/reports/z", json={})
    assert r.status_code == 409 and "open" in r.get_json()["error"]
    cashier.post("/api/v1/shifts/current/close", json={"denominations": {"10000": 5}})
    r = manager.post("/api/v1/reports/z", json={})
    assert r.status_code == 201
    z = r.get_json()
    assert z["kind"] == "z" and z["number"] == 1 and z["first_seq"] == 1
    assert z["floats"] == {"count": 1, "amount": "500.00"}
    assert z["over_short"] == {"cash": "0.00"}
    listed = manager.get("/api/v1/till-reports").get_json()["reports"]
    assert [(r["kind"], r["number"]) for r in listed] == [("z", 1), ("x", 1)]
    assert manager.get("/api/v1/till-reports?kind=z").get_json()["reports"][0]["report_id"] == \
        z["report_id"]
    one = manager.get(f"/api/v1/till-reports/{z['report_id']}").get_json()
    assert one["head_hash"] == z["head_hash"]
    assert cashier.get(f"/api/v1/till-reports/{z['report_id']}").status_code == 403
    r = manager.post(f"/api/v1/till-reports/{z['report_id']}/reprint", json={})
    assert r.status_code == 202
    job = next(j for j in web.box.printing.pending() if j["id"] == r.get_json()["job_id"])
    assert job["payload"] == {"document": "shift", "report_id": z["report_id"],
                              "copy": "reprint"}


def test_shifts_required_refuses_payments_over_http(web):
    web.box.master.settings.set("shifts.required", True)
    cashier = web.as_role("cashier")
    o = cashier.post("/api/v1/orders", json={}).get_json()
    cashier.post(f"/api/v1/orders/{o['id']}/lines", json={"barcode": "6901234567892"})
    r = cashier.post(f"/api/v1/orders/{o['id']}/payments", json={"method": "cash",
                                                                  "amount": "68.00"})
    assert r.status_code == 409 and r.get_json()["code"] == "shift_not_open"
    assert cashier.get("/api/v1/shifts/current").get_json()["required"] is True
