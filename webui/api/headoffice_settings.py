"""/api/v1/settings/headoffice: the head-office link on the settings page (issue 11;
docs/settings.md "Head office", docs/api.md).

- GET: the link's settings (config_changes.describe for the mqtt keys), whether a password is
  set (never the password), the certificates (subject, expiry, fingerprint), the link's health
  as uplinkd last reported it, and the last connection test.
- PATCH: change mqtt.host, port, tls, prefix, username, keepalive (config_changes; one
  ``config.changed`` record); uplinkd notices the overlay changed and reconnects.
- PUT .../password and PUT .../tls: the password and the certificates (appliance.headoffice_
  link), each one ``config.changed`` record that names no secret.
- GET .../status: the health and the test result alone, for the page's poll.
- POST .../test: try to connect with the saved settings on a background thread (the page
  polls .../status); never in the request itself.
"""

from __future__ import annotations

from flask import current_app, g, jsonify

from appliance import config_changes, headoffice_link
from appliance.errors import ValidationError
from appliance.i18n import _

from ..access import access
from . import body, box, bp, publish

SECTION = "mqtt"


def _keys() -> list[str]:
    return [k for k in config_changes.page_keys() if k.startswith(SECTION + ".")]


def _tester() -> headoffice_link.ConnectionTest:
    return current_app.extensions.setdefault("tillbox_headoffice_test",
                                             headoffice_link.ConnectionTest())


def _status() -> dict:
    return {"link": current_app.config["DEVICES"].uplink(), "test": _tester().result()}


def _all() -> dict:
    config = box().config
    described = config_changes.describe(config)
    return {"settings": {k: described[k] for k in _keys()},
            "password": headoffice_link.password_state(config),
            "tls": headoffice_link.describe_tls(config), **_status()}


def _relink() -> None:
    """The counter's link light follows mqtt.host at once (like the setup page does)."""
    current_app.config["DEVICES"].set_linked(bool(box().config.mqtt.host))


@bp.get("/settings/headoffice")
@access("settings.edit")
def get_headoffice():
    return jsonify(_all())


@bp.get("/settings/headoffice/status")
@access("settings.edit")
def headoffice_status():
    return jsonify(_status())


@bp.patch("/settings/headoffice")
@access("settings.edit")
def change_headoffice():
    data = body()
    if not data:
        raise ValidationError(_("give at least one setting to change, as key: value"))
    for key in data:
        if key not in _keys():
            raise ValidationError(_("there is no setting named {key}", key=repr(key)),
                                  field=str(key))
    changes = config_changes.change_config(box(), g.actor, data)
    warnings = []
    if "mqtt.prefix" in changes:
        warnings.append(_("the topic prefix is agreed with head office: the box now sends "
                          "under {prefix}/..., which head office must read",
                          prefix=changes["mqtt.prefix"]["to"]))
    if changes:
        _relink()
        publish("settings", {"keys": sorted(changes)})
    return jsonify({**_all(), "changed": changes, "warnings": warnings})


@bp.put("/settings/headoffice/password")
@access("settings.edit")
def set_headoffice_password():
    data = body()
    if "password" not in data:
        raise ValidationError(_("{name} is required", name="password"), field="password")
    changes = headoffice_link.set_password(box(), g.actor, data["password"])
    if changes:
        publish("settings", {"keys": sorted(changes)})
    return jsonify({**_all(), "changed": changes})


@bp.put("/settings/headoffice/tls")
@access("settings.edit")
def set_headoffice_tls():
    changes = headoffice_link.store_tls(box(), g.actor, body())
    if changes:
        publish("settings", {"keys": sorted(changes)})
    return jsonify({**_all(), "changed": changes})


@bp.post("/settings/headoffice/test")
@access("settings.edit")
def test_headoffice():
    body()   # a JSON body, if any, must be an object; the test uses the saved settings
    return jsonify({"test": _tester().start(box().config)}), 202
