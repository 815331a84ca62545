"""``tillbox headoffice``: head office's ingest daemon (``run``) and sales report (``report``).

Runs at head office, not on the box, so it reads no box configuration: every option is a
flag or an environment variable ``TILLBOX_HEADOFFICE_<NAME>`` (flags win). The broker
password comes only from ``TILLBOX_HEADOFFICE_PASSWORD``, never a flag (it would show in
``ps``), and is never logged. Exit status: 0 done, 1 the database cannot be used, 2 bad input
(one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import socket
import sys
import time

from appliance.headoffice.store import StoreError, open_store, parse_dsn

log = logging.getLogger(__name__)

PROG = "tillbox headoffice"
ENV_PREFIX = "TILLBOX_HEADOFFICE_"
PASSWORD_ENV = ENV_PREFIX + "PASSWORD"
DEFAULT_DB = "sqlite:///var/lib/tillbox-headoffice/headoffice.db"
STATUS_EVERY = 60.0   # seconds between progress lines in the log


class UsageError(Exception):
    """Bad input: one line on stderr, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not argparse's usage block
        raise UsageError(message)


#: dest -> (flag, built-in default, help). Each is also ENV_PREFIX + dest.upper().
RUN_OPTIONS = {
    "db": ("--db", DEFAULT_DB, "database: sqlite:///path/file.db or postgresql://user@host/db"),
    "broker": ("--broker", "localhost", "MQTT broker host:port (port 1883, or 8883 with TLS)"),
    "prefix": ("--prefix", "pos/v1", "topic prefix"),
    "tls_ca": ("--tls-ca", None, "CA certificate file of the broker (turns TLS on)"),
    "tls_cert": ("--tls-cert", None, "client certificate file (with --tls-key)"),
    "tls_key": ("--tls-key", None, "client key file"),
    "username": ("--username", None, f"broker user name (password: ${PASSWORD_ENV})"),
    "client_id": ("--client-id", None, "MQTT client id, unique per replica and kept across "
                  "restarts (default: tillbox-headoffice-HOSTNAME)"),
    "session_expiry": ("--session-expiry", "60", "seconds the broker keeps this replica's "
                       "session while it is away"),
    "resend_every": ("--resend-every", "10", "at most one resend command per device per "
                     "this many seconds"),
    "gap_grace": ("--gap-grace", "2", "seconds a hole in a device's records may stay "
                  "before a resend is asked"),
    "log_level": ("--log-level", "INFO", "DEBUG, INFO, WARNING or ERROR"),
}
REPORT_OPTIONS = {
    "db": RUN_OPTIONS["db"],
    "store": ("--store", None, "only this store"),
}


def _parser() -> _Parser:
    p = _Parser(prog=PROG, description="Head office: store every box's journal (run) and "
                "report sales per store and business day (report). Every option can also be "
                f"set as {ENV_PREFIX}<NAME>, e.g. {ENV_PREFIX}BROKER.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND",
                           parser_class=_Parser)
    run = sub.add_parser("run", help="the ingest daemon")
    report = sub.add_parser("report", help="print sales per store and business day")
    for parser, options in ((run, RUN_OPTIONS), (report, REPORT_OPTIONS)):
        for dest, (flag, default, text) in options.items():
            env = ENV_PREFIX + dest.upper()
            shown = f"; default {default}" if default else ""
            parser.add_argument(flag, dest=dest, default=None, metavar=dest.upper(),
                                help=f"{text} (env {env}{shown})")
    report.add_argument("--json", action="store_const", const="1", default=None,
                        help=f"print JSON instead of a table (env {ENV_PREFIX}JSON=1)")
    return p


class _Options:
    """Each option's value from the flag, else the environment, else the default, with
    where it came from (for error messages)."""

    def __init__(self, args, options: dict, env=os.environ):
        self.args, self.options, self.env = args, options, env

    def get(self, dest: str, default=None) -> tuple[str | None, str]:
        flag, builtin, _ = self.options.get(dest, (f"--{dest.replace('_', '-')}", default, ""))
        env = ENV_PREFIX + dest.upper()
        value = getattr(self.args, dest, None)
        if value is not None:
            return value, flag
        if self.env.get(env, "") != "":
            return self.env[env], env
        return builtin, flag


def parse_broker(text: str, tls: bool) -> tuple[str, int]:
    m = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\d+))?|([^:\[\]\s]+)(?::(\d+))?", text)
    if not m:
        raise ValueError(f"{text!r} is not host:port")
    host = m.group(1) or m.group(3)
    port_text = m.group(2) or m.group(4)
    port = int(port_text) if port_text else (8883 if tls else 1883)
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} is not between 1 and 65535")
    return host, port


def check_prefix(text: str) -> str:
    levels = text.split("/")
    if not text or any(not level for level in levels) or re.search(r"[+#\s]", text) \
            or text.startswith("$"):
        raise ValueError(f"{text!r} is not a topic prefix like pos/v1 (no wildcards, no "
                         "empty levels, no leading $)")
    return text


def _number(text: str, kind, low: float) -> float | int:
    try:
        value = kind(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    if value < low:
        raise ValueError(f"{text} is below {low}")
    return value


def _value(opts: _Options, dest: str, check):
    """An option through its check; UsageError names the flag or variable it came from."""
    value, source = opts.get(dest)
    if value is None:
        return None
    try:
        return check(value)
    except ValueError as exc:
        raise UsageError(f"{source}: {exc}") from None


def _existing_file(text: str) -> str:
    if not os.path.isfile(text):
        raise ValueError(f"file {text} does not exist")
    return text


def _dsn(text: str) -> str:
    parse_dsn(text)
    return text


def ingest_settings(opts: _Options):
    """IngestSettings from the options (UsageError for bad input)."""
    from appliance.headoffice.ingest import IngestSettings

    tls = {k: _value(opts, k, _existing_file) for k in ("tls_ca", "tls_cert", "tls_key")}
    if bool(tls["tls_cert"]) != bool(tls["tls_key"]):
        raise UsageError("--tls-cert and --tls-key go together: give both or neither")
    host, port = _value(opts, "broker", lambda t: parse_broker(t, any(tls.values())))
    client_id = _value(opts, "client_id", str) or f"tillbox-headoffice-{socket.gethostname()}"
    return IngestSettings(
        host=host, port=port, prefix=_value(opts, "prefix", check_prefix),
        client_id=client_id, username=_value(opts, "username", str) or None,
        password=os.environ.get(PASSWORD_ENV) or None,
        session_expiry=_value(opts, "session_expiry", lambda t: _number(t, int, 0)),
        resend_every=_value(opts, "resend_every", lambda t: _number(t, float, 0.01)),
        gap_grace=_value(opts, "gap_grace", lambda t: _number(t, float, 0)), **tls)


def _log_level(text: str) -> str:
    level = text.upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError(f"{text!r} is not DEBUG, INFO, WARNING or ERROR")
    return level


def _flag(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"{text!r} is not 1 or 0")


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
        if args.command == "run":
            opts = _Options(args, RUN_OPTIONS)
            settings = ingest_settings(opts)
            level = _value(opts, "log_level", _log_level)
            return _run(_value(opts, "db", _dsn), settings, level)
        opts = _Options(args, REPORT_OPTIONS)
        as_json = _value(opts, "json", _flag) or False
        return _report(_value(opts, "db", _dsn), _value(opts, "store", str), as_json)
    except UsageError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0
    except StoreError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0


def _report(dsn: str, store: str | None, as_json: bool) -> int:
    from appliance.headoffice.report import format_table, sales_by_day

    with open_store(dsn, create=False) as db:
        try:
            rows = sales_by_day(db, store)
        except db.db_errors as exc:
            raise StoreError(f"cannot read {db.name}: {str(exc).strip().splitlines()[0]}"
                             ) from None
    if as_json:
        print(json.dumps([r.to_json() for r in rows], ensure_ascii=False, indent=1))
    else:
        sys.stdout.write(format_table(rows))
    return 0


def _run(dsn: str, settings, level: str) -> int:
    from appliance import logs
    from appliance.headoffice.ingest import Ingest

    from .daemon import Daemon

    logs.setup(level, process="tillbox-headoffice",
               config_source=f"flags and {ENV_PREFIX}* variables")
    db = open_store(dsn)
    try:
        ingest = Ingest(db, settings)
    except (OSError, ValueError) as exc:  # TLS files that are not certificates or keys
        db.close()
        raise UsageError(f"TLS set-up failed: {exc}") from None
    daemon = Daemon("headoffice-ingest")
    daemon.install_signals()
    with db, ingest:
        ingest.start()
        daemon.ready(f"ingest {settings.client_id}: broker {settings.broker}, {db.name}")
        last_status = time.monotonic()
        while not daemon.stop.wait(1.0):
            if ingest.healthy():  # a stuck worker stops the pings: systemd restarts us
                daemon.alive()
            if time.monotonic() - last_status >= STATUS_EVERY:
                last_status = time.monotonic()
                daemon.status(ingest.stats_line())
                log.info("ingest %s: %s", settings.client_id, ingest.stats_line())
    log.info("ingest %s stopped: %s", settings.client_id, ingest.stats_line())
    return 0
