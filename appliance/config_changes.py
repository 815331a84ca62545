"""Changing the machine's configuration from the settings page (issue 11; docs/settings.md).

Printers, scanners, GPIO pins and the head-office link are configuration (appliance.config),
not master data: the daemons that own the devices read them. The settings page writes them to
the setup overlay (``<paths.data>/setup.toml``, which wins over /etc/tillbox/tillbox.toml),
and each change is a ``config.changed`` journal record {changes: {key: {from, to}}}, like
``settings.changed`` for shop settings: on the audit page and sent to head office.

Only the keys in :data:`PAGE_KEYS` may be changed this way; a key set by a ``TILLBOX_...``
environment variable is *locked* (the variable would win anyway, so the page says where to
change it instead). Values are checked with the config schema's own rules, so the page can
never write an overlay that stops the box from starting.

The overlay write and the record are one act: the overlay is written inside the ledger
transaction, before the record is appended, and put back if the record does not commit.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from . import config as config_mod
from .config import DEVICE_KEYS, ENV_PREFIX, OVERLAY_KEYS, SCHEMA, ConfigError
from .device_config import check_devices
from .errors import ValidationError
from .i18n import _
from .orders.permissions import Actor, require

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")

#: What the settings page may change: section -> key names. Every one must also be in
#: config.OVERLAY_KEYS (a test checks), or config.load would ignore it.
PAGE_KEYS: dict[str, tuple[str, ...]] = {
    **DEVICE_KEYS,   # printers, scanners and pins
    # the head-office link (its password and certificates: appliance.headoffice_link)
    "mqtt": ("host", "port", "tls", "prefix", "username", "keepalive"),
}


#: One change of the machine's configuration at a time (page keys, certificates): each reads
#: the configuration and the overlay, checks, writes and records under it, so two saves at
#: once cannot both pass their cross-checks against the same old values (two parts on one
#: pin) or put back each other's overlay.
CHANGE_LOCK = threading.RLock()

#: Checks across keys, run on every page key's value as it would be after a change:
#: ``check(values {"section.key": value}, changed keys)`` raising ValidationError(field=...).
CROSS_CHECKS: list = [check_devices]


def page_keys() -> list[str]:
    return [f"{section}.{name}" for section, names in PAGE_KEYS.items() for name in names]


def _split(key: Any) -> tuple[str, str]:
    if not isinstance(key, str) or key.count(".") != 1:
        raise ValidationError(_("there is no setting named {key}", key=repr(key)),
                              field=str(key))
    section, name = key.split(".")
    if name not in PAGE_KEYS.get(section, ()):
        raise ValidationError(_("there is no setting named {key}", key=repr(key)), field=key)
    return section, name


def locked_by(config, key: str) -> str | None:
    """The environment variable that sets ``key``, when one does (the page cannot win)."""
    origin = config.origins.get(key, "")
    return origin if origin.startswith(ENV_PREFIX) else None


def describe(config) -> dict:
    """Each page key's value now, type, limits, help text and whether it is locked."""
    out = {}
    for key in page_keys():
        section, name = key.split(".")
        spec = SCHEMA[section][name]
        value = getattr(getattr(config, section), name)
        out[key] = {"value": str(value) if spec.type == "path" else value,
                    "type": spec.type, "choices": list(spec.choices),
                    "minimum": spec.minimum, "maximum": spec.maximum,
                    "doc": spec.doc, "origin": config.origins.get(key, "default"),
                    "locked": locked_by(config, key)}
    return out


def check_value(key: str, value: Any) -> Any:
    """``value`` converted and checked by the config schema, else ValidationError."""
    section, name = _split(key)
    spec = SCHEMA[section][name]
    try:
        # "settings page" as the origin: never a TILLBOX_ variable, so no string parsing.
        return config_mod._convert(section, name, spec, value, "settings page")
    except ConfigError as exc:
        raise ValidationError(str(exc), field=key) from None


def reload(config):
    """The configuration as it is now on disk (same file, same environment)."""
    return config_mod.load(config.source, log_warnings=False)


def change_config(box, actor: Actor, values) -> dict:
    """Set several page keys at once, all or nothing; returns {key: {"from", "to"}} of those
    that changed (none: no record). ``box.config`` is reloaded after a change."""
    require(actor, "settings.edit", what="changing settings")
    if not isinstance(values, dict) or not values:
        raise ValidationError(_("give at least one setting to change, as key: value"))
    checked = {key: check_value(key, value) for key, value in values.items()}
    with CHANGE_LOCK:
        return _change(box, actor, checked)


def _change(box, actor: Actor, checked: dict) -> dict:
    from .provisioning import write_overlay
    from .durable import write_bytes

    config = box.config
    for key in checked:
        var = locked_by(config, key)
        if var:
            raise ValidationError(_("{key} is set by {var} in the environment of the box's "
                                    "services; change it there", key=key, var=var), field=key)
    current = describe(config)
    after = {key: info["value"] for key, info in current.items()}
    after.update({key: str(v) if hasattr(v, "parts") else v for key, v in checked.items()})
    for check in CROSS_CHECKS:
        check(after, set(checked))
    changes = {key: {"from": current[key]["value"], "to": str(v) if hasattr(v, "parts") else v}
               for key, v in checked.items() if current[key]["value"] != v}
    if not changes:
        return {}
    path = config.overlay_path
    try:
        before = path.read_bytes()
    except FileNotFoundError:
        before = None
    updates: dict[str, dict] = {}
    for key, change in changes.items():
        section, name = key.split(".")
        updates.setdefault(section, {})[name] = change["to"]
    written = False
    try:
        with box.ledger.transaction() as tx:
            write_overlay(path, updates)
            written = True
            tx.append("config.changed", actor.journal(box.ledger.device_id),
                      {"changes": changes})
    except BaseException:
        if written:
            log.error("configuration change not journalled: putting the old overlay back")
            if before is None:
                path.unlink(missing_ok=True)
            else:
                write_bytes(path, before, mode=0o640)
        raise
    box.config = reload(config)
    audit.info("configuration changed keys=%s by=%s", ",".join(sorted(changes)),
               actor.staff_id)
    return changes


assert all(set(names) <= set(OVERLAY_KEYS.get(section, ())) for section, names in
           PAGE_KEYS.items()), "every PAGE_KEYS key must be an OVERLAY_KEYS key"
