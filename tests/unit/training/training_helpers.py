"""Helpers and fixtures of the training mode tests."""

import pytest

TEA = "6901234567892"


def enter_training(api, on=True):
    r = api.post("/api/v1/training/session", {"on": on})
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"training": on}
    return api


def cash_sale(api, barcode=TEA, amount="100.00"):
    """Open, add one item, pay cash (with change); the paid order's JSON."""
    o = api.post("/api/v1/orders", {}).get_json()
    r = api.post(f"/api/v1/orders/{o['id']}/lines", {"barcode": barcode})
    assert r.status_code in (200, 201), r.get_json()
    r = api.post(f"/api/v1/orders/{o['id']}/payments", {"method": "cash", "amount": amount})
    assert r.status_code in (200, 201), r.get_json()
    return api.get(f"/api/v1/orders/{o['id']}").get_json()


# -- fixtures: import them into a test module by name ---------------------------------------

@pytest.fixture
def trainee(web):
    """A cashier whose session is in training mode."""
    return enter_training(web.as_role("cashier"))


