"""Found in review: resource leaks, races and 500s on odd input must not happen."""

from concurrent.futures import ThreadPoolExecutor

import pytest


@pytest.fixture
def web500(web):
    web.app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash answers 500, as in production
    return web


def test_head_requests_hold_no_event_slot(web):
    api = web.as_role("assistant")
    bus = web.app.config["EVENTS"]
    for _ in range(bus.max_subscribers + 2):
        r = api.client.head("/api/v1/events")
        assert r.status_code == 200
        r.close()
    assert bus.subscribers() == 0
    r = web.as_role("cashier").client.get("/api/v1/events", buffered=False)
    assert r.status_code == 200
    r.close()


def test_parallel_wrong_pins_are_counted_one_by_one(web):
    def guess(i):
        return web.client().login(pin=f"{9000 + i}").status_code

    with ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(guess, range(40)))
    assert codes.count(401) == web.app.config["THROTTLE"].ADDRESS_LIMIT
    assert codes.count(429) == 40 - codes.count(401)


@pytest.mark.parametrize("call", [
    lambda w, api: api.client.post("/api/v1/auth/login",
                                   json={"pin": "1001", "terminal": None}),
    lambda w, api: api.patch(f"/api/v1/products/{w.cup.id}",
                             json={"variants": [{"id": ["x"], "spec": {"颜色": "黑"}}]}),
    lambda w, api: api.post("/api/v1/orders", json={"customer_name": None, "note": None}),
    lambda w, api: api.patch(f"/api/v1/products/{w.tea.id}", json={"name_en": None}),
    lambda w, api: api.post("/api/v1/products", json={"name": "x", "price": "1",
                                                      "unit": None}),
])
def test_odd_values_are_answered_not_crashed_on(web500, call):
    api = web500.as_role("manager")
    r = call(web500, api)
    assert r.status_code < 500, r.get_data()
    assert r.is_json


def test_superscript_digits_are_not_a_version(web500):
    api = web500.as_role("assistant")
    o = api.post("/api/v1/orders", json={}).get_json()
    o = api.post(f"/api/v1/orders/{o['id']}/lines", json={"barcode": "6901234567892"}).get_json()
    r = api.delete(f"/api/v1/orders/{o['id']}/lines/{o['lines'][0]['id']}?expected_version=%C2%B2")
    assert r.status_code == 400 and r.get_json()["field"] == "expected_version"
