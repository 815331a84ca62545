"""Configuration: one TOML file, typed, every key documented and overridable from the environment.

Lookup order for each key (later wins): built-in default, the TOML file, the setup overlay
(``<paths.data>/setup.toml``, only the keys in :data:`OVERLAY_KEYS`), then the variable
``TILLBOX_<SECTION>__<KEY>`` (so systemd ``EnvironmentFile=`` can set anything). The file is
named by ``--config``, else ``TILLBOX_CONFIG``, else ``/etc/tillbox/tillbox.toml`` when it
exists; with none, the defaults apply.

The overlay is what the box itself writes: its device id at first boot (appliance.firstboot)
and the store and head-office link from the setup page (appliance.provisioning). It lives in
the data directory because /etc/tillbox/tillbox.toml is a package conffile that the service
user may not write.

Unknown sections and keys are warned about by name and ignored (a typo must not silently
change behaviour, nor stop a shop from selling). A bad value stops start-up with one line that
names the key, where it came from and what is wrong: :class:`ConfigError`.

docs/configuration.md documents every key; a test keeps it in step with :data:`SCHEMA`.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

log = logging.getLogger(__name__)

DEFAULT_PATH = Path("/etc/tillbox/tillbox.toml")
ENV_PREFIX = "TILLBOX_"
OVERLAY_NAME = "setup.toml"
#: Printers, scanners and pins: what the settings page may change of them (issue 11;
#: appliance.config_changes), written to the setup overlay.
DEVICE_KEYS = {
    "printer": ("backend", "profile", "chinese", "usb_vendor", "usb_product", "serial_device",
                "serial_baudrate", "host", "port", "device", "timeout_ms"),
    "label_printer": ("backend", "usb_vendor", "usb_product", "host", "port", "width_mm",
                      "height_mm", "gap_mm"),
    "drawer": ("kick", "pin", "on_ms", "off_ms", "relay_pin", "relay_pulse_ms", "sensor",
               "sensor_pin", "open_when_high", "open_alert_seconds"),
    "scanner": ("backend", "devices", "keyboard_layout", "suffix", "serial_baudrate", "grab"),
    "gpio": ("backend", "status_led_pin", "buzzer_pin", "button_pin", "door_pin"),
}
#: The only keys the setup overlay may set; anything else in it is warned about and ignored.
OVERLAY_KEYS = {"shop": ("store_id", "device_id"),
                "mqtt": ("host", "port", "tls", "prefix", "username", "keepalive",
                         "ca_file", "client_cert", "client_key"),
                **DEVICE_KEYS}


class ConfigError(Exception):
    """A configuration value is unusable. ``str()`` is the one line to show."""


@dataclass(frozen=True)
class Key:
    type: str  # "str" | "int" | "bool" | "path" | "choice"
    default: Any
    doc: str
    choices: tuple = ()
    minimum: int | None = None
    maximum: int | None = None
    check: Callable[[Any], str | None] | None = None  # returns a complaint or None


def _id_check(value: str) -> str | None:
    # Store and device ids become MQTT topic levels: no wildcards, separators or spaces.
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", value):
        return "must be 1-64 letters, digits, '.', '_' or '-' (it is used in MQTT topics)"
    return None


def _prefix_check(value: str) -> str | None:
    if not value or value.startswith("/") or value.endswith("/") or re.search(r"[#+\s]", value):
        return "must be a topic prefix like 'pos/v1': no leading or trailing '/', no '#', '+' or spaces"
    return None


def _tz_check(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "America" is a directory
        return "is not a known time zone (use a name like 'Asia/Shanghai')"
    return None


def _scale_layout_check(value: str) -> str | None:
    from drivers.scanner.codes import parse_scale_layout
    try:
        parse_scale_layout(value)
    except ValueError as exc:
        return str(exc)
    return None


def _host_check(value: str) -> str | None:
    if re.search(r"\s", value):
        return "must not contain spaces"
    return None


SCHEMA: dict[str, dict[str, Key]] = {
    "paths": {
        "data": Key("path", "/var/lib/tillbox",
                    "Data directory: ledger.db, master data (master/), uplink cursor, certificates."),
        "secrets": Key("path", "/etc/tillbox/secrets.toml",
                       "Secrets file (broker password, keys), mode 0600, kept out of this file."),
    },
    "web": {
        "host": Key("str", "127.0.0.1", "Address core listens on; 0.0.0.0 to serve the shop Wi-Fi.",
                    check=_host_check),
        "port": Key("int", 8080, "TCP port core listens on.", minimum=1, maximum=65535),
        "threads": Key("int", 16, "Web server worker threads (each open SSE screen holds one).",
                       minimum=2, maximum=256),
        "session_idle_minutes": Key("int", 30, "Sign a person out after this long without a "
                                    "request from their screen.", minimum=1, maximum=24 * 60),
        "max_request_kb": Key("int", 256, "Largest request body accepted (413 above).",
                              minimum=16, maximum=65536),
        "https_port": Key("int", 0, "Serve HTTPS on this port with the box's own certificate "
                          "(0: HTTPS off). When on, plain HTTP only offers the CA certificate "
                          "and redirects everything else to HTTPS.", minimum=0, maximum=65535),
        "public_url": Key("str", "", "Address phones on the shop Wi-Fi use for the box, e.g. "
                          "http://192.168.1.20:8080 (the e-receipt QR on receipts links there). "
                          "Empty: the box's own address when web.host is 0.0.0.0, none (no QR) "
                          "when core listens on loopback only.",
                          check=lambda v: None if not v or re.fullmatch(r"https?://[^\s/]+/?", v)
                          else "must look like http://192.168.1.20:8080 (no path)"),
        "ereceipt_url": Key("str", "", "Head office's address for e-receipts, e.g. "
                            "https://receipts.example.com: receipts' QR codes link there, so "
                            "customers open them from anywhere (empty: the box's own "
                            "address, on the shop Wi-Fi only).",
                            check=lambda v: None if not v or re.fullmatch(r"https?://[^\s]+", v)
                            else "must look like https://receipts.example.com"),
        "tls_names": Key("str", "", "Extra host names or addresses for the HTTPS certificate, "
                         "comma separated (the box's own name and addresses are always in).",
                         check=lambda v: None if all(n.strip() and " " not in n.strip()
                                                     for n in v.split(",")) or not v
                         else "must be names or addresses separated by commas"),
    },
    "shop": {
        "store_id": Key("str", "demo-store", "Store id: the {store} level of the MQTT topics.",
                        check=_id_check),
        "device_id": Key("str", "till-1", "Device id: the {device} level of the MQTT topics and "
                         "the owner of this box's journal sequence.", check=_id_check),
        "timezone": Key("str", "Asia/Shanghai",
                        "Shop time zone: business days, order numbers and reports use it.",
                        check=_tz_check),
    },
    "mqtt": {
        "host": Key("str", "", "Head-office broker host name; empty while the box is not linked.",
                    check=_host_check),
        "port": Key("int", 8883, "Broker TCP port (8883 for MQTT over TLS).",
                    minimum=1, maximum=65535),
        "prefix": Key("str", "pos/v1", "Topic root; topics are {prefix}/{store}/{device}/...",
                      check=_prefix_check),
        "tls": Key("bool", True, "Connect with TLS (off only for a broker on the same machine "
                   "or in tests)."),
        "ca_file": Key("str", "", "CA certificate(s) that signed the broker's certificate "
                       "(empty: the system's CAs)."),
        "client_cert": Key("str", "", "This box's client certificate (PEM), when head office "
                           "identifies devices by certificate."),
        "client_key": Key("str", "", "The client certificate's private key (PEM, mode 0600)."),
        "username": Key("str", "", "Broker user name (the password is mqtt.password in the "
                        "secrets file)."),
        "keepalive": Key("int", 30, "MQTT keep-alive in seconds: how soon a dead link is noticed "
                         "and the Last Will published.", minimum=5, maximum=600),
        "window": Key("int", 100, "Journal records in flight (published, not yet PUBACKed).",
                      minimum=1, maximum=1000),
        "max_unacked": Key("int", 500, "Send at most this many records beyond head office's "
                           "ack: a long backlog then never overflows the broker's queue for a "
                           "slower ingest (mosquitto's max_queued_messages is 1000 by default).",
                           minimum=1, maximum=100000),
        "heartbeat_seconds": Key("int", 60, "Seconds between heartbeats on hb.",
                                 minimum=1, maximum=3600),
        "resend_after_seconds": Key("int", 120, "Resend from head office's ack when records "
                                    "were sent but the ack has not moved for this long.",
                                    minimum=5, maximum=86400),
    },
    "clock": {
        "sync_flag": Key("path", "/run/systemd/timesync/synchronized",
                         "File whose presence means the system clock is NTP-synchronised "
                         "(systemd-timesyncd creates it); journal records carry the result."),
        "assume_synced": Key("bool", False, "Treat the clock as synchronised without the flag "
                             "file (development machines whose NTP client is not timesyncd)."),
    },
    "printer": {
        "backend": Key("choice", "none", "Receipt printer connection: usb, serial, network (raw "
                       "port 9100), file (/dev/usb/lp*), simulated (the virtual printer on "
                       "loopback, for development) or none. Never chosen for you.",
                       choices=("none", "usb", "serial", "network", "file", "simulated")),
        "profile": Key("str", "default", "python-escpos printer profile (e.g. TM-T88V, "
                       "POS-5890): paper width, fonts and which commands the printer knows."),
        "chinese": Key("choice", "native", "How Chinese is printed: native (GB18030 text after "
                       "FS &), native-no-fs (GB18030 for printers that start in Chinese mode) or "
                       "raster (an image, for printers without a Chinese font).",
                       choices=("native", "native-no-fs", "raster")),
        "usb_vendor": Key("int", 0, "USB vendor id (usb backend), e.g. 0x0416.",
                          minimum=0, maximum=0xFFFF),
        "usb_product": Key("int", 0, "USB product id (usb backend), e.g. 0x5011.",
                           minimum=0, maximum=0xFFFF),
        "serial_device": Key("str", "/dev/ttyUSB0", "Serial port (serial backend); prefer a "
                             "stable /dev/serial/by-id/ path."),
        "serial_baudrate": Key("int", 9600, "Serial speed (serial backend).",
                               minimum=1200, maximum=921600),
        "host": Key("str", "127.0.0.1", "Printer address (network and simulated backends).",
                    check=_host_check),
        "port": Key("int", 9100, "Printer TCP port (network and simulated backends).",
                    minimum=1, maximum=65535),
        "device": Key("str", "/dev/usb/lp0", "Device file (file backend)."),
        "timeout_ms": Key("int", 3000, "How long to wait for the printer to answer a status "
                          "query or accept data before calling it unreachable.",
                          minimum=100, maximum=60000),
        "logo": Key("str", "", "Image printed at the top of each receipt (empty: none)."),
        "font": Key("str", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
                    "Font for raster printing (chinese = raster)."),
    },
    "label_printer": {
        "backend": Key("choice", "none", "Label printer for shelf and product labels: usb or "
                       "network (a TSPL label printer, raw port 9100), receipt (labels on the "
                       "receipt printer in ESC/POS), simulated (a virtual one that keeps what it "
                       "printed, for development) or none (label printing refused).",
                       choices=("none", "simulated", "receipt", "usb", "network")),
        "usb_vendor": Key("int", 0, "USB vendor id of the label printer (usb backend), e.g. "
                          "0x2d37.", minimum=0, maximum=0xFFFF),
        "usb_product": Key("int", 0, "USB product id of the label printer (usb backend).",
                           minimum=0, maximum=0xFFFF),
        "host": Key("str", "", "Label printer address (network backend).", check=_host_check),
        "port": Key("int", 9100, "Label printer TCP port (network backend).",
                    minimum=1, maximum=65535),
        "width_mm": Key("int", 40, "Label width in millimetres (TSPL SIZE).",
                        minimum=20, maximum=120),
        "height_mm": Key("int", 30, "Label height in millimetres (TSPL SIZE).",
                         minimum=10, maximum=200),
        "gap_mm": Key("int", 2, "Gap between labels on the roll in millimetres (TSPL GAP; 0 "
                      "for continuous paper).", minimum=0, maximum=20),
    },
    "drawer": {
        "kick": Key("choice", "printer", "How the cash drawer is opened: through the printer's "
                    "drawer port, a GPIO relay, or none.", choices=("printer", "gpio", "none")),
        "pin": Key("int", 2, "Printer drawer connector pin to pulse (2 or 5).",
                   check=lambda v: None if v in (2, 5) else "must be 2 or 5"),
        "on_ms": Key("int", 100, "Drawer kick pulse length.", minimum=2, maximum=510),
        "off_ms": Key("int", 200, "Pause after the pulse.", minimum=2, maximum=510),
        "relay_pin": Key("int", 0, "GPIO (BCM) pin of the drawer relay (kick = gpio).",
                         minimum=0, maximum=27),
        "relay_pulse_ms": Key("int", 200, "How long the relay is energised.",
                              minimum=20, maximum=2000),
        "sensor": Key("choice", "printer", "Where drawer open/closed comes from: the printer's "
                      "status (DLE EOT), a GPIO input, or none.",
                      choices=("printer", "gpio", "none")),
        "sensor_pin": Key("int", 0, "GPIO (BCM) pin of the drawer switch (sensor = gpio).",
                          minimum=0, maximum=27),
        "open_when_high": Key("bool", True, "The drawer switch reads high when the drawer is "
                              "open (false for switches wired the other way)."),
        "open_alert_seconds": Key("int", 60, "Warn the counter when the drawer stays open this "
                                  "long (0: never).", minimum=0, maximum=3600),
    },
    "scanner": {
        "backend": Key("choice", "none", "Barcode scanners: evdev (USB keyboard-wedge scanners), "
                       "serial, simulated (fed from a FIFO and the web UI) or none.",
                       choices=("none", "evdev", "serial", "simulated")),
        "devices": Key("str", "", "Comma-separated scanner devices: /dev/input/by-id/... paths "
                       "or device names (evdev), /dev/serial/by-id/... paths (serial)."),
        "keyboard_layout": Key("choice", "us", "Keyboard layout the scanner types in (evdev).",
                               choices=("us", "de")),
        "suffix": Key("choice", "enter", "Key the scanner sends after each code (evdev).",
                      choices=("enter", "tab", "none")),
        "serial_baudrate": Key("int", 9600, "Serial scanner speed.", minimum=1200,
                               maximum=921600),
        "grab": Key("bool", True, "Take the evdev device exclusively, so scans do not type "
                    "into the console."),
    },
    "barcodes": {
        "scale_prefixes": Key("str", "20,21,22,23,24,25,26,27,28,29",
                              "Comma-separated EAN-13 prefixes of weighing-scale labels "
                              "(a code in the catalog always wins).",
                              check=lambda v: None if re.fullmatch(r"(\d{1,3}(,\d{1,3})*)?", v)
                              else "must be digits separated by commas"),
        "scale_layout": Key("str", "FFIIIIIPPPPPC", "Scale label layout over its 13 digits: "
                            "F prefix, I item code, P price in fen or W weight in grams, C check.",
                            check=_scale_layout_check),
        "member_prefix": Key("str", "VIP", "Prefix of member card codes."),
    },
    "gpio": {
        "backend": Key("choice", "none", "GPIO pins: native (the Pi's), mock (simulated pins, "
                       "for development) or none.", choices=("none", "native", "mock")),
        "status_led_pin": Key("int", 0, "BCM pin of the status LED (0: none).",
                              minimum=0, maximum=27),
        "buzzer_pin": Key("int", 0, "BCM pin of the buzzer (0: none).", minimum=0, maximum=27),
        "button_pin": Key("int", 0, "BCM pin of the reprint-last-receipt button (0: none).",
                          minimum=0, maximum=27),
        "door_pin": Key("int", 0, "BCM pin of the door counter input (0: none).",
                        minimum=0, maximum=27),
    },
    "notify": {
        "email": Key("choice", "off", "E-mail to customers: smtp (through notify.smtp_host) or "
                     "off.", choices=("off", "smtp")),
        "sms": Key("choice", "off", "Text messages to customers: modem (the USB 4G modem, see "
                   "[modem]), relay (head office sends them, on the notify topic) or off.",
                   choices=("off", "modem", "relay")),
        "wechat": Key("choice", "off", "WeChat messages to customers: relay (head office sends "
                      "them, on the notify topic) or off.", choices=("off", "relay")),
        "smtp_host": Key("str", "", "Mail server host name (email = smtp).",
                         check=lambda v: None if not v or _host_check(v) is None
                         else _host_check(v)),
        "smtp_port": Key("int", 587, "Mail server port: 587 with STARTTLS, 465 with TLS from the "
                         "start.", minimum=1, maximum=65535),
        "smtp_tls": Key("choice", "starttls", "starttls (upgrade after connecting), tls (TLS "
                        "from the start, port 465) or none (only a relay on the same network).",
                        choices=("starttls", "tls", "none")),
        "smtp_username": Key("str", "", "Mail server user name (the password is "
                             "notify.smtp_password in the secrets file); empty: no login."),
        "smtp_from": Key("str", "", "Sender address of the shop's mail, e.g. "
                         "shop@example.com.",
                         check=lambda v: None if not v or re.fullmatch(r"[^@\s]+@[^@\s]+", v)
                         else "must be an e-mail address like shop@example.com"),
        "smtp_ca_file": Key("str", "", "CA certificate(s) for the mail server's certificate "
                            "(empty: the system's CAs)."),
        "timeout_seconds": Key("int", 20, "How long one send may take before it counts as "
                               "failed and is retried.", minimum=2, maximum=300),
        "max_attempts": Key("int", 8, "Attempts before a notification is given up (then shown "
                            "as failed in the back office).", minimum=1, maximum=50),
    },
    "modem": {
        "backend": Key("choice", "none", "USB 4G modem for text messages: serial (AT commands "
                       "over its serial port), simulated (a virtual modem on a pty, for "
                       "development) or none.", choices=("none", "serial", "simulated")),
        "device": Key("str", "/dev/ttyUSB2", "The modem's AT command port; prefer a stable "
                      "/dev/serial/by-id/ path."),
        "baudrate": Key("int", 115200, "Serial speed of the AT port.", minimum=1200,
                        maximum=921600),
        "mode": Key("choice", "auto", "SMS mode: auto (text mode for plain ASCII, PDU with UCS-2 "
                    "for Chinese), pdu (always) or text (ASCII only).",
                    choices=("auto", "pdu", "text")),
        "smsc": Key("str", "", "SMS centre number when the SIM does not carry one (e.g. "
                    "+8613800100500); empty: the SIM's."),
        "delivery_reports": Key("bool", True, "Ask the network for delivery reports."),
    },
    "log": {
        "level": Key("choice", "INFO", "Log level of the module loggers.",
                     choices=("DEBUG", "INFO", "WARNING", "ERROR")),
    },
    "backup": {
        "keep": Key("int", 14, "How many backups to keep in <paths.data>/backups (the timer "
                    "makes one a day; older ones are deleted after each new one).",
                    minimum=1, maximum=1000),
    },
}


class Section:
    """One config section; keys are attributes (``config.web.port``)."""

    def __init__(self, name: str, values: Mapping[str, Any]):
        self._name = name
        self.__dict__.update(values)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def __repr__(self) -> str:
        return f"Section({self._name}, {self.as_dict()})"


class Config:
    """The loaded configuration: ``config.<section>.<key>``, plus where it came from."""

    def __init__(self, values: dict[str, dict[str, Any]], source: Path | None,
                 warnings: list[str], origins: dict[str, str] | None = None):
        self.source = source
        self.warnings = warnings
        #: Where each key's value came from: "default", a file path, or a variable name.
        self.origins = origins or {}
        for section, keys in values.items():
            setattr(self, section, Section(section, keys))

    def as_dict(self) -> dict:
        return {s: getattr(self, s).as_dict() for s in SCHEMA}

    @property
    def data_dir(self) -> Path:
        return self.paths.data

    @property
    def overlay_path(self) -> Path:
        """The setup overlay: the device id from first boot, the store and broker from setup."""
        return self.paths.data / OVERLAY_NAME

    @property
    def ledger_path(self) -> Path:
        return self.paths.data / "ledger.db"

    @property
    def master_dir(self) -> Path:
        return self.paths.data / "master"

    @property
    def uplink_dir(self) -> Path:
        """uplinkd's own durable state: its cursor, session counter, commands seen."""
        return self.paths.data / "uplink"

    @property
    def sim_dir(self) -> Path:
        """State of the simulated devices (paper roll, faults, scanner FIFO)."""
        return self.paths.data / "sim"

    @property
    def core_url(self) -> str:
        """Where the daemons reach core: always loopback, plain HTTP."""
        # A wildcard address is reached on loopback (waitress binds "::" IPv6-only).
        host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(self.web.host,
                                                                         self.web.host)
        return f"http://{'[' + host + ']' if ':' in host else host}:{self.web.port}"


def _convert(section: str, name: str, key: Key, raw: Any, origin: str) -> Any:
    where = f"config {section}.{name} ({origin})"
    from_env = isinstance(raw, str) and origin.startswith("TILLBOX_")
    value: Any
    if key.type in ("str", "choice", "path"):
        if not isinstance(raw, str):
            raise ConfigError(f"{where}: must be a string, got {raw!r}")
        value = raw
        if key.type == "choice" and value not in key.choices:
            raise ConfigError(f"{where}: must be one of {', '.join(key.choices)}, got {raw!r}")
        if key.type == "path":
            if not value:
                raise ConfigError(f"{where}: must be a path, got an empty string")
            try:
                value = Path(value).expanduser()
            except RuntimeError:  # ~someone who does not exist
                raise ConfigError(f"{where}: cannot expand the home directory in {raw!r}") \
                    from None
    elif key.type == "int":
        if from_env:
            if not re.fullmatch(r"[+-]?\d+", raw.strip()):
                raise ConfigError(f"{where}: must be a whole number, got {raw!r}")
            value = int(raw)
        elif isinstance(raw, bool) or not isinstance(raw, int):
            raise ConfigError(f"{where}: must be a whole number, got {raw!r}")
        else:
            value = raw
        if key.minimum is not None and value < key.minimum or \
                key.maximum is not None and value > key.maximum:
            raise ConfigError(f"{where}: must be from {key.minimum} to {key.maximum}, got {value}")
    elif key.type == "bool":
        if from_env:
            low = raw.strip().lower()
            if low not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ConfigError(f"{where}: must be true or false, got {raw!r}")
            value = low in ("1", "true", "yes", "on")
        elif not isinstance(raw, bool):
            raise ConfigError(f"{where}: must be true or false, got {raw!r}")
        else:
            value = raw
    else:  # pragma: no cover - schema typo
        raise AssertionError(key.type)
    if key.check:
        complaint = key.check(value if not isinstance(value, Path) else str(value))
        if complaint:
            raise ConfigError(f"{where}: {complaint}, got {raw!r}")
    return value


def resolve_path(explicit: str | os.PathLike | None, environ: Mapping[str, str]) -> Path | None:
    """Which file to read: --config, else TILLBOX_CONFIG, else the default if it exists."""
    if explicit:
        return Path(explicit)
    if environ.get("TILLBOX_CONFIG"):
        return Path(environ["TILLBOX_CONFIG"])
    return DEFAULT_PATH if DEFAULT_PATH.exists() else None


def load(path: str | os.PathLike | None = None,
         environ: Mapping[str, str] | None = None, *, log_warnings: bool = True) -> Config:
    """Load and validate the configuration; raises :class:`ConfigError` on a bad value.

    Warnings (unknown keys) are logged here unless the caller logs ``config.warnings``
    itself once its logging is set up.
    """
    environ = os.environ if environ is None else environ
    source = resolve_path(path, environ)
    file_values: dict[str, Any] = {}
    if source is not None:
        try:
            with open(source, "rb") as fh:
                file_values = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError(f"config file {source} does not exist") from None
        except PermissionError:
            raise ConfigError(f"config file {source} is not readable by this user") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {source} is not valid TOML: {exc}") from None

    warnings: list[str] = []
    for section, keys in file_values.items():
        if section not in SCHEMA:
            warnings.append(f"unknown config section [{section}] in {source} (ignored)")
            continue
        if not isinstance(keys, dict):
            raise ConfigError(f"config {section} ({source}): must be a [{section}] table")
        for name in keys:
            if name not in SCHEMA[section]:
                warnings.append(f"unknown config key {section}.{name} in {source} (ignored)")
    for var in environ:
        if var.startswith(ENV_PREFIX) and "__" in var:
            section, _, name = var[len(ENV_PREFIX):].lower().partition("__")
            if section not in SCHEMA or name not in SCHEMA[section]:
                warnings.append(f"unknown config variable {var} (ignored)")

    values: dict[str, dict[str, Any]] = {}
    origins: dict[str, str] = {}
    for section, keys in SCHEMA.items():
        values[section] = {}
        for name, key in keys.items():
            env_var = f"{ENV_PREFIX}{section.upper()}__{name.upper()}"
            if env_var in environ:
                raw, origin = environ[env_var], env_var
            elif name in file_values.get(section, {}):
                raw, origin = file_values[section][name], str(source)
            else:
                values[section][name] = Path(key.default) if key.type == "path" else key.default
                origins[f"{section}.{name}"] = "default"
                continue
            values[section][name] = _convert(section, name, key, raw, origin)
            origins[f"{section}.{name}"] = origin

    # Relative paths in a file are relative to that file, so a config is movable.
    base = source.parent if source is not None else Path.cwd()
    for name, key in SCHEMA["paths"].items():
        p = values["paths"][name]
        if not p.is_absolute():
            values["paths"][name] = (base / p).resolve()

    _apply_overlay(values, origins, warnings, values["paths"]["data"] / OVERLAY_NAME)

    if log_warnings:
        for w in warnings:
            log.warning("%s", w)
    return Config(values, source, warnings, origins)


def read_overlay(path: Path) -> dict:
    """The setup overlay's tables as written (no checks); {} when there is none yet."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except PermissionError:
        raise ConfigError(f"setup overlay {path} is not readable by this user: run the "
                          "command as the tillbox user or root") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"setup overlay {path} is not valid TOML: {exc}; fix it or remove "
                          "it (the setup page and first boot write it)") from None


def _apply_overlay(values: dict, origins: dict, warnings: list[str], path: Path) -> None:
    """Overlay keys win over the main file; a variable in the environment still wins."""
    overlay = read_overlay(path)
    for section, keys in overlay.items():
        if not isinstance(keys, dict):
            warnings.append(f"setup overlay {path}: [{section}] is not a table (ignored)")
            continue
        for name, raw in keys.items():
            if name not in OVERLAY_KEYS.get(section, ()):
                warnings.append(f"setup overlay {path}: {section}.{name} may not be set "
                                "there (ignored; set it in the config file)")
                continue
            origin = origins[f"{section}.{name}"]
            if origin.startswith(ENV_PREFIX):
                continue
            values[section][name] = _convert(section, name, SCHEMA[section][name], raw,
                                              str(path))
            origins[f"{section}.{name}"] = str(path)
