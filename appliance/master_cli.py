"""``tillbox catalog``, ``tillbox staff`` and ``tillbox demo``: master data from the shell.

Master data has a single writer (core); these commands write only when core is stopped or
before first start (image build, set-up). Read-only ones (export, list) are always safe.
"""

from __future__ import annotations

import sys

from .cli_files import open_input, open_output
from .errors import UsageError, ValidationError


def run(cfg, args) -> int:
    if args.command == "demo":
        from .box import Box
        from . import demo
        with Box(cfg) as box:
            pins = demo.load(box)
        print(demo.banner(pins))
        return 0
    from .master import MasterData
    with MasterData(cfg.master_dir) as master:
        if args.command == "catalog" and args.action == "import":
            from .master.csvio import import_catalog
            with open_input(args.file) as fh:
                result = import_catalog(master, fh, replace=args.replace)
            print(f"imported {result.products} products ({result.variants} variants), "
                  f"{result.categories_created} new categories")
            return 0
        if args.command == "catalog" and args.action == "export":
            from .master.csvio import export_catalog
            if args.file:
                with open_output(args.file, excel=True) as fh:
                    export_catalog(master, fh)
            else:
                export_catalog(master, sys.stdout)
            return 0
        if args.command == "staff" and args.action == "list":
            for s in master.staff.list(include_inactive=True):
                state = "" if s.active else "  (deactivated)"
                print(f"{s.id}\t{s.role}\t{s.name}{state}")
            return 0
        if args.command == "staff" and args.action == "add":
            pin = sys.stdin.readline().strip()
            if not pin:
                raise ValidationError("give the PIN on standard input (it is never a "
                                      "command-line argument, so it stays out of shell history)")
            s = master.staff.add(args.name, args.role, pin)
            print(f"added {s.role} {s.name} ({s.id})")
            return 0
    raise UsageError(f"unknown action {args.action}")  # pragma: no cover
