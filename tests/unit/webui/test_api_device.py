"""The device API (printerd, scannerd) and what staff see of the devices."""

import pytest

from drivers.scanner.codes import check_digit




@pytest.fixture
def counter(web):
    """A cashier at the counter, whose screen has told core which order it shows."""
    api = web.as_role("cashier")
    return api


def put_till(api, order_id=None):
    r = api.client.put("/api/v1/till", json={"order_id": order_id},
                       headers={"X-CSRF-Token": api.csrf})
    assert r.status_code == 200, r.get_json()


def paid_order(api, method="cash", reference=""):
    o = api.post("/api/v1/orders", {}).get_json()
    api.post(f"/api/v1/orders/{o['id']}/lines", {"barcode": "6901234567892"})
    r = api.post(f"/api/v1/orders/{o['id']}/payments",
                 {"method": method, "amount": "68.00", "reference": reference})
    assert r.status_code in (200, 201), r.get_json()
    return o["id"]


def test_device_calls_need_the_token_and_loopback(web, device):
    anon = web.app.test_client()
    assert anon.get("/api/v1/device/print-jobs/next").status_code == 401
    wrong = web.app.test_client()
    wrong.environ_base["HTTP_AUTHORIZATION"] = "Bearer not-the-token"
    assert wrong.get("/api/v1/device/print-jobs/next").status_code == 401
    remote = web.app.test_client()
    remote.environ_base.update(REMOTE_ADDR="192.168.1.23",
                               HTTP_AUTHORIZATION=f"Bearer {web.box.device_token}")
    r = remote.get("/api/v1/device/print-jobs/next")
    assert r.status_code == 403 and "error" in r.get_json()
    assert device.get("/api/v1/device/print-jobs/next").status_code == 204


def test_the_token_file_is_private_and_stable(web):
    import stat
    from appliance.keys import device_token_path, private_token
    path = device_token_path(web.box.config.data_dir)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert private_token(path) == web.box.device_token


def test_printerd_gets_a_laid_out_receipt_and_reports_it_printed(web, device, counter):
    order_id = paid_order(counter)
    kick = device.get("/api/v1/device/print-jobs/next").get_json()
    assert kick["kind"] == "drawer" and kick["document"] == {}
    job = device.get("/api/v1/device/print-jobs/next").get_json()
    assert job["kind"] == "receipt" and job["order_id"] == order_id
    doc = job["document"]
    texts = [ln["text"] for ln in doc["lines"]]
    assert any("西湖龙井" in t for t in texts)           # Chinese by default (receipt.language)
    assert any(t.startswith("合计") or "合计" in t for t in texts)
    assert doc["paper_mm"] == 80 and doc["cut"] is True
    r = device.post(f"/api/v1/device/print-jobs/{job['id']}", json={"state": "printed"})
    assert r.get_json()["state"] == "printed"
    jobs = counter.get(f"/api/v1/orders/{order_id}/print-jobs").get_json()["jobs"]
    assert {j["kind"]: j["state"] for j in jobs} == {"receipt": "printed", "drawer": "printing"}


def test_the_receipt_qr_opens_the_e_receipt_and_a_forged_link_does_not(web, device, counter):
    web.box.public_url = "http://192.168.1.20:8080"
    order_id = paid_order(counter, "card", "T-9")
    doc = device.get("/api/v1/device/print-jobs/next").get_json()["document"]
    assert doc["qr"].endswith(order_id + "." + doc["qr"].rsplit(".", 1)[1])
    path = doc["qr"][doc["qr"].index("/r/"):]
    page = web.app.test_client().get(path)
    assert page.status_code == 200 and "西湖龙井" in page.get_data(as_text=True)
    assert web.app.test_client().get(f"/r/{order_id}.AAAAAAAAAAAAAAAA").status_code == 404


def test_a_waiting_job_and_the_printer_state_reach_the_screens(web, device, counter):
    paid_order(counter, "card", "T-1")
    job = device.get("/api/v1/device/print-jobs/next").get_json()
    device.post(f"/api/v1/device/print-jobs/{job['id']}",
                json={"state": "waiting", "reason": "paper_out"})
    r = device.put("/api/v1/device/printer", json={
        "ready": False, "reason": "paper_out", "online": False, "paper_out": True,
        "device": "network 127.0.0.1:9101", "drawer_open": False})
    assert r.status_code == 200
    seen = counter.get("/api/v1/printer").get_json()
    assert seen["printer"]["state"] == "problem" and seen["printer"]["reason"] == "paper_out"
    assert [(j["state"], j["reason"]) for j in seen["pending"]] == [("waiting", "paper_out")]


def test_without_printerd_the_screens_say_so(counter):
    p = counter.get("/api/v1/printer").get_json()["printer"]
    assert (p["state"], p["reason"]) == ("unknown", "printerd_not_running")


def test_bad_reports_get_json_errors(device):
    r = device.post("/api/v1/device/print-jobs/nope", json={"state": "printed"})
    assert r.status_code == 404 and "error" in r.get_json()
    r = device.post("/api/v1/device/print-jobs/nope", json={"state": "melted"})
    assert r.status_code == 400
    assert device.get("/api/v1/device/print-jobs/next?kind=fax").status_code == 400


def test_a_scan_goes_into_the_order_on_the_counter(web, device, counter):
    o = counter.post("/api/v1/orders", {}).get_json()
    put_till(counter, o["id"])
    r = device.post("/api/v1/device/scans", json={"code": "6901234567892", "device": "hid0"})
    assert r.status_code == 200 and r.get_json()["ok"] is True
    assert r.get_json()["order_id"] == o["id"]
    order = counter.get(f"/api/v1/orders/{o['id']}").get_json()
    assert [ln["name"] for ln in order["lines"]] == ["西湖龙井"]


def test_a_scan_with_no_order_on_screen_opens_one_for_the_cashier(web, device, counter):
    put_till(counter, None)
    r = device.post("/api/v1/device/scans", json={"code": "2000000000015"}).get_json()
    assert r["ok"] and r["order_id"]  # a catalog code wins over reading it as a scale label
    order = counter.get(f"/api/v1/orders/{r['order_id']}").get_json()
    assert order["lines"][0]["spec"] and order["opened_by"] == counter.staff["id"]


def test_scale_labels_price_the_line(web, device, counter):
    from appliance.master.catalog import Product
    web.box.master.catalog.save_product(Product(
        id="", sku="LOOSE-1", name="散装龙井", category_id=None, unit="克", price=120000,
        cost=0, barcodes=["01234"], stock_tracked=False))
    put_till(counter, None)
    body = "2101234" + "02580"  # item 01234, 25.80 yuan
    label = body[:12] + check_digit(body[:12])
    r = device.post("/api/v1/device/scans", json={"code": label}).get_json()
    assert r["ok"], r
    line = counter.get(f"/api/v1/orders/{r['order_id']}").get_json()["lines"][0]
    assert (line["name"], line["unit_price"]) == ("散装龙井", "25.80")


def test_bad_codes_are_refused_with_a_reason_not_a_crash(web, device, counter):
    put_till(counter, None)
    r = device.post("/api/v1/device/scans", json={"code": "6901234567890"}).get_json()
    assert r["ok"] is False and r["error"] == "bad_check_digit" and r["message"]
    r = device.post("/api/v1/device/scans", json={"code": "6900000000007"}).get_json()
    assert r["ok"] is False and r["error"] == "not_found"
    r = device.post("/api/v1/device/scans", json={"code": "\x1b[A"}).get_json()
    assert r["ok"] is False


def test_a_scanned_member_card_puts_the_member_on_the_counters_order(web, device, counter):
    member = web.as_role("assistant").post("/api/v1/members", json={
        "name": "周丽", "phone": "13800138000", "card_code": "VIP000001"}).get_json()
    o = counter.post("/api/v1/orders", {}).get_json()
    put_till(counter, o["id"])
    r = device.post("/api/v1/device/scans", json={"code": "VIP000001"}).get_json()
    assert (r["ok"], r["kind"], r["order_id"], r["line_name"]) == (True, "member", o["id"], "周丽")
    order = counter.get(f"/api/v1/orders/{o['id']}").get_json()
    assert order["member"]["id"] == member["id"] and order["lines"] == []
    r = device.post("/api/v1/device/scans", json={"code": "VIP999999"}).get_json()
    assert (r["ok"], r["kind"], r["error"]) == (False, "member", "member_not_found")


def test_scans_need_a_cashier_at_the_counter(web, device):
    r = device.post("/api/v1/device/scans", json={"code": "6901234567892"}).get_json()
    assert (r["ok"], r["error"]) == (False, "no_counter")


def test_signing_out_stops_scans_acting_in_that_name(web, device, counter):
    put_till(counter, None)
    counter.post("/api/v1/auth/logout")
    r = device.post("/api/v1/device/scans", json={"code": "6901234567892"}).get_json()
    assert r["error"] == "no_counter"


def test_an_order_qr_recalls_the_parked_order(web, device, counter):
    assistant = web.as_role("assistant")
    o = assistant.post("/api/v1/orders", {}).get_json()
    assistant.post(f"/api/v1/orders/{o['id']}/lines", {"barcode": "6901234567892"})
    assistant.post(f"/api/v1/orders/{o['id']}/park", {})
    put_till(counter, None)
    r = device.post("/api/v1/device/scans", json={"code": o["number"]}).get_json()
    assert r["ok"] and r["kind"] == "order" and r["order_id"] == o["id"]
    assert counter.get(f"/api/v1/orders/{o['id']}").get_json()["status"] == "open"
    r = device.post("/api/v1/device/scans", json={"code": "6901234567892"}).get_json()
    assert r["order_id"] == o["id"]  # the next scan goes into the recalled order
    assert counter.get(f"/api/v1/orders/{o['id']}").get_json()["lines"][0]["qty"] == 2


def test_the_reprint_button_reprints_the_last_receipt(web, device, counter):
    r = device.post("/api/v1/device/button", json={"button": "reprint"})
    assert r.status_code in (404, 409)  # nobody at the counter / nothing to reprint
    put_till(counter, None)
    assert device.post("/api/v1/device/button", json={"button": "reprint"}).status_code == 404
    first = paid_order(counter, "card", "T-1")
    last = paid_order(counter, "card", "T-2")
    r = device.post("/api/v1/device/button", json={"button": "reprint"})
    assert r.status_code == 201 and r.get_json()["order_id"] == last != first
    assert web.box.ledger.records()[-1].type == "receipt.reprinted"


def test_visitors_are_counted_per_hour_for_the_conversion_rate(web, device):
    assert device.post("/api/v1/device/visitors", json={"count": 3}).status_code == 200
    assert device.post("/api/v1/device/visitors", json={"count": 2}).status_code == 200
    assert device.post("/api/v1/device/visitors", json={"count": -1}).status_code == 400
    seen = web.as_role("manager").get("/api/v1/visitors").get_json()
    assert seen["visitors"] == 5 and seen["sales"] == 0 and seen["conversion"] == "0%"


def test_a_no_sale_drawer_opening_needs_a_reason_and_a_cashier(web, counter):
    r = counter.post("/api/v1/drawer/open", {"reason": ""})
    assert r.status_code == 400
    r = counter.post("/api/v1/drawer/open", {"reason": "找零备用金"})
    assert r.status_code == 201
    assert web.as_role("assistant").post("/api/v1/drawer/open",
                                         {"reason": "x"}).status_code == 403


def test_simulated_device_controls_exist_only_when_configured(counter):
    assert counter.get("/api/v1/sim/printer").status_code == 404
    assert counter.post("/api/v1/sim/scan", {"code": "1"}).status_code == 404


def test_scans_stop_when_the_counter_session_times_out(web, device, counter):
    put_till(counter, None)
    sessions = web.app.config["SESSIONS"]
    sessions.end(sessions.get(counter.client.get_cookie("tillbox_session").value).token)
    r = device.post("/api/v1/device/scans", json={"code": "6901234567892"}).get_json()
    assert r["error"] == "no_counter"


def test_a_reconnecting_screen_does_not_take_the_scanner_from_the_cashier(web, device,
                                                                         counter):
    o = counter.post("/api/v1/orders", {}).get_json()
    put_till(counter, o["id"])
    other = web.as_role("manager")
    r = other.client.put("/api/v1/till", json={"order_id": None, "if_free": True},
                         headers={"X-CSRF-Token": other.csrf})
    assert r.get_json()["held"] is False
    r = device.post("/api/v1/device/scans", json={"code": "6901234567892"}).get_json()
    assert r["order_id"] == o["id"]   # still the cashier's order


def test_odd_tokens_are_refused_not_crashed_on(web):
    anon = web.app.test_client()
    assert anon.get("/r/%C3%A9.x").status_code == 404
    odd = web.app.test_client()
    odd.environ_base["HTTP_AUTHORIZATION"] = "Bearer é"
    assert odd.get("/api/v1/device/print-jobs/next").status_code == 401


def test_no_qr_when_only_loopback_would_do_and_the_lan_address_otherwise(tmp_path):
    from appliance.box import public_url_for
    from appliance.config import load
    cfg = lambda env: load(None, environ={f"TILLBOX_WEB__{k}": v for k, v in env.items()})
    assert public_url_for(cfg({})) == ""                                   # 127.0.0.1
    assert public_url_for(cfg({"HOST": "0.0.0.0"}), ["127.0.1.1", "192.168.1.20"]) == \
        "http://192.168.1.20:8080"
    assert public_url_for(cfg({"HOST": "0.0.0.0", "HTTPS_PORT": "8443"}),
                          ["192.168.1.20"]) == "https://192.168.1.20:8443"
    assert public_url_for(cfg({"PUBLIC_URL": "http://kasse.local/"})) == "http://kasse.local"


def test_a_retried_scan_is_not_added_twice(web, device, counter):
    put_till(counter, None)
    scan = {"code": "6901234567892", "scan_id": "a1b2c3"}
    first = device.post("/api/v1/device/scans", json=scan).get_json()
    again = device.post("/api/v1/device/scans", json=scan).get_json()   # answer was lost
    assert again == first
    order = counter.get(f"/api/v1/orders/{first['order_id']}").get_json()
    assert order["lines"][0]["qty"] == 1


def test_screens_hear_of_expired_jobs_and_of_printerd_going_silent(web, device, counter):
    from webui.app import device_tick
    bus = web.app.config["EVENTS"]
    sub = bus.subscribe()
    device.put("/api/v1/device/printer", json={"ready": True, "reason": "", "device": "x"})
    devices = web.app.config["DEVICES"]
    devices._printer_seen -= 31          # printerd has said nothing for 31 s
    device_tick(web.app)
    paid_order(counter, "card", "T-1")
    clock_jobs = web.box.printing.pending()
    with web.box.ledger.transaction() as tx:   # the receipt was queued over an hour ago
        tx.conn.execute("UPDATE print_jobs SET created_at = '2020-01-01T00:00:00.000000Z'")
    device_tick(web.app)
    seen = []
    while (e := sub.get(0.1)) is not None:
        seen.append((e["event"], e["data"]))
    assert ("printer", devices.printer()) in seen
    assert devices.printer()["reason"] == "printerd_not_running"
    expired = [d for k, d in seen if k == "print_job" and d["state"] == "expired"]
    assert [d["id"] for d in expired] == [j["id"] for j in clock_jobs]


def test_a_box_without_head_office_shows_no_link_problem(counter):
    uplink = counter.get("/api/v1/printer").get_json()["uplink"]
    assert uplink["state"] == "not_linked"       # mqtt.host is empty: nothing to worry about
