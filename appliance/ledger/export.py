"""``tillbox ledger export``: the journal as JSONL (one record per line, verifiable) or CSV."""

from __future__ import annotations

import csv
import json
from typing import IO, Iterable, Iterator

from .records import FIELDS, Record, canonical_json

FORMATS = ("jsonl", "csv")


def write_jsonl(records: Iterable[Record], out: IO[str]) -> int:
    n = 0
    for rec in records:
        out.write(canonical_json(rec.to_dict()))
        out.write("\n")
        n += 1
    return n


def write_csv(records: Iterable[Record], out: IO[str]) -> int:
    """Flat CSV for spreadsheets; actor and data stay JSON in their columns."""
    w = csv.writer(out)
    w.writerow(FIELDS)
    n = 0
    for rec in records:
        w.writerow([rec.seq, rec.id, rec.ts, int(rec.clock_synced), rec.type,
                    canonical_json(rec.actor), canonical_json(rec.data), rec.prev_hash,
                    rec.hash])
        n += 1
    return n


def read_jsonl(lines: Iterable[str]) -> Iterator[Record]:
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if i == 1 and isinstance(obj, dict) and obj.get("kind") == "tillbox-device-journal":
                continue  # the header of head office's export-device file (appliance.replace)
            yield Record.from_dict(obj)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"line {i} is not a journal record: {exc}") from None
