"""Setting a new box up: the setup overlay, the setup code, and the owner's first account.

A box leaves the SD-card image unconfigured. First boot gives it a device id (firstboot.py);
then core, while the box is not *provisioned*, serves a setup page where the owner enters the
store id, the head-office broker and their own name and PIN.

- **Provisioned** means the setup overlay has a store id, or any staff member exists (demo
  data, ``tillbox staff add``, a finished setup). It never goes back.
- **The setup overlay** (``<paths.data>/setup.toml``) holds only the keys in
  :data:`appliance.config.OVERLAY_KEYS`; config.py reads it over the main file. It is
  rewritten whole and atomically, merging in the new keys, so first boot's device id and the
  setup page's store never overwrite each other.
- **The setup code** (``<paths.data>/setup-code``, 0600) proves that the person on the setup
  page holds the printed slip or the console (``tillbox setup-code``): the shop Wi-Fi carries
  customers too. Core makes it at start while not provisioned; it is never logged, and it is
  deleted when setup succeeds.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import ENV_PREFIX, OVERLAY_KEYS, SCHEMA, read_overlay
from .durable import write_bytes
from .errors import Conflict, ValidationError
from .i18n import _
from .master.staff import MAX_NAME, validate_pin

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")

CODE_FILE = "setup-code"
CODE_DIGITS = 8
_CODE_RE = re.compile(rf"^[0-9]{{{CODE_DIGITS}}}$")
# A broker host as people type it: a DNS name or an address, never a URL.
_HOST_RE = re.compile(r"^[A-Za-z0-9.:_-]{1,253}$")


# -- the overlay -------------------------------------------------------------------------

def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        # A JSON string is a TOML basic string, except that TOML also wants DEL escaped.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    raise TypeError(f"setup overlay values are str, int or bool, not {type(value).__name__}")


def overlay_text(tables: dict[str, dict[str, Any]]) -> str:
    out = ["# Written by tillbox (first boot and the setup page): the box's own settings.",
           "# Keys here win over /etc/tillbox/tillbox.toml; docs/configuration.md.", ""]
    for section in sorted(tables):
        if not tables[section]:
            continue
        out.append(f"[{section}]")
        out += [f"{name} = {_toml_value(v)}" for name, v in sorted(tables[section].items())]
        out.append("")
    return "\n".join(out)


def write_overlay(path: Path, updates: dict[str, dict[str, Any]]) -> dict:
    """Merge ``updates`` into the overlay at ``path`` and write it whole, atomically (temp
    file, fsync, rename, fsync of the directory: a power cut leaves the old file or the new).
    A value of None removes the key from the overlay (tillbox.toml's value or the default
    applies again). Returns the tables written."""
    for section, keys in updates.items():
        for name in keys:
            if name not in OVERLAY_KEYS.get(section, ()):
                raise ValueError(f"{section}.{name} is not a setup overlay key")
    tables = {s: dict(k) for s, k in read_overlay(path).items() if isinstance(k, dict)}
    for section, keys in updates.items():
        table = tables.setdefault(section, {})
        for name, value in keys.items():
            if value is None:
                table.pop(name, None)
            else:
                table[name] = value
        if not table:
            del tables[section]
    write_bytes(path, overlay_text(tables).encode("utf-8"), mode=0o640,
                before_replace=_same_owner_as_directory)
    return tables


def _same_owner_as_directory(path: Path) -> None:
    """Run as root (a technician's ``tillbox firstboot``), hand the file to the data
    directory's owner: core runs as that user and must read and replace it."""
    if os.geteuid() != 0:
        return
    st = path.parent.stat()
    if st.st_uid != 0 or st.st_gid != 0:
        os.chown(path, st.st_uid, st.st_gid)


# -- provisioned? and the setup code --------------------------------------------------------

def overlay_store_id(config) -> str:
    return str(read_overlay(config.overlay_path).get("shop", {}).get("store_id") or "")


def is_provisioned(config, master) -> bool:
    return bool(overlay_store_id(config)) or bool(master.staff.list(include_inactive=True))


def code_path(data_dir: Path) -> Path:
    return Path(data_dir) / CODE_FILE


def read_code(data_dir: Path) -> str | None:
    """The outstanding setup code, or None (set up already, or core has not started)."""
    try:
        code = code_path(data_dir).read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    return code if _CODE_RE.match(code) else None


def issue_code(data_dir: Path) -> str:
    """The setup code, made now unless one is outstanding: a slip printed at an earlier
    start stays good until setup is done."""
    code = read_code(data_dir)
    if code is None:
        code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
        write_bytes(code_path(data_dir), (code + "\n").encode("ascii"), mode=0o600,
                    before_replace=_same_owner_as_directory)
    return code


def clear_code(data_dir: Path) -> None:
    code_path(data_dir).unlink(missing_ok=True)


# -- the setup form ----------------------------------------------------------------------------

@dataclass(frozen=True)
class SetupForm:
    store_id: str
    mqtt_host: str          # "" = not linked to head office
    mqtt_port: int
    mqtt_tls: bool
    owner_name: str
    pin: str

    def __repr__(self) -> str:  # keep the PIN out of logs and tracebacks
        return (f"SetupForm(store_id={self.store_id!r}, mqtt_host={self.mqtt_host!r}, "
                f"mqtt_port={self.mqtt_port!r}, mqtt_tls={self.mqtt_tls!r}, "
                f"owner_name={self.owner_name!r})")


def _text(data: dict, name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def parse_form(data: dict) -> tuple[SetupForm | None, dict[str, str]]:
    """The form, or None and a message per field that is wrong (every one, not only the
    first: a phone keyboard makes retyping slow)."""
    errors: dict[str, str] = {}
    store_id = _text(data, "store_id")
    if not store_id:
        errors["store_id"] = _("enter the store id head office gave this shop")
    elif SCHEMA["shop"]["store_id"].check(store_id):
        errors["store_id"] = _("store id must be 1-64 letters, digits, '.', '_' or '-' "
                               "(no spaces)")
    host = _text(data, "mqtt_host")
    port, tls = SCHEMA["mqtt"]["port"].default, SCHEMA["mqtt"]["tls"].default
    if host:
        if "://" in host or "/" in host:
            errors["mqtt_host"] = _("enter the broker's host name only, without mqtt:// or "
                                    "a path")
        elif not _HOST_RE.match(host):
            errors["mqtt_host"] = _("the broker host must be a name like mqtt.example.com or "
                                    "an address like 10.0.0.5")
        raw_port = data.get("mqtt_port")
        if isinstance(raw_port, str) and raw_port.strip().isdigit():
            raw_port = int(raw_port.strip())
        if isinstance(raw_port, bool) or not isinstance(raw_port, int) \
                or not 1 <= raw_port <= 65535:
            errors["mqtt_port"] = _("the broker port must be a whole number from 1 to 65535")
        else:
            port = raw_port
        raw_tls = data.get("mqtt_tls", True)
        if not isinstance(raw_tls, bool):
            errors["mqtt_tls"] = _("{name} must be true or false", name="mqtt_tls")
        else:
            tls = raw_tls
    name = _text(data, "owner_name")
    if not name:
        errors["owner_name"] = _("name must not be empty")
    elif len(name) > MAX_NAME or any(ch < " " for ch in name):
        errors["owner_name"] = _("name must be one line of at most {MAX_NAME} characters",
                                 MAX_NAME=MAX_NAME)
    pin, again = data.get("pin"), data.get("pin_again")
    try:
        validate_pin(pin, "owner")
    except ValidationError as exc:
        errors["pin"] = exc.message
    else:
        if again != pin:
            errors["pin_again"] = _("the two PINs differ: type the same PIN twice")
    if errors:
        return None, errors
    return SetupForm(store_id, host, port, tls, name, pin), {}


class SetupDesk:
    """Core's side of setup: the outstanding code and the one setup that may succeed."""

    def __init__(self, box):
        self.box = box
        self._lock = threading.Lock()
        self._code: str | None = None

    def open(self) -> bool:
        """At core's start: while the box is not provisioned, make (or keep) the setup code.
        True when setup is open."""
        data_dir = self.box.config.data_dir
        with self._lock:
            if is_provisioned(self.box.config, self.box.master):
                clear_code(data_dir)  # e.g. staff added at the console since the last start
                self._code = None
                return False
            self._code = issue_code(data_dir)
        log.info("this box is not set up yet: open /setup with the setup code (printed on "
                 "the setup slip; `tillbox setup-code` shows it)")
        return True

    @property
    def pending(self) -> bool:
        return self._code is not None

    def code_ok(self, code) -> bool:
        expected = self._code
        return expected is not None and isinstance(code, str) and \
            hmac.compare_digest(code.strip().encode("utf-8", "replace"), expected.encode())

    def complete(self, form: SetupForm, address: str = "-"):
        """Create the owner, write the overlay, close setup; the new owner. Refused (409)
        once the box is provisioned, so only the first of two racing attempts succeeds."""
        box = self.box
        with self._lock:
            if self._code is None or is_provisioned(box.config, box.master):
                self._code = None
                raise Conflict(_("this box is already set up: sign in with your PIN"))
            # The owner first: if the overlay then failed, the owner could still sign in and
            # fix it; the other way round would leave a provisioned box nobody can open.
            owner = box.master.staff.add(form.owner_name, "owner", form.pin)
            updates = {"shop": {"store_id": form.store_id}, "mqtt": {}}
            link = {"host": form.mqtt_host}
            if form.mqtt_host:
                link.update(port=form.mqtt_port, tls=form.mqtt_tls)
            for name, value in link.items():
                # Only what differs: a value from the config file stays the file's to change.
                if getattr(box.config.mqtt, name) != value:
                    updates["mqtt"][name] = value
            write_overlay(box.config.overlay_path, {k: v for k, v in updates.items() if v})
            apply_in_process(box.config, updates)
            clear_code(box.config.data_dir)
            self._code = None
        audit.info("setup done from %s: store=%s owner=%s (%s) head office=%s", address,
                   form.store_id, owner.id, owner.name,
                   f"{form.mqtt_host}:{form.mqtt_port} tls={form.mqtt_tls}"
                   if form.mqtt_host else "not linked")
        return owner


def apply_in_process(config, updates: dict[str, dict[str, Any]]) -> list[str]:
    """Give the running core the overlay values just written (a variable in the environment
    still wins, as at start). Core itself uses the store id and whether a head office is
    linked; uplinkd notices the file change itself (services/uplinkd.py). Returns the keys
    changed."""
    changed = []
    for section, keys in updates.items():
        for name, value in keys.items():
            key = f"{section}.{name}"
            if config.origins.get(key, "").startswith(ENV_PREFIX):
                continue
            setattr(getattr(config, section), name, value)
            config.origins[key] = str(config.overlay_path)
            changed.append(key)
    return changed
