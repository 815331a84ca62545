"""The devices section of /office/settings: the form from the configuration, and every
string its script asks for."""

from __future__ import annotations

import re
from pathlib import Path

from appliance.config_changes import change_config
from appliance.orders import Actor

JS = Path(__file__).resolve().parents[3] / "webui/static/js/settings_devices.js"


def test_the_section_shows_the_saved_device_settings(web):
    change_config(web.box, Actor(web.staff_ids["owner"], "owner", "counter"),
                  {"printer.backend": "usb", "printer.usb_vendor": 0x0416,
                   "printer.usb_product": 0x5011})
    html = web.as_role("owner").get("/office/settings").get_data(as_text=True)
    section = html[html.index('id="settings-devices"'):]
    section = section[:section.index("</section>")]
    assert re.search(r'<option value="usb" selected>', section)
    assert 'name="printer.usb_vendor" data-kind="hex" value="0416"' in section
    # Fields of other backends are there, shown by the script only when they matter.
    assert 'data-key="printer.host" data-when="printer.backend=network|simulated"' in section
    assert 'id="st-devices-test-print"' in section and 'data-gpio-test="buzzer"' in section


def test_every_string_the_script_uses_is_given_to_it(web):
    from webui.office import settings_devices
    with web.app.test_request_context():
        strings = settings_devices.script_strings()
    used = set(re.findall(r'\bt\("(st_devices_[a-z_]*[a-z])"', JS.read_text(encoding="utf-8")))
    assert used and used <= set(strings), used - set(strings)
    # Built names: the matches and the reasons.
    for match in ("product", "scale_label", "member", "order", "nothing"):
        assert f"st_devices_match_{match}" in strings


def test_a_manager_cannot_open_the_settings(web):
    assert web.as_role("manager").get("/office/settings").status_code in (302, 403)
