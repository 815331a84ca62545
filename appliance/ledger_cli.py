"""``tillbox ledger verify`` and ``tillbox ledger export``: read-only, safe while selling."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import sys
import tempfile
from pathlib import Path

from .cli_files import open_input, open_output
from .errors import UsageError
from .ledger import open_readonly, verify
from .ledger.export import read_jsonl, write_csv, write_jsonl
from .ledger import schema
from .ledger.projections import replay
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
            mismatch = _compare_projections(conn, cfg)
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


def _compare_projections(conn, cfg) -> str | None:
    """The stored projections against a replay of the journal, table by table in SQL: the
    replay goes to a scratch file in the data directory (not memory, not a tmpfs /tmp), so a
    million-record shop is checked on a 1 GB Pi."""
    scratch = cfg.data_dir if os.access(cfg.data_dir, os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix=".verify-replay-", dir=scratch) as tmp:
        fresh_path = str(Path(tmp) / "replay.db")
        made = sqlite3.connect(fresh_path, isolation_level=None)
        schema.create_all(made)
        made.close()
        conn.execute("ATTACH DATABASE ? AS fresh", (fresh_path,))
        try:
            conn.execute("BEGIN")   # one read snapshot of the ledger for the replay and the check
            try:
                replay(iter_records(conn), fresh_path).close()
                for table in schema.PROJECTION_TABLES:
                    why = _differs(conn, table)
                    if why:
                        return why
            finally:
                conn.execute("COMMIT")
        finally:
            conn.execute("DETACH DATABASE fresh")
    return None


def _columns(conn, schema_name: str, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA {schema_name}.table_info({table})")]


def _differs(conn, table: str) -> str | None:
    """Why ``table`` differs from its replay, or None. Columns are compared by name (a column
    added by a migration sits last in an old ledger)."""
    stored, fresh = _columns(conn, "main", table), _columns(conn, "fresh", table)
    if sorted(stored) != sorted(fresh):
        return (f"table {table} has columns {', '.join(sorted(set(stored) ^ set(fresh)))} "
                "that a replay does not (or lacks them): run `tillbox migrate`")
    cols = ", ".join(f'"{c}"' for c in fresh)
    counts = conn.execute(f"SELECT (SELECT COUNT(*) FROM main.{table}),"
                          f" (SELECT COUNT(*) FROM fresh.{table})").fetchone()
    if counts[0] != counts[1] or conn.execute(
            f"SELECT 1 FROM (SELECT {cols} FROM main.{table} EXCEPT"
            f" SELECT {cols} FROM fresh.{table}) LIMIT 1").fetchone() is not None:
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
