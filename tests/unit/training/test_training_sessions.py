"""Training mode through the API: a session switches itself in and out; in training, box()
is the training stack, only the allow-list answers, and nothing reaches the real ledger."""

import logging

import pytest
from training_helpers import TEA, cash_sale, enter_training, trainee  # noqa: F401

from appliance.training import TRAINING_LEDGER, TrainingBox


def journal_types(ledger):
    return [r.type for r in ledger.records()]


def test_a_session_switches_itself_into_training_and_me_says_so(web):
    api = web.as_role("assistant")
    assert api.get("/api/v1/auth/me").get_json()["training"] is False
    enter_training(api)
    assert api.get("/api/v1/auth/me").get_json()["training"] is True
    other = web.as_role("assistant")  # the same person on another screen: not in training
    assert other.get("/api/v1/auth/me").get_json()["training"] is False
    enter_training(api, on=False)
    assert api.get("/api/v1/auth/me").get_json()["training"] is False


def test_the_switch_wants_a_boolean_and_the_csrf_token(web):
    api = web.as_role("cashier")
    assert api.post("/api/v1/training/session", {}).status_code == 400
    assert api.post("/api/v1/training/session", {"on": "yes"}).status_code == 400
    assert api.post("/api/v1/training/session", {"on": True}, csrf=False).status_code == 403
    assert api.get("/api/v1/auth/me").get_json()["training"] is False


def test_a_training_sale_goes_to_the_training_ledger_only(web, trainee):
    before = web.box.ledger.head()
    order = cash_sale(trainee)
    assert order["status"] == "paid"
    assert web.box.ledger.head() == before           # not one real record
    stack = web.box.training()
    assert isinstance(stack, TrainingBox)
    assert stack.ledger.path == web.box.config.data_dir / TRAINING_LEDGER
    assert stack.ledger.device_id == f"{web.box.ledger.device_id}-training"
    assert "order.paid" in journal_types(stack.ledger)
    # A real screen does not find the training order, the training screen does.
    real = web.as_role("cashier")
    assert real.get(f"/api/v1/orders/{order['id']}").status_code == 404
    assert trainee.get(f"/api/v1/orders/{order['id']}").status_code == 200


def test_training_sells_what_the_training_ledger_never_received(web, trainee):
    """The shop refuses sales below zero; training must not (it has no stock at all)."""
    web.box.master.settings.set("orders.allow_negative_stock", False)
    assert cash_sale(trainee)["status"] == "paid"
    with web.box.training().ledger.reading() as conn:
        assert conn.execute("SELECT qty FROM stock_levels WHERE product_id = ?",
                            (web.tea.id,)).fetchone()[0] == -1
    real = web.as_role("cashier")
    o = real.post("/api/v1/orders", {}).get_json()
    assert real.post(f"/api/v1/orders/{o['id']}/lines", {"barcode": TEA}).status_code == 409


def test_refunds_members_and_top_ups_stay_in_training(web, trainee):
    order = cash_sale(trainee)
    r = trainee.post(f"/api/v1/orders/{order['id']}/refunds", {"reason": "practice"})
    assert r.status_code == 201, r.get_json()
    m = trainee.post("/api/v1/members", {"name": "练习会员", "phone": "13800000001"})
    assert m.status_code == 201, m.get_json()
    member_id = m.get_json()["id"]
    r = trainee.post(f"/api/v1/members/{member_id}/topups", {"amount": "50.00",
                                                              "method": "cash"})
    assert r.status_code == 201, r.get_json()
    types = journal_types(web.box.training().ledger)
    assert {"order.refunded", "member.joined", "member.topped_up"} <= set(types)
    assert web.box.ledger.head()[0] == 0
    real = web.as_role("cashier")
    assert real.get(f"/api/v1/members/{member_id}").status_code == 404


@pytest.mark.parametrize("method, path, body", [
    ("POST", "/api/v1/products", {"name": "x"}),
    ("PATCH", "/api/v1/products/{tea}", {"price": "1.00"}),
    ("POST", "/api/v1/products/{tea}/barcode", {}),
    ("POST", "/api/v1/stock/{tea}/adjust", {"delta": 5, "reason": "count"}),
    ("PUT", "/api/v1/stock/{tea}/rule", {}),
    ("GET", "/api/v1/stock/report", None),
    ("POST", "/api/v1/promotions", {}),
    ("POST", "/api/v1/member-levels", {}),
    ("GET", "/api/v1/suppliers", None),
    ("POST", "/api/v1/purchase-orders", {}),
    ("POST", "/api/v1/receiving", {}),
    ("GET", "/api/v1/counts", None),
    ("POST", "/api/v1/labels", {}),
    ("POST", "/api/v1/drawer/open", {"reason": "change"}),
    ("GET", "/api/v1/visitors", None),
    ("GET", "/api/v1/staff", None),
    ("PATCH", "/api/v1/settings", {"shop.name": "x"}),
    ("POST", "/api/v1/staff", {}),
    ("GET", "/api/v1/finance/entries", None),
    ("POST", "/api/v1/finance/entries", {}),
    ("GET", "/api/v1/finance/profit", None),
    ("GET", "/api/v1/reports", None),
    ("POST", "/api/v1/reports/print", {}),
    ("GET", "/api/v1/audit", None),
])
def test_what_makes_no_sense_in_training_is_refused(web, method, path, body):
    owner = enter_training(web.as_role("owner"))  # the owner may do all of it, but not here
    path = path.format(tea=web.tea.id)
    r = owner.client.open(path, method=method, json=body, headers={"X-CSRF-Token": owner.csrf})
    assert r.status_code == 409, (path, r.get_json())
    assert r.get_json()["code"] == "training_mode"
    assert "training mode" in r.get_json()["error"]
    assert web.box.master.catalog.get_product(web.tea.id).price == 6800


def test_a_route_nobody_listed_is_refused_in_training(web):
    """The allow-list: a view added later without a decision is not reachable in training."""
    from webui.access import LOGIN, access

    @access(LOGIN)
    def brand_new():
        return {"ok": True}
    web.app.view_functions["api.search_products"], original = brand_new, \
        web.app.view_functions["api.search_products"]
    try:
        from webui.api.training import ALLOWED_IN_TRAINING, allowed_in_training
        with web.app.app_context():
            assert allowed_in_training("api.search_products")
            assert not allowed_in_training("api.brand_new_route")
            assert "api.brand_new_route" not in ALLOWED_IN_TRAINING
    finally:
        web.app.view_functions["api.search_products"] = original


def test_every_allowed_endpoint_exists(web):
    """A renamed view must not silently fall out of training."""
    from webui.api.training import ALLOWED_IN_TRAINING
    missing = sorted(e for e in ALLOWED_IN_TRAINING if e not in web.app.view_functions)
    assert missing == []


def test_reads_and_the_quiz_still_work_in_training(web, trainee):
    assert trainee.get("/api/v1/products?q=龙井").status_code == 200
    assert trainee.get("/api/v1/categories").status_code == 200
    assert trainee.get("/api/v1/printer").status_code == 200
    assert trainee.post("/api/v1/training/quiz", {}).status_code == 201


def test_master_data_is_read_only_on_the_training_stack(web):
    from appliance.errors import Conflict
    stack = web.box.training()
    assert stack.master.catalog.get_product(web.tea.id).name == "西湖龙井"
    with pytest.raises(Conflict) as exc:
        stack.master.catalog.save_product(web.box.master.catalog.get_product(web.tea.id))
    assert exc.value.code == "training_mode"
    with pytest.raises(Conflict):
        stack.master.settings.set("shop.name", "x")
    with pytest.raises(Conflict):
        stack.master.staff.set_pin("anyone", "9999")
    assert stack.master.settings.get("orders.allow_negative_stock") is True
    assert stack.master.settings.get("shop.name") == web.box.master.settings.get("shop.name")


def test_the_till_promotions_price_training_sales(web, trainee):
    """Rules and levels are journal records of the real ledger: they are copied over (one
    record, only when they changed) when a session enters training."""
    manager = web.as_role("manager")
    rule = {"name": "龙井九折", "kind": "percent_off", "percent": "10",
            "products": [web.tea.id]}
    r = manager.post("/api/v1/promotions", rule)
    assert r.status_code == 201, r.get_json()
    enter_training(trainee)                     # again: picks up the new rule
    enter_training(trainee)                     # unchanged: no second copy
    stack_types = journal_types(web.box.training().ledger)
    assert stack_types.count("training.promotions_copied") == 1
    o = trainee.post("/api/v1/orders", {}).get_json()
    line = trainee.post(f"/api/v1/orders/{o['id']}/lines", {"barcode": TEA}).get_json()
    assert line["due"] == "61.20", line


def test_leaving_training_brings_the_real_box_back(web, trainee):
    cash_sale(trainee)
    enter_training(trainee, on=False)
    order = cash_sale(trainee)
    assert order["status"] == "paid"
    assert "order.paid" in journal_types(web.box.ledger)


def test_audit_lines_of_training_actions_say_training(web, trainee, caplog):
    with caplog.at_level(logging.INFO, logger="audit"):
        cash_sale(trainee)
    sales = [r.getMessage() for r in caplog.records if "sale order=" in r.getMessage()]
    assert sales and all(m.startswith("training: ") for m in sales)
    caplog.clear()
    real = web.as_role("cashier")
    with caplog.at_level(logging.INFO, logger="audit"):
        cash_sale(real)
    sales = [r.getMessage() for r in caplog.records if "sale order=" in r.getMessage()]
    assert sales and not any(m.startswith("training") for m in sales)


def test_the_training_stack_closes_with_the_box(tmp_path):
    from appliance.box import Box
    from appliance.config import load
    cfg = tmp_path / "t.toml"
    cfg.write_text('[paths]\ndata = "d"\n', encoding="utf-8")
    box = Box(load(cfg, environ={}))
    assert box.training(create=False) is None
    assert not (box.config.data_dir / TRAINING_LEDGER).exists()
    stack = box.training()
    assert box.training() is stack and box.training(create=False) is stack
    box.close()
    from appliance.ledger import LedgerError
    with pytest.raises(LedgerError):
        stack.ledger.head()


def test_every_page_shows_the_banner_in_training_and_only_then(web):
    api = web.as_role("cashier")
    for path in ("/counter", "/phone", "/training"):
        page = api.get(f"{path}?lang=en").get_data(as_text=True)
        assert 'id="training-banner"' not in page, path
    enter_training(api)
    for path in ("/counter", "/phone", "/training", "/display"):
        page = api.get(f"{path}?lang=en").get_data(as_text=True)
        assert 'id="training-banner"' in page and 'id="training-leave"' in page, path
        assert "js/training.js" in page
    training_page = api.get("/training?lang=en").get_data(as_text=True)
    assert 'id="quiz-start"' in training_page and 'id="scores-body"' in training_page
    assert training_page.count("js/training.js") == 1


def test_the_counter_scanner_follows_its_screen_into_training(web, device):
    counter = enter_training(web.as_role("cashier"))
    r = counter.client.put("/api/v1/till", json={"order_id": None},
                           headers={"X-CSRF-Token": counter.csrf})
    assert r.status_code == 200 and r.get_json()["held"] is True
    r = device.post("/api/v1/device/scans", json={"code": TEA})
    assert r.status_code == 200 and r.get_json()["ok"], r.get_json()
    order_id = r.get_json()["order_id"]
    assert web.box.ledger.head()[0] == 0
    assert web.box.training().orders.get_order(order_id).lines[0].product_id == web.tea.id
    # Leaving training lets go of the scanner: the next scan opens no order anywhere.
    enter_training(counter, on=False)
    r = device.post("/api/v1/device/scans", json={"code": TEA})
    assert r.get_json()["ok"] is False and r.get_json()["error"] == "no_counter"
    assert web.box.ledger.head()[0] == 0


def test_the_office_pages_of_the_real_shop_send_a_training_session_to_training(web):
    """The office pages render the real shop's figures server-side: not for training."""
    owner = web.as_role("owner")
    for path in ("/office", "/office/reports", "/office/shifts", "/office/finance",
                 "/office/staff", "/office/audit"):
        assert owner.get(path).status_code == 200, path
    enter_training(owner)
    for path in ("/office", "/office/reports", "/office/shifts", "/office/finance",
                 "/office/staff", "/office/audit"):
        r = owner.get(path)
        assert r.status_code == 303 and r.headers["Location"].endswith("/training"), path
    assert owner.get("/training").status_code == 200
