"""``tillbox headoffice``: head office's ingest daemon (``run``), sales report (``report``) and
the customers' e-receipt pages (``web``, docs/ereceipt.md).

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
#: ``web``: the customers' e-receipt pages (docs/ereceipt.md); the form key comes only from
#: TILLBOX_HEADOFFICE_FORM_SECRET (same on every replica behind one address).
FORM_SECRET_ENV = ENV_PREFIX + "FORM_SECRET"
WEB_OPTIONS = {
    "db": RUN_OPTIONS["db"],
    "listen": ("--listen", "127.0.0.1:8090", "address:port to serve the pages on (put a "
               "TLS proxy in front of it)"),
    **{k: RUN_OPTIONS[k] for k in ("broker", "prefix", "tls_ca", "tls_cert", "tls_key",
                                   "username", "client_id")},
    "shop_name": ("--shop-name", None, "the name at the top of the pages' receipts"),
    "timezone": ("--timezone", "Asia/Shanghai", "the shops' time zone for the pages' times"),
    "threads": ("--threads", "8", "web worker threads"),
    "trusted_proxies": ("--trusted-proxies", "0", "how many proxies in front set "
                        "X-Forwarded-For (1 behind one TLS proxy): the per-address limits "
                        "then count customers, not the proxy"),
    "log_level": RUN_OPTIONS["log_level"],
}
#: ``send-history`` (issue 11): a device's journal to its replacement box over the broker.
SEND_OPTIONS = {
    "db": RUN_OPTIONS["db"],
    **{k: RUN_OPTIONS[k] for k in ("broker", "prefix", "tls_ca", "tls_cert", "tls_key",
                                   "username", "client_id")},
}


def _parser() -> _Parser:
    p = _Parser(prog=PROG, description="Head office: store every box's journal (run) and "
                "report sales per store and business day (report). Every option can also be "
                f"set as {ENV_PREFIX}<NAME>, e.g. {ENV_PREFIX}BROKER.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND",
                           parser_class=_Parser)
    run = sub.add_parser("run", help="the ingest daemon")
    report = sub.add_parser("report", help="print sales per store and business day")
    web = sub.add_parser("web", help="serve the customers' e-receipt pages")
    for parser, options in ((run, RUN_OPTIONS), (report, REPORT_OPTIONS), (web, WEB_OPTIONS)):
        for dest, (flag, default, text) in options.items():
            env = ENV_PREFIX + dest.upper()
            shown = f"; default {default}" if default else ""
            parser.add_argument(flag, dest=dest, default=None, metavar=dest.upper(),
                                help=f"{text} (env {env}{shown})")
    report.add_argument("--json", action="store_const", const="1", default=None,
                        help=f"print JSON instead of a table (env {ENV_PREFIX}JSON=1)")
    # issue 11: replacing a box (docs/replacing-a-box.md)
    exp = sub.add_parser("export-device", help="write one device's journal for `tillbox "
                         "ledger import` on a replacement box")
    exp.add_argument("--db", dest="db", default=None, metavar="DB",
                     help=f"{RUN_OPTIONS['db'][2]} (env {ENV_PREFIX}DB; default {DEFAULT_DB})")
    exp.add_argument("--store", required=True)
    exp.add_argument("--device", required=True)
    exp.add_argument("--out", metavar="FILE", help="default: STORE-DEVICE-journal.jsonl here")
    imp = sub.add_parser("import-device", help="store a dead box's records that never "
                         "arrived, from its journal export (`tillbox ledger export`)")
    imp.add_argument("--db", dest="db", default=None, metavar="DB",
                     help=f"{RUN_OPTIONS['db'][2]} (env {ENV_PREFIX}DB; default {DEFAULT_DB})")
    imp.add_argument("--store", required=True)
    imp.add_argument("--device", required=True)
    imp.add_argument("file", metavar="FILE.jsonl")
    snd = sub.add_parser("send-history", help="send one device's journal to its replacement "
                         "box over the broker (cmd/journal.restore)")
    for dest, (flag, default, text) in SEND_OPTIONS.items():
        shown = f"; default {default}" if default else ""
        snd.add_argument(flag, dest=dest, default=None, metavar=dest.upper(),
                         help=f"{text} (env {ENV_PREFIX}{dest.upper()}{shown})")
    snd.add_argument("--store", required=True)
    snd.add_argument("--device", required=True)
    snd.add_argument("--to", metavar="DEVICE", help="the replacement box's own device id, "
                     "when it still has the one its first boot gave it (it becomes --device)")
    snd.add_argument("--force", action="store_true", help="with --to: send even though the "
                     "old device's retained status says online (only when it is gone for "
                     "good and that status is stale)")
    snd.add_argument("--wait", type=float, default=60.0, metavar="SECONDS",
                     help="wait this long for the box's answer to the last part (0: do not "
                          "wait; default 60)")
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
        if args.command == "web":
            return _web(_Options(args, WEB_OPTIONS))
        if args.command == "import-device":
            return _import_device(_value(_Options(args, REPORT_OPTIONS), "db", _dsn), args)
        if args.command == "send-history":
            return _send_history(_Options(args, SEND_OPTIONS), args)
        if args.command == "export-device":
            return _export_device(_value(_Options(args, REPORT_OPTIONS), "db", _dsn), args)
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


def _export_device(dsn: str, args) -> int:
    from appliance.replace.headoffice_export import ExportRefused, export_device

    out = args.out or f"{args.store}-{args.device}-journal.jsonl"
    with open_store(dsn, create=False) as db:
        try:
            head = export_device(db, args.store, args.device, out)
        except ExportRefused as exc:
            raise UsageError(str(exc)) from None
        except db.db_errors as exc:
            raise StoreError(f"cannot read {db.name}: {str(exc).strip().splitlines()[0]}"
                             ) from None
    print(f"wrote {head['records']} records of {args.store}/{args.device} to {out}: head seq "
          f"{head['head_seq']} hash {head['head_hash']}")
    if head["holes_after"]:
        print(f"note: head office holds later records of this device after a hole (up to seq "
              f"{head['held_to']}); they are not in the file, and its header says so: "
              "`tillbox ledger import` refuses it without --allow-hole. A box rebuilt from it "
              "must go on under a new device id (`tillbox ledger relink`), or its new records "
              "would clash with those (docs/replacing-a-box.md)", file=sys.stderr)
    return 0


def _import_device(dsn: str, args) -> int:
    from appliance.clock import SystemClock, format_ts
    from appliance.replace.headoffice_export import import_device

    try:
        fh = open(args.file, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{args.file}: {exc.strerror}") from None
    with fh, open_store(dsn, create=False) as db:
        try:
            n = import_device(db, args.store, args.device, fh,
                              at=format_ts(SystemClock().now()))
        except ValueError as exc:
            raise UsageError(f"{args.file}: {exc}") from None
        except db.db_errors as exc:
            raise StoreError(f"cannot write {db.name}: {str(exc).strip().splitlines()[0]}"
                             ) from None
    # All or nothing: a record of another device, or one the ingest rejects, refuses the whole
    # file (ValueError above: exit 2, nothing stored).
    print(f"{args.store}/{args.device}: {n['stored']} records stored, {n['duplicate']} held "
          f"already; head office now holds seq 1 to {n['contiguous']} without a hole")
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


def _listen(text: str) -> tuple[str, int]:
    host, port = parse_broker(text, False)
    if ":" not in text.rsplit("]", 1)[-1]:
        raise ValueError(f"{text!r} is not address:port")
    return host, port


def _web(opts: _Options) -> int:
    """``tillbox headoffice web``: the e-receipt pages from head office's database, their
    forms relayed to the boxes as cmd/customer.request (appliance/headoffice/ereceipt.py)."""
    from waitress.server import create_server

    from appliance import logs
    from appliance.headoffice.ereceipt import Reader, Relay, Settings, create_app

    from .daemon import Daemon

    dsn = _value(opts, "db", _dsn)
    host, port = _value(opts, "listen", _listen)
    settings = ingest_settings(opts)
    threads = _value(opts, "threads", lambda t: _number(t, int, 1))
    proxies = _value(opts, "trusted_proxies", lambda t: _number(t, int, 0))
    timezone = _value(opts, "timezone", _timezone)
    shop_name = _value(opts, "shop_name", str) or ""
    level = _value(opts, "log_level", _log_level)
    db = open_store(dsn, create=False)   # before logging: a missing database is one line
    logs.setup(level, process="tillbox-headoffice-web",
               config_source=f"flags and {ENV_PREFIX}* variables")
    reader = Reader(db, settings=Settings({"shop.name": shop_name} if shop_name else None),
                    timezone_name=timezone)
    try:
        relay = Relay(settings)
    except (OSError, ValueError) as exc:
        db.close()
        raise UsageError(f"TLS set-up failed: {exc}") from None
    app = create_app(reader, relay, shop_name=shop_name,
                     form_secret=os.environ.get(FORM_SECRET_ENV, ""), trusted_proxies=proxies)
    server = create_server(app, host=host, port=port, threads=threads,
                           ident="tillbox-headoffice")
    daemon = Daemon("headoffice-web")
    daemon.install_signals()
    relay.start()
    import threading
    runner = threading.Thread(target=server.run, name="web", daemon=True)
    runner.start()
    daemon.ready(f"e-receipt pages on http://{host}:{server.effective_port}, {db.name}")
    log.info("e-receipt pages on http://%s:%s (broker %s)", host, server.effective_port,
             settings.broker)
    try:
        while not daemon.stop.wait(1.0):
            daemon.alive()
    finally:
        from waitress import wasyncore
        wasyncore.close_all(server._map, ignore_all=True)   # ends server.run()
        runner.join(5)
        server.task_dispatcher.shutdown(timeout=3)
        relay.close()
        db.close()
    return 0


def _timezone(text: str) -> str:
    from zoneinfo import ZoneInfo
    try:
        ZoneInfo(text)
    except (ValueError, KeyError, OSError):
        raise ValueError(f"{text!r} is not a time zone like Asia/Shanghai") from None
    return text


def _send_history(opts: _Options, args) -> int:
    """``send-history`` (issue 11; docs/replacing-a-box.md): one line; exit 0 when the box
    said all parts are here (or --wait 0 and every part was taken by the broker), 1 when it
    refused a part or did not answer in time (parts without an answer are sent once more
    first), 2 for bad input or a journal head office cannot send."""
    from appliance.replace.headoffice_export import ExportRefused
    from appliance.replace.send_history import SendError, send_history

    if args.wait < 0 or not math.isfinite(args.wait):
        raise UsageError("--wait must be 0 or more seconds")
    dsn = _value(opts, "db", _dsn)
    settings = ingest_settings(opts)
    with open_store(dsn, create=False) as db:
        try:
            sent = send_history(db, settings, args.store, args.device, to=args.to,
                                wait=args.wait, force=args.force)
        except ExportRefused as exc:
            raise UsageError(str(exc)) from None
        except SendError as exc:
            print(f"{PROG}: {args.store}/{args.device}: {exc}", file=sys.stderr)
            return 1
        except db.db_errors as exc:
            raise StoreError(f"cannot read {db.name}: {str(exc).strip().splitlines()[0]}"
                             ) from None
    to = f" to {args.to}" if args.to and args.to != args.device else ""
    what = (f"sent {sent['records']} records of {args.store}/{args.device}{to} in "
            f"{sent['parts']} parts (transfer {sent['transfer']}): head seq "
            f"{sent['head_seq']} hash {sent['head_hash']}")
    answer = sent["answer"]
    if args.wait == 0 or answer is None:
        print(f"{what}; not waiting for the box's answer")
        return 0
    print(f"{what}; the box: {answer[0]}: {answer[1]}")
    return 0 if answer[0] == "done" else 1
