"""Stocktakes over /api/v1: a manager starts, phones count at once, the manager approves."""

import csv
import io
import threading

from appliance.orders import Actor

TEA = "6901234567892"   # 68.00, cost 40.00, category 绿茶


def opening_stock(web, qty):
    manager = web.as_role("manager")
    web.box.orders.adjust_stock(Actor(web.staff_ids["manager"], "manager"), web.tea.id, qty,
                                "opening_stock")
    return manager


def start(manager, **body):
    r = manager.post("/api/v1/counts", json={"scope": {"all": True}, **body})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_a_count_on_two_phones_reviewed_and_approved(web):
    manager = opening_stock(web, 10)
    count = start(manager, note="月底盘点")
    assert count["number"].startswith("PD") and count["blind"] is True
    phones = [web.as_role("assistant"), web.as_role("cashier")]
    r = phones[0].post(f"/api/v1/counts/{count['id']}/entries", json={"barcode": TEA, "qty": 4})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["counted"] == 4 and "expected" not in r.get_json()
    r = phones[1].post(f"/api/v1/counts/{count['id']}/entries",
                       json={"product_id": web.tea.id, "qty": 3})
    assert r.get_json()["counted"] == 7
    # Blind: the phones see totals only; the review is the manager's.
    view = phones[0].get(f"/api/v1/counts/{count['id']}").get_json()
    assert view["items"][0]["counted"] == 7 and "expected" not in view["items"][0]
    assert phones[0].get(f"/api/v1/counts/{count['id']}/review").status_code == 403
    assert phones[0].post(f"/api/v1/counts/{count['id']}/approve", json={}).status_code == 403
    review = manager.get(f"/api/v1/counts/{count['id']}/review").get_json()
    line = review["lines"][0]
    assert (line["counted"], line["expected"], line["delta"], line["value"]) == \
        (7, 10, -3, "-120.00")
    r = manager.post(f"/api/v1/counts/{count['id']}/approve", json={"zero_uncounted": False})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "approved"
    assert web.box.orders.stock_level(web.tea.id) == 7
    r = phones[0].post(f"/api/v1/counts/{count['id']}/entries", json={"barcode": TEA, "qty": 1})
    assert r.status_code == 409
    listed = phones[0].get("/api/v1/counts?status=approved").get_json()["counts"]
    assert [c["number"] for c in listed] == [count["number"]]


def test_two_api_clients_counting_at_once_sum_correctly(web):
    manager = opening_stock(web, 100)
    count = start(manager)
    phones = [web.as_role("assistant"), web.as_role("assistant")]
    go = threading.Barrier(2)
    statuses = []

    def scan(phone):
        go.wait()
        for _ in range(25):
            r = phone.post(f"/api/v1/counts/{count['id']}/entries",
                           json={"barcode": TEA, "qty": 1})
            statuses.append(r.status_code)

    threads = [threading.Thread(target=scan, args=(p,)) for p in phones]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert statuses == [201] * 50
    item = manager.get(f"/api/v1/counts/{count['id']}").get_json()["items"][0]
    assert (item["counted"], item["entries"], item["expected"]) == (50, 50, 100)


def test_overlapping_counts_and_bad_input_are_refused(web):
    manager = web.as_role("manager")
    count = start(manager)
    r = manager.post("/api/v1/counts", json={"scope": {"categories": [web.tea.category_id]}})
    assert r.status_code == 409 and count["number"] in r.get_json()["error"]
    assert manager.post("/api/v1/counts", json={"scope": "all"}).status_code == 400
    assert web.as_role("assistant").post("/api/v1/counts",
                                         json={"scope": {"all": True}}).status_code == 403
    phone = web.as_role("assistant")
    base = f"/api/v1/counts/{count['id']}/entries"
    assert phone.post(base, json={"barcode": TEA, "qty": 1.5}).status_code == 400
    assert phone.post(base, json={"barcode": "123", "qty": 1}).status_code == 404
    r = phone.post(base, json={"barcode": TEA, "qty": -1})
    assert r.status_code == 400 and r.get_json()["field"] == "qty"
    assert phone.get("/api/v1/counts/nope").status_code == 404
    r = manager.post(f"/api/v1/counts/{count['id']}/cancel", json={})
    assert r.status_code == 400
    r = manager.post(f"/api/v1/counts/{count['id']}/cancel", json={"reason": "重来"})
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled"


def test_sheet_csv_and_print(web):
    manager = opening_stock(web, 10)
    count = start(manager)
    phone = web.as_role("assistant")
    phone.post(f"/api/v1/counts/{count['id']}/entries", json={"barcode": TEA, "qty": 9})
    r = phone.get(f"/api/v1/counts/{count['id']}/sheet.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.data.startswith(b"\xef\xbb\xbf")
    assert count["number"] in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert "expected" not in rows[0]      # blind, and the phone is not a manager's
    assert [row[3] for row in rows[1:] if row[6] == "9"] == ["西湖龙井"]
    rows = list(csv.reader(io.StringIO(
        manager.get(f"/api/v1/counts/{count['id']}/sheet.csv").data.decode("utf-8-sig"))))
    assert "expected" in rows[0]
    r = phone.post(f"/api/v1/counts/{count['id']}/print", json={})
    assert r.status_code == 202, r.get_json()
    job = web.box.printing.get(r.get_json()["job_id"])
    assert job["kind"] == "report" and job["state"] == "queued"
    from appliance.printing.documents import document_for
    doc = document_for(web.box, job)
    assert any("西湖龙井" in ln["text"] for ln in doc["lines"])


def test_a_blind_count_hides_the_levels_it_counts_from_counters_everywhere(web):
    manager = opening_stock(web, 10)
    phone = web.as_role("assistant")

    def seen(api):
        item = api.get(f"/api/v1/stock/{web.tea.id}").get_json()
        listed = next(i for i in api.get("/api/v1/stock").get_json()["items"]
                      if i["product_id"] == web.tea.id)
        moves = api.get(f"/api/v1/stock/{web.tea.id}/moves").get_json()["moves"]
        product = api.get(f"/api/v1/products/by-barcode/{TEA}").get_json()["product"]
        return item["qty"], listed["qty"], moves[0]["after"], product["stock"]

    assert seen(phone) == (10, 10, 10, 10)
    count = start(manager)
    assert seen(phone) == (None, None, None, None)     # counting against the shelf only
    assert seen(manager) == (10, 10, 10, 10)
    phone.post(f"/api/v1/counts/{count['id']}/entries", json={"barcode": TEA, "qty": 9})
    manager.post(f"/api/v1/counts/{count['id']}/approve", json={})
    assert seen(phone) == (9, 9, 9, 9)
    open_count = start(manager, blind=False)           # not blind: nothing to hide
    assert seen(phone) == (9, 9, 9, 9)
    manager.post(f"/api/v1/counts/{open_count['id']}/cancel", json={"reason": "test"})
