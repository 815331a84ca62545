"""GET /healthz reports every component; a broken one turns it into 503."""

from appliance.box import Box
from appliance.config import load
from webui.access import PUBLIC, access
from webui.app import create_app


def make_box(tmp_path):
    cfg_file = tmp_path / "t.toml"
    cfg_file.write_text('[paths]\ndata = "d"\n', encoding="utf-8")
    return Box(load(cfg_file, environ={}))


def test_healthz_ok(tmp_path):
    box = make_box(tmp_path)
    try:
        client = create_app(box).test_client()
        r = client.get("/healthz")
        assert r.status_code == 200
        body = r.get_json()
        assert body["status"] == "ok"
        assert body["components"]["ledger"] == {"ok": True, "head_seq": 0,
                                                "head_hash": "0" * 64}
        assert body["components"]["master"]["ok"] is True
    finally:
        box.close()


def test_healthz_degraded_when_the_ledger_is_gone(tmp_path):
    box = make_box(tmp_path)
    try:
        client = create_app(box).test_client()
        box.ledger.close()
        r = client.get("/healthz", headers={"Accept-Language": "en"})
        assert r.status_code == 503
        body = r.get_json()
        assert body["status"] == "degraded"
        assert body["components"]["ledger"]["ok"] is False
        assert "closed" in body["components"]["ledger"]["error"]
    finally:
        box.master.close()


def test_errors_on_pages_are_plain_text_never_markup(tmp_path):
    from appliance.errors import NotFound
    box = make_box(tmp_path)
    try:
        app = create_app(box)

        @app.get("/boom")
        @access(PUBLIC)
        def boom():
            raise NotFound("no product has barcode <script>alert(1)</script>")

        r = app.test_client().get("/boom")
        assert r.status_code == 404
        assert r.mimetype == "text/plain"
        r = app.test_client().get("/boom", headers={"Accept": "application/json"})
        assert r.get_json()["error"].startswith("no product has barcode")
    finally:
        box.close()
