"""The head-office link's secrets and certificates as the settings page sets them (issue 11;
docs/settings.md, "Head office").

- **The broker password.** The secrets file (``paths.secrets``, /etc/tillbox/secrets.toml)
  is root:tillbox 0640 on the box: core can read it but not write it. A password set on the
  settings page is kept in ``<paths.data>/mqtt-password`` (0600, the service user's) and
  **wins** over ``mqtt.password`` in the secrets file; clearing it on the page falls back to
  the secrets file. It is never in the overlay, a journal record, a log line, a backup, or an
  answer to the browser (which sees only whether one is set, and where).
- **Certificates.** The CA, the client certificate and its key are uploaded as PEM text,
  checked with ``cryptography`` (they parse; the key is not encrypted; the key belongs to the
  certificate), stored under ``<paths.data>/mqtt-tls/`` (the key 0600), and their paths
  written to the setup overlay (mqtt.ca_file, mqtt.client_cert, mqtt.client_key).

Each change is one ``config.changed`` journal record {changes: {key: {from, to}}}, written
in the same transaction as the file (the file is put back when the record fails), that
names what changed and never a secret: the password's record says ``set``/``changed``; a
certificate's carries its path and SHA-256 fingerprint.

:func:`classify` turns a failed connection into one of a few kinds the page can explain
(dns, refused, unreachable, tls, auth, lost, other); uplinkd and the connection test use it.
"""

from __future__ import annotations

import logging
import socket
import ssl
from pathlib import Path
from typing import Any

from .config import ConfigError
from .durable import write_bytes
from .errors import ValidationError
from .i18n import _
from .orders.permissions import Actor, require
from .secrets_file import secret

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")

PASSWORD_FILE = "mqtt-password"
TLS_DIR = "mqtt-tls"
#: config key -> (file name under TLS_DIR, mode)
TLS_FILES = {"ca_file": ("ca.pem", 0o640), "client_cert": ("client.pem", 0o640),
             "client_key": ("client.key", 0o600)}
MAX_PASSWORD = 256
MAX_PEM = 64 * 1024
ERROR_KINDS = ("dns", "refused", "unreachable", "tls", "auth", "lost", "other")


# -- the password ---------------------------------------------------------------------------

def password_path(config) -> Path:
    return Path(config.paths.data) / PASSWORD_FILE


def broker_password(config) -> str:
    """The password uplinkd logs in with: the page's, else the secrets file's, else ""."""
    try:
        return password_path(config).read_text(encoding="utf-8")
    except FileNotFoundError:
        return secret(config.paths.secrets, "mqtt", "password")


def password_state(config) -> dict:
    """What the page may know: {"set": bool, "source": "page"|"secrets_file"|"none"}."""
    if password_path(config).exists():
        return {"set": True, "source": "page"}
    try:
        found = bool(secret(config.paths.secrets, "mqtt", "password"))
    except ConfigError as exc:
        log.warning("cannot read the broker password from the secrets file: %s", exc)
        return {"set": False, "source": "none", "problem": str(exc)}
    return {"set": found, "source": "secrets_file" if found else "none"}


def check_password(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValidationError(_("the password must be a non-empty string"), field="password")
    if len(value) > MAX_PASSWORD:
        raise ValidationError(_("the password may have at most {n} characters", n=MAX_PASSWORD),
                              field="password")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValidationError(_("the password must not contain control characters or line "
                                "breaks"), field="password")
    return value


def set_password(box, actor: Actor, password: str | None) -> dict:
    """Set (a string) or clear (None) the page's broker password; returns the record's
    changes ({} when there was nothing to clear)."""
    from . import config_changes

    require(actor, "settings.edit", what="changing settings")
    if password is not None:
        check_password(password)
    with config_changes.CHANGE_LOCK:    # the file as it was, read under the change's lock
        return _set_password(box, actor, password)


def _set_password(box, actor: Actor, password: str | None) -> dict:
    path = password_path(box.config)
    try:
        before = path.read_bytes()
    except FileNotFoundError:
        before = None
    if password is None and before is None:
        return {}
    was_set = password_state(box.config)["set"]
    change = {"mqtt.password": {"from": "set" if was_set else "not set",
                                "to": "changed" if password is not None else "cleared"}}
    touched = False
    try:
        with box.ledger.transaction() as tx:
            touched = True
            if password is None:
                path.unlink()
            else:
                write_bytes(path, password.encode("utf-8"), mode=0o600)
            tx.append("config.changed", actor.journal(box.ledger.device_id),
                      {"changes": change})
    except BaseException:
        if touched:
            _put_back(path, before, 0o600)
        raise
    audit.info("head-office broker password %s by=%s", change["mqtt.password"]["to"],
               actor.staff_id)
    return change


# -- certificates ---------------------------------------------------------------------------

def tls_dir(config) -> Path:
    return Path(config.paths.data) / TLS_DIR


def _pem_text(key: str, value: Any) -> bytes:
    if not isinstance(value, str):
        raise ValidationError(_("{name} must be PEM text", name=key), field=key)
    if len(value) > MAX_PEM:
        raise ValidationError(_("{name} is too large for a PEM file", name=key), field=key)
    return value.strip().encode("ascii", "replace") + b"\n"


def parse_certificates(key: str, data: bytes) -> list:
    from cryptography import x509
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        certs = []
    if not certs:
        raise ValidationError(_("{name} is not a PEM certificate (it should start with "
                                "-----BEGIN CERTIFICATE-----)", name=key), field=key)
    return certs


def parse_key(key: str, data: bytes):
    from cryptography.hazmat.primitives import serialization
    try:
        return serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise ValidationError(_("the key is protected by a passphrase: upload it without one "
                                "(openssl pkey -in key.pem -out plain.pem)"), field=key) from None
    except (ValueError, Exception):  # noqa: BLE001 - every unreadable key is the same answer
        raise ValidationError(_("{name} is not a PEM private key (it should start with "
                                "-----BEGIN PRIVATE KEY-----)", name=key), field=key) from None


def _public_der(public_key) -> bytes:
    from cryptography.hazmat.primitives import serialization
    return public_key.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)


def key_matches(cert, private_key) -> bool:
    return _public_der(cert.public_key()) == _public_der(private_key.public_key())


def fingerprint(cert) -> str:
    from cryptography.hazmat.primitives import hashes
    return cert.fingerprint(hashes.SHA256()).hex()


def _read(path: str) -> bytes | None:
    if not path:
        return None
    try:
        return Path(path).read_bytes()
    except OSError:
        return None


def describe_tls(config) -> dict:
    """Each certificate setting: its path and, when readable, subject, expiry, fingerprint."""
    out = {}
    for key in TLS_FILES:
        path = getattr(config.mqtt, key)
        entry: dict[str, Any] = {"path": path, "set": bool(path), "problem": ""}
        data = _read(path)
        if path and data is None:
            entry["problem"] = _("the file {path} cannot be read", path=path)
        elif data is not None and key != "client_key":
            try:
                cert = parse_certificates(key, data)[0]
            except ValidationError as exc:
                entry["problem"] = exc.message
            else:
                entry.update(subject=cert.subject.rfc4514_string(),
                             not_after=cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
                             sha256=fingerprint(cert))
        out[key] = entry
    return out


def store_tls(box, actor: Actor, values: Any) -> dict:
    """Upload (PEM text) or remove ("") the CA, client certificate and key; all or nothing.
    Returns the record's changes ({} when nothing changed)."""
    from . import config_changes

    require(actor, "settings.edit", what="changing settings")
    if not isinstance(values, dict) or not values:
        raise ValidationError(_("give at least one of ca_file, client_cert, client_key"))
    for key in values:
        if key not in TLS_FILES:
            raise ValidationError(_("there is no setting named {key}", key=repr(key)),
                                  field=str(key))
    # The configuration, the overlay and the files are read, checked and written under the
    # one lock of every configuration change (appliance/config_changes.py).
    with config_changes.CHANGE_LOCK:
        return _store_tls(box, actor, values)


def _store_tls(box, actor: Actor, values: dict) -> dict:
    from . import config_changes
    from .provisioning import write_overlay

    config = box.config
    for key in values:
        var = config_changes.locked_by(config, f"mqtt.{key}")
        if var:
            raise ValidationError(_("{key} is set by {var} in the environment of the box's "
                                    "services; change it there", key=f"mqtt.{key}", var=var),
                                  field=key)
    new: dict[str, bytes | None] = {k: (_pem_text(k, v) if v != "" else None)
                                    for k, v in values.items()}
    notes: dict[str, str] = {}
    if new.get("ca_file"):
        notes["ca_file"] = fingerprint(parse_certificates("ca_file", new["ca_file"])[0])
    cert = key_obj = None
    if "client_cert" in new:
        if new["client_cert"]:
            cert = parse_certificates("client_cert", new["client_cert"])[0]
            notes["client_cert"] = fingerprint(cert)
    else:
        current = _read(config.mqtt.client_cert)
        if current is not None:
            try:
                cert = parse_certificates("client_cert", current)[0]
            except ValidationError:
                cert = None
    if "client_key" in new:
        if new["client_key"]:
            key_obj = parse_key("client_key", new["client_key"])
    else:
        current = _read(config.mqtt.client_key)
        if current is not None:
            try:
                key_obj = parse_key("client_key", current)
            except ValidationError:
                key_obj = None
    if (cert is None) != (key_obj is None):
        field = "client_key" if cert is not None else "client_cert"
        raise ValidationError(_("a client certificate needs its private key, and a key its "
                                "certificate: upload both"), field=field)
    if cert is not None and not key_matches(cert, key_obj):
        raise ValidationError(_("the private key does not belong to the client certificate"),
                              field="client_key")

    directory = tls_dir(config)
    directory.mkdir(mode=0o750, exist_ok=True)
    overlay_path = config.overlay_path
    changes: dict[str, dict] = {}
    files: dict[Path, bytes | None] = {}       # what each file held before, to put back
    updates: dict[str, Any] = {}
    for key, data in new.items():
        name, _mode = TLS_FILES[key]
        target = directory / name
        old_path = getattr(config.mqtt, key)
        if data is None:
            if config.origins.get(f"mqtt.{key}") != str(overlay_path):
                continue    # not set by the page: nothing of the page's to remove
            # Removed from the overlay, not set to "": a file named in tillbox.toml applies
            # again ("to" is filled in with what applies after the write).
            updates[key] = None
            changes[f"mqtt.{key}"] = {"from": old_path, "to": ""}
        else:
            updates[key] = str(target)
            changes[f"mqtt.{key}"] = {"from": old_path, "to": str(target),
                                      **({"sha256": notes[key]} if key in notes else {})}
        files[target] = _read(str(target))
    if not changes:
        return {}
    overlay = overlay_path
    overlay_before = _read(str(overlay))
    touched = False
    try:
        with box.ledger.transaction() as tx:
            touched = True
            for key, data in new.items():
                name, mode = TLS_FILES[key]
                target = directory / name
                if f"mqtt.{key}" not in changes:
                    continue
                if data is None:
                    target.unlink(missing_ok=True)
                else:
                    write_bytes(target, data, mode=mode)
            write_overlay(overlay, {"mqtt": updates})
            removed = [k for k, v in updates.items() if v is None]
            if removed:
                after = config_changes.reload(config)
                for key in removed:
                    changes[f"mqtt.{key}"]["to"] = str(getattr(after.mqtt, key) or "")
            tx.append("config.changed", actor.journal(box.ledger.device_id),
                      {"changes": changes})
    except BaseException:
        if touched:
            log.error("certificate change not journalled: putting the old files back")
            for target, before in files.items():
                name = target.name
                mode = next(m for n, m in TLS_FILES.values() if n == name)
                _put_back(target, before, mode)
            _put_back(overlay, overlay_before, 0o640)
        raise
    box.config = config_changes.reload(config)
    audit.info("head-office certificates changed keys=%s by=%s", ",".join(sorted(changes)),
               actor.staff_id)
    return changes


def _put_back(path: Path, before: bytes | None, mode: int) -> None:
    if before is None:
        path.unlink(missing_ok=True)
    else:
        write_bytes(path, before, mode=mode)


# -- why a connection failed ----------------------------------------------------------------

def classify(exc: BaseException | None = None, reason=None, *, tls: bool = False) -> dict:
    """A failed connection as {"kind", "detail"}: ``exc`` from the socket or TLS layer while
    connecting (``tls``: with TLS on), or ``reason`` the broker's CONNACK/DISCONNECT reason
    code (paho ReasonCode)."""
    if reason is not None:
        value = getattr(reason, "value", reason)
        kind = "auth" if value in (0x86, 0x87, 4, 5) else "refused"
        return {"kind": kind, "detail": str(reason)}
    if isinstance(exc, socket.gaierror):
        return {"kind": "dns", "detail": str(exc)}
    if isinstance(exc, ssl.SSLCertVerificationError):
        return {"kind": "tls", "detail": getattr(exc, "verify_message", "") or str(exc)}
    if isinstance(exc, ssl.SSLError):
        return {"kind": "tls", "detail": getattr(exc, "reason", "") or str(exc)}
    if tls and isinstance(exc, (ConnectionResetError, ConnectionAbortedError, EOFError)):
        # A broker port without TLS drops a TLS greeting: the usual mix-up of 1883 and 8883.
        return {"kind": "tls", "detail": f"the broker closed the connection during the TLS "
                                         f"handshake (is this its TLS port?): {exc}"}
    if isinstance(exc, ConnectionRefusedError):
        return {"kind": "refused", "detail": str(exc)}
    if isinstance(exc, (TimeoutError, socket.timeout, OSError)) and \
            getattr(exc, "errno", None) in (None, 101, 110, 113) and \
            not isinstance(exc, (ConnectionResetError, FileNotFoundError, PermissionError)):
        return {"kind": "unreachable", "detail": str(exc) or "timed out"}
    return {"kind": "other", "detail": str(exc) if exc is not None else ""}


# -- "test connection": a background attempt whose result the page polls ---------------------

class ConnectionTest:
    """One connection attempt at a time, on its own thread (never in a web request): connect
    with the saved settings, wait for the broker's answer (``TIMEOUT`` s), disconnect. The
    result names the broker and the kind of failure, never the password."""

    TIMEOUT = 10.0

    def __init__(self):
        import threading
        self._lock = threading.Lock()
        self._result: dict = {"state": "idle"}
        self._thread = None

    def result(self) -> dict:
        with self._lock:
            return dict(self._result)

    def start(self, config) -> dict:
        import threading
        from .clock import format_ts
        from datetime import datetime, timezone
        m = config.mqtt
        if not m.host:
            raise ValidationError(_("set the broker's host first"), field="mqtt.host")
        with self._lock:
            if self._result.get("state") == "running":
                return dict(self._result)
            try:
                password = broker_password(config) if m.username else ""
            except ConfigError as exc:      # the secrets file is not readable
                raise ValidationError(str(exc), field="password") from None
            params = {"host": m.host, "port": m.port, "tls": m.tls, "ca_file": m.ca_file,
                      "client_cert": m.client_cert, "client_key": m.client_key,
                      "username": m.username, "password": password,
                      "client_id": f"tillbox-{config.shop.store_id}-{config.shop.device_id}"
                                   "-test"}
            self._result = {"state": "running", "broker": f"{m.host}:{m.port}",
                            "started_at": format_ts(datetime.now(timezone.utc))}
            self._thread = threading.Thread(target=self._run, args=(params,),
                                            name="headoffice-test", daemon=True)
            self._thread.start()
            return dict(self._result)

    def wait(self, timeout: float) -> dict:
        """For tests and the CLI: the result once the attempt has ended (or as it is)."""
        t = self._thread
        if t is not None:
            t.join(timeout)
        return self.result()

    def _run(self, p: dict) -> None:
        import threading
        from datetime import datetime, timezone

        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        from .clock import format_ts
        answered = threading.Event()
        got: dict = {}

        def on_connect(_c, _u, _f, rc, _p):
            got["rc"] = rc
            answered.set()

        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=p["client_id"],
                        protocol=mqtt.MQTTv5)
        c.on_connect = on_connect
        outcome: dict
        try:
            if p["tls"]:
                c.tls_set(ca_certs=p["ca_file"] or None, certfile=p["client_cert"] or None,
                          keyfile=p["client_key"] or None)
            if p["username"]:
                c.username_pw_set(p["username"], p["password"] or None)
            c.connect_timeout = self.TIMEOUT
            c.connect(p["host"], p["port"], keepalive=30)   # DNS, TCP and TLS happen here
            c.loop_start()
            if not answered.wait(self.TIMEOUT):
                outcome = {"kind": "unreachable",
                           "detail": f"no answer from the broker in {self.TIMEOUT:.0f} s"}
            elif got["rc"].is_failure:
                outcome = classify(reason=got["rc"])
            else:
                outcome = {}
        except (FileNotFoundError, PermissionError) as exc:
            outcome = {"kind": "tls", "detail": f"cannot load the certificates: {exc}"}
        except Exception as exc:  # noqa: BLE001 - every failure is an answer for the page
            try:
                outcome = classify(exc, tls=p["tls"])
            except Exception:  # noqa: BLE001 - never leave the page waiting on "running"
                outcome = {"kind": "other", "detail": type(exc).__name__}
        finally:
            try:
                c.disconnect()
                c.loop_stop()
            except Exception:  # noqa: BLE001
                pass
        result = {"state": "failed" if outcome else "ok", **outcome,
                  "broker": f"{p['host']}:{p['port']}",
                  "finished_at": format_ts(datetime.now(timezone.utc))}
        log.info("head-office connection test to %s: %s %s", result["broker"],
                 result["state"], outcome.get("kind", ""))
        with self._lock:
            self._result = {**self._result, **result}
