"""``tillbox ledger verify`` and ``tillbox ledger export``: read-only, safe while selling."""

from __future__ import annotations

import json
import re
import sqlite3
import sys

from .cli_files import open_input, open_output
from .errors import UsageError
from .ledger import open_readonly, verify
from .ledger.export import read_jsonl, write_csv, write_jsonl
from .ledger.projections import replay, snapshot
from .ledger.store import iter_records


def run(cfg, args) -> int:
    if args.action == "verify":
        return _verify(cfg, args)
    if args.action in ("import", "relink"):  # issue 11: replacing a box
        from .replace import cli as replace_cli
        return replace_cli.run(cfg, args)
    return _export(cfg, args)


def _verify(cfg, args) -> int:
    if args.head is not None and not re.fullmatch(r"[0-9a-f]{64}", args.head):
        raise UsageError("--head must be a 64-character lowercase hex SHA-256 hash")
    if args.head_seq is not None and args.head_seq < 1:
        raise UsageError("--head-seq must be 1 or more")
    if args.file:
        open_input(args.file).close()  # a missing file is bad input, before any verifying

        def records():
            with open_input(args.file) as fh:
                yield from read_jsonl(fh)
        if args.projections:
            raise UsageError("--projections needs the database, not an export file")
        try:
            result = verify(records(), expect_head=args.head, expect_seq=args.head_seq,
                            rescan=records)
        except ValueError as exc:
            raise UsageError(f"{args.file}: {exc}") from None
    else:
        conn = _open(cfg)
        try:
            result = verify(iter_records(conn, stored=True), expect_head=args.head,
                            expect_seq=args.head_seq,
                            rescan=lambda: iter_records(conn, stored=True))
        except sqlite3.DatabaseError as exc:
            # The file itself is damaged: that is an unsound ledger, not bad input.
            print(f"ledger BROKEN: {cfg.ledger_path} cannot be read: {exc}")
            return 1
        if result.ok and args.projections:
            mismatch = _compare_projections(conn)
            if mismatch:
                result.ok, result.reason = False, "projections"
                result.broken_seq = None
                result.detail = mismatch
        conn.close()
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        print(result.line() if result.reason != "projections"
              else f"ledger BROKEN: projections: {result.detail}")
    return 0 if result.ok else 1


def _compare_projections(conn) -> str | None:
    conn.execute("BEGIN")
    try:
        stored = snapshot(conn)
        fresh = snapshot(replay(iter_records(conn)))
    finally:
        conn.execute("COMMIT")
    for table, rows in stored.items():
        if rows != fresh[table]:
            return f"table {table} differs from a replay of the journal"
    return None


def _open(cfg):
    path = cfg.ledger_path
    if not path.exists():
        raise UsageError(f"no ledger at {path} (check paths.data in the config)")
    return open_readonly(path)


def _export(cfg, args) -> int:
    conn = _open(cfg)
    writer = write_csv if args.format == "csv" else write_jsonl
    records = iter_records(conn, from_seq=args.from_seq)
    if args.output:
        with open_output(args.output) as out:
            n = writer(records, out)
        print(f"exported {n} records to {args.output}", file=sys.stderr)
    else:
        writer(records, sys.stdout)
    conn.close()
    return 0
