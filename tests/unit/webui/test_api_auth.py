"""Sign-in, sessions, CSRF and throttling on the shop Wi-Fi."""

import logging

from webui.sessions import COOKIE, SessionStore


def test_login_returns_staff_and_csrf_and_sets_a_safe_cookie(web):
    api = web.client()
    r = api.login("cashier", terminal="counter-1")
    assert r.status_code == 200
    body = r.get_json()
    assert body["staff"]["role"] == "cashier" and len(body["csrf_token"]) > 20
    cookie = r.headers["Set-Cookie"]
    assert COOKIE in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # plain HTTP here; HTTPS adds it
    me = api.get("/api/v1/auth/me").get_json()
    assert me["staff"]["id"] == web.staff_ids["cashier"] and me["terminal"] == "counter-1"


def test_secure_cookie_under_https(web):
    api = web.client()
    r = api.client.post("/api/v1/auth/login", json={"pin": "1001"},
                        base_url="https://localhost")
    assert "Secure" in r.headers["Set-Cookie"]


def test_wrong_pin_is_401_and_audited(web, caplog):
    with caplog.at_level(logging.WARNING, logger="audit"):
        r = web.client().login(pin="9999")
    assert r.status_code == 401 and r.get_json()["error"] == "wrong PIN"
    assert "sign-in failed" in caplog.text


def test_logout_kills_the_session_even_for_a_replayed_cookie(web):
    api = web.client()
    api.login("assistant")
    token = api.client.get_cookie(COOKIE).value
    assert api.post("/api/v1/auth/logout").status_code == 204
    thief = web.client()
    thief.client.set_cookie(COOKIE, token)
    assert thief.get("/api/v1/auth/me").status_code == 401
    assert thief.get("/api/v1/orders").status_code == 401


def test_idle_sessions_time_out(web):
    now = [1000.0]
    web.app.config["SESSIONS"] = SessionStore(idle_seconds=60, clock=lambda: now[0])
    api = web.client()
    api.login("assistant")
    now[0] += 59
    assert api.get("/api/v1/auth/me").status_code == 200
    now[0] += 61
    assert api.get("/api/v1/auth/me").status_code == 401


def test_deactivated_staff_are_signed_out_at_once(web):
    api = web.as_role("assistant")
    web.box.master.staff.deactivate(web.staff_ids["assistant"])
    assert api.get("/api/v1/auth/me").status_code == 401


def test_writes_need_the_csrf_token(web):
    api = web.as_role("assistant")
    assert api.post("/api/v1/orders", json={}, csrf=False).status_code == 403
    api_wrong = api
    saved, api_wrong.csrf = api.csrf, "forged"
    assert api_wrong.post("/api/v1/orders", json={}).status_code == 403
    api.csrf = saved
    assert api.post("/api/v1/orders", json={}).status_code == 201


def test_per_account_lockout_after_ten_failures(web):
    api = web.client()
    sid = web.staff_ids["cashier"]
    for _ in range(10):
        assert api.login(pin="0000", staff_id=sid).status_code == 401
    r = api.login(pin="1001", staff_id=sid)  # even the right PIN waits now
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 30
    assert web.client().login("owner").status_code == 200  # others are not locked out


def test_per_address_limit_without_an_account(web):
    api = web.client()
    codes = [api.login(pin=f"{i:04d}").status_code for i in range(3000, 3021)]
    assert codes[:20] == [401] * 20 and codes[20] == 429


def test_sessions_end_on_unknown_cookie(web):
    api = web.client()
    api.client.set_cookie(COOKIE, "made-up")
    r = api.get("/api/v1/orders")
    assert r.status_code == 401 and "sign in" in r.get_json()["error"]


def test_a_known_pin_does_not_reset_the_address_counter(web):
    api = web.client()
    for i in range(19):
        assert api.login(pin=f"{3000 + i}").status_code == 401
    assert api.login("assistant").status_code == 200
    assert api.login(pin="3999").status_code == 401  # the 20th wrong PIN: locks from now
    assert api.login("assistant").status_code == 429


def test_event_streams_end_when_the_session_does(web):
    api = web.as_role("cashier")
    r = api.client.get("/api/v1/events", buffered=False)
    stream = r.response
    assert next(stream).startswith(b"retry:")
    web.app.config["SESSIONS"].end_for_staff(web.staff_ids["cashier"])
    rest = b"".join(stream)  # the generator finishes instead of streaming on
    assert rest == b""
    r.close()


def test_cost_prices_only_for_people_who_edit_the_catalog(web):
    seen = {}
    for role in ("assistant", "manager"):
        p = web.as_role(role).get("/api/v1/products?q=龙井").get_json()["products"][0]
        seen[role] = p["cost"]
    assert seen == {"assistant": None, "manager": "40.00"}


def test_405_under_api_says_which_methods_are_allowed(web):
    api = web.as_role("cashier")
    r = api.client.put("/api/v1/orders")
    assert r.status_code == 405 and "POST" in r.headers["Allow"] and r.get_json()["error"]
