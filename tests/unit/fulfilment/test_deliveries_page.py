"""The deliveries page and the delivery panel of the phone and the counter: pages render for
the roles that may use them, and every string the scripts show is in the catalog."""

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[3] / "webui" / "static" / "js"


def test_the_deliveries_page_renders_with_its_script_for_an_assistant(web):
    phone = web.as_role("assistant")
    r = phone.get("/office/deliveries", headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "js/deliveries.js" in html and "js/camera_scan.js" in html
    assert 'id="dl-ship-dialog"' in html and 'id="camera"' in html


def test_phone_and_counter_carry_the_delivery_panel(web):
    for role, path, panel in (("assistant", "/phone", "delivery-panel"),
                              ("cashier", "/counter", "d-delivery")):
        html = web.as_role(role).get(path).get_data(as_text=True)
        assert f'id="{panel}"' in html and "js/delivery_panel.js" in html


def test_every_string_the_delivery_scripts_show_is_translated(web):
    from webui.office.deliveries import script_strings
    with web.app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        strings = script_strings()
    used = set()
    for name in ("deliveries.js", "delivery_panel.js", "counter.js"):
        text = (STATIC / name).read_text(encoding="utf-8")
        used |= set(re.findall(r't\("(dl_[a-z_]*[a-z])"', text))
        for prefix in re.findall(r't\("(dl_[a-z_]+_)" \+', text):
            used |= {k for k in strings if k.startswith(prefix)}
    assert used and used <= set(strings), used - set(strings)
    for status in ("pending", "packed", "shipped", "delivered", "ready", "collected",
                   "cancelled"):
        assert f"dl_status_{status}" in strings
    for kind in ("delivery", "pickup", "none"):
        assert f"dl_kind_{kind}" in strings
    for go in ("packed", "shipped", "delivered", "ready", "collected", "cancelled"):
        assert f"dl_go_{go}" in strings
