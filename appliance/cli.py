"""The ``tillbox`` command.

Exit status: 0 done; 1 the thing checked is not sound (``ledger verify``); 2 bad input or
configuration, with a one-line reason on stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from . import __version__, config as configmod
from .errors import TillboxError, UsageError

log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tillbox", description="Tillbox point-of-sale appliance")
    p.add_argument("--config", metavar="PATH",
                   help="TOML configuration file (default: $TILLBOX_CONFIG, else "
                        "/etc/tillbox/tillbox.toml)")
    p.add_argument("--version", action="version", version=f"tillbox {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="development: start every daemon with simulated hardware")
    run.add_argument("--demo", action="store_true",
                     help="load the demo shop first if the data directory is empty")

    sub.add_parser("core", help="serve the web UI and /api/v1 (systemd: tillbox-core.service)")
    sub.add_parser("printerd", help="print receipts and open the drawer "
                   "(systemd: tillbox-printerd.service)")
    sub.add_parser("scannerd", help="read the barcode scanners (systemd: tillbox-scannerd.service)")
    sub.add_parser("uplinkd", help="send the journal to head office over MQTT "
                   "(systemd: tillbox-uplinkd.service)")
    sub.add_parser("notifyd", help="send customers' e-mail and text messages "
                   "(systemd: tillbox-notifyd.service)")
    ho = sub.add_parser("headoffice", help="head office's ingest and reports (runs at head "
                        "office, not on the box); `tillbox headoffice --help`", add_help=False)
    ho.add_argument("args", nargs=argparse.REMAINDER)
    sub.add_parser("simprinter", help="development: the simulated printer (printer.backend = "
                   "simulated)")
    scan = sub.add_parser("scan", help="development: type a code into the simulated scanner")
    scan.add_argument("code")

    cfg = sub.add_parser("config", help="configuration").add_subparsers(
        dest="action", required=True, metavar="ACTION")
    cfg.add_parser("check", help="validate and print the effective configuration as JSON")

    ledger = sub.add_parser("ledger", help="the sales ledger").add_subparsers(
        dest="action", required=True, metavar="ACTION")
    v = ledger.add_parser("verify", help="recompute the hash chain; exit 1 when broken")
    v.add_argument("--file", metavar="JSONL", help="verify an export instead of ledger.db")
    v.add_argument("--head", metavar="HASH", help="a head hash known from elsewhere (a Z "
                   "report, head office's ack, a backup label): detect a truncated tail")
    v.add_argument("--head-seq", metavar="SEQ", type=int, help="the seq of that head")
    v.add_argument("--projections", action="store_true",
                   help="also replay the journal and compare every projection table")
    v.add_argument("--json", action="store_true", help="print the result as JSON")
    e = ledger.add_parser("export", help="write the journal as CSV or JSONL")
    e.add_argument("--format", choices=("csv", "jsonl"), default="jsonl")
    e.add_argument("--output", "-o", metavar="FILE", help="file to write (default: stdout)")
    e.add_argument("--from-seq", type=int, default=1, metavar="SEQ")
    # issue 11: replacing a box (docs/replacing-a-box.md)
    im = ledger.add_parser("import", help="rebuild an EMPTY ledger from head office's journal "
                           "of this device (`tillbox headoffice export-device`)")
    im.add_argument("file", metavar="FILE.jsonl", nargs="?")
    im.add_argument("--take-ids", action="store_true", help="a new box: take the file's "
                    "store and device id (written to the setup overlay)")
    # issue 11: the journal head office sent over MQTT (appliance/replace/received.py)
    im.add_argument("--received", action="store_true", help="import the journal head "
                    "office sent over the link (`tillbox headoffice send-history`), checked "
                    "and ready (instead of FILE)")
    im.add_argument("--claim-request", action="store_true", help=argparse.SUPPRESS)
    im.add_argument("--mark-stopped", type=int, metavar="EXIT", help=argparse.SUPPRESS)
    im.add_argument("--service", action="store_true", help="with --received, as root "
                    "(tillbox-rebuild.service): stop the till, import as the data "
                    "directory's owner, start the till again")
    im.add_argument("--allow-hole", action="store_true", help="import a file that stops at "
                    "a hole in head office's copy (it holds later records): only to relink "
                    "right after (`tillbox ledger relink`)")
    rl = ledger.add_parser("relink", help="continue under a new device id, linked to the old "
                           "device's last record (box stopped)")
    rl.add_argument("--new-device", required=True, metavar="ID")
    rl.add_argument("--reason", default="", help="why (kept in the device.linked record)")
    rl.add_argument("--force", action="store_true", help="link even though uplinkd's cursor "
                    "is below the head (records head office may not hold: carry them first, "
                    "docs/replacing-a-box.md)")

    cat = sub.add_parser("catalog", help="products and categories").add_subparsers(
        dest="action", required=True, metavar="ACTION")
    ci = cat.add_parser("import", help="import products from CSV (all rows or nothing)")
    ci.add_argument("file", metavar="FILE.csv")
    ci.add_argument("--replace", action="store_true",
                    help="deactivate products that are not in the file")
    ce = cat.add_parser("export", help="export products to CSV")
    ce.add_argument("file", metavar="FILE.csv", nargs="?", help="default: stdout")

    staff = sub.add_parser("staff", help="staff and PINs").add_subparsers(
        dest="action", required=True, metavar="ACTION")
    staff.add_parser("list", help="list staff (never PINs)")
    sa = staff.add_parser("add", help="add a person; the PIN is read from stdin")
    sa.add_argument("--name", required=True)
    sa.add_argument("--role", required=True, choices=("assistant", "cashier", "manager", "owner"))

    bk = sub.add_parser("backup", help="write a backup of the ledger and master data "
                        "(default into <data>/backups, rotated); docs/backup.md")
    bk.add_argument("--to", metavar="DIR", help="write it into DIR instead (no rotation there)")
    bk.add_argument("--encrypt", action="store_true", help="encrypt with a passphrase (asked "
                    "on the terminal, else the first line of stdin; never an argument)")
    bk.add_argument("--list", action="store_true",
                    help="list the backups (in <data>/backups, or --to DIR) instead")
    bk.add_argument("--usb", nargs="?", const="", metavar="MOUNTPOINT",
                    help="copy the newest backup in <data>/backups to the USB stick mounted "
                         "under /media or /run/media (or at MOUNTPOINT), read it back and "
                         "sync: then it is safe to pull")
    bk.add_argument("--usb-device", metavar="DEVICE",
                    help="as root (tillbox-usb-backup@.service runs it when a stick goes in): "
                         "mount the stick DEVICE (/dev/sda1), copy the newest backup onto it "
                         "(made first when there are newer sales), verify, unmount; the "
                         "outcome goes to <data>/usb-backup.json and the status LED")
    bk.add_argument("--set-passphrase", action="store_true",
                    help="make a new backup key for the owner's passphrase (asked twice): "
                         "automatic backups are then encrypted, restoring needs the passphrase")
    bk.add_argument("--remove-passphrase", action="store_true",
                    help="stop encrypting automatic backups (backups made before still need "
                         "their passphrase)")
    rs = sub.add_parser("restore", help="check a backup, then replace the data directory with "
                        "it (stop tillbox.target first); docs/backup.md")
    rs.add_argument("file", metavar="FILE")
    rs.add_argument("--force", action="store_true", help="replace a newer ledger, or one of "
                    "another device (what is replaced is kept in <data>/backups/replaced-*)")
    rs.add_argument("--check", action="store_true", help="only check the backup (exit 1 when "
                    "it is not sound); change nothing")
    rs.add_argument("--new-device", metavar="ID", help="then go on under this new device id, "
                    "linked to the backup's last record (`tillbox ledger relink`; "
                    "docs/replacing-a-box.md)")
    rs.add_argument("--reason", default="", help="with --new-device: why (kept in the record)")

    mig = sub.add_parser("migrate", help="bring the data directory to this version's format "
                         "(the package runs it on upgrade; core at its start)")
    mig.add_argument("--from-version", default="", help="the package version upgraded from "
                     "(for the log)")
    demo = sub.add_parser("demo", help="demo shop data").add_subparsers(
        dest="action", required=True, metavar="ACTION")
    demo.add_parser("load", help="load the demo shop into an empty data directory")

    fb = sub.add_parser("firstboot", help="first boot: host name and device id from the board "
                        "serial (systemd: tillbox-firstboot.service); docs/setup.md")
    fb.add_argument("step", nargs="?", default="all",
                    choices=("all", "device-id", "hostname", "done"),
                    help="one step (the unit runs each with the least privilege it needs); "
                         "default all, as root")
    fb.add_argument("--root", metavar="DIR", default="/",
                    help="read the serial and write etc/hostname and etc/hosts under DIR "
                         "instead of / (an image being built, tests); no hostnamectl then")
    sub.add_parser("setup-code", help="print the code and address of the setup page while "
                   "the box is not set up (as root or the tillbox user)")
    return p


DAEMON_COMMANDS = ("core", "printerd", "scannerd", "uplinkd", "notifyd", "simprinter")


def _feed_simulated_scanner(cfg, code: str) -> int:
    from drivers.scanner.simulated import feed_fifo
    if cfg.scanner.backend != "simulated":
        raise UsageError("scanner.backend is not 'simulated': there is no simulated scanner")
    try:
        feed_fifo(cfg.sim_dir / "scanner.fifo", code)
    except OSError as exc:
        raise UsageError(f"the simulated scanner is not running (start scannerd): "
                         f"{exc.strerror or exc}") from None
    return 0


def _firstboot(args) -> int:
    """Before the configuration is loaded: the hostname step runs as root without
    capabilities and cannot read the data directory (firstboot.run loads it when needed)."""
    from pathlib import Path

    from . import firstboot
    logging.basicConfig(level="INFO", format="tillbox firstboot: %(message)s")

    def load_config():
        cfg = configmod.load(args.config, log_warnings=False)
        for warning in cfg.warnings:
            log.warning("%s", warning)
        return cfg
    firstboot.run(args.step, Path(args.root), load_config)
    return 0


def _print_setup_code(cfg) -> int:
    from . import provisioning
    try:
        code = provisioning.read_code(cfg.data_dir)
    except PermissionError:
        raise UsageError(f"{provisioning.code_path(cfg.data_dir)} is not readable by this "
                         "user: run `sudo tillbox setup-code`") from None
    if code is None:
        raise UsageError("there is no setup code: this box is set up already (sign in with "
                         "your PIN), or core has not started yet (systemctl start "
                         "tillbox-core)")
    from .box import public_url_for
    from services.tls import lan_addresses
    print(f"setup code: {code}")
    base = public_url_for(cfg, lan_addresses())
    if base:
        print(f"setup page: {base}/setup?code={code}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["headoffice"]:
        # Head office's own program with its own options (no box configuration).
        from services.headoffice import main as headoffice_main
        return headoffice_main(argv[1:])
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except (configmod.ConfigError, TillboxError) as exc:
        print(f"tillbox: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except OSError as exc:   # permission denied, a full disk, a stick pulled: one line too
        print(f"tillbox: {exc.strerror or exc}"
              + (f": {exc.filename}" if getattr(exc, "filename", None) else ""),
              file=sys.stderr)
        return 2


def _dispatch(args) -> int:
    from . import logs
    if args.command == "firstboot":
        return _firstboot(args)
    cfg = configmod.load(args.config, log_warnings=False)
    if args.command in DAEMON_COMMANDS:
        logs.setup(cfg.log.level, f"tillbox {args.command}", cfg.source)
    else:
        logging.basicConfig(level="WARNING", format="tillbox: %(message)s")
    for warning in cfg.warnings:
        log.warning("%s", warning)
    if args.command == "config":
        print(json.dumps(cfg.as_dict(), default=str, ensure_ascii=False, indent=2))
        return 0
    if args.command == "run":
        from services import runner
        return runner.run(cfg, args.config, demo=args.demo)
    if args.command in DAEMON_COMMANDS:
        import importlib
        importlib.import_module(f"services.{args.command}").serve(cfg)
        return 0
    if args.command == "scan":
        return _feed_simulated_scanner(cfg, args.code)
    if args.command == "setup-code":
        return _print_setup_code(cfg)
    if args.command == "migrate":
        from . import migrations
        for line in migrations.migrate(cfg):
            print(line)
        print(f"data in {cfg.data_dir} is format {migrations.DATA_FORMAT}"
              + (f" (upgraded from tillbox {args.from_version})" if args.from_version else ""))
        return 0
    if args.command == "backup":
        from .backup import cli as backup_cli
        return backup_cli.run_backup(cfg, args)
    if args.command == "restore":
        from .backup import cli as backup_cli
        if getattr(args, "new_device", None) is not None and args.check:
            raise UsageError("--check changes nothing: it takes no --new-device")
        status = backup_cli.run_restore(cfg, args)
        if status == 0 and getattr(args, "new_device", None) is not None:
            # issue 11: the restored setup.toml names the old device: read the config again
            from .replace.cli import relink_command
            return relink_command(configmod.load(args.config, log_warnings=False),
                                  args.new_device, args.reason)
        return status
    if args.command == "ledger":
        from . import ledger_cli
        return ledger_cli.run(cfg, args)
    if args.command in ("catalog", "staff", "demo"):
        from . import master_cli
        return master_cli.run(cfg, args)
    raise UsageError(f"unknown command {args.command}")  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
