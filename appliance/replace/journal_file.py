"""The device journal file: what head office exports for a rebuild, what a box imports.

Line 1 is a header object (no ``seq``)::

    {"kind": "tillbox-device-journal", "format": 1, "store": "s-01", "device": "till-1",
     "first_seq": 1, "head_seq": 1234, "head_hash": "…", "exported_at": "…",
     "holes_after": false, "held_to": 1234}

then one record per line exactly as ``tillbox ledger export --format jsonl`` writes it, from
seq 1 to ``head_seq``. ``head_seq``/``head_hash`` let a reader tell a truncated file from a
whole one; ``tillbox ledger verify --file`` reads these files too (it skips the header).
``first_seq`` is above 1 when the device was linked from a predecessor: records below it are
the predecessor's (see docs/ledger.md, "A new device id"). ``holes_after`` is true when head
office holds later records of the device beyond a hole after ``head_seq`` (``held_to`` is
the highest): ``tillbox ledger import`` refuses such a file without ``--allow-hole``.
"""

from __future__ import annotations

import json
from typing import IO, Iterable, Iterator

from ..ledger.export import read_jsonl
from ..ledger.records import Record, canonical_json

KIND = "tillbox-device-journal"
FORMAT = 1


class JournalFileError(ValueError):
    """The file is not a whole, readable device journal file (the message says why)."""


def header(store: str, device: str, first_seq: int, head_seq: int, head_hash: str,
           exported_at: str, held_to: int | None = None) -> dict:
    held_to = head_seq if held_to is None else max(held_to, head_seq)
    return {"kind": KIND, "format": FORMAT, "store": store, "device": device,
            "first_seq": first_seq, "head_seq": head_seq, "head_hash": head_hash,
            "exported_at": exported_at, "holes_after": held_to > head_seq,
            "held_to": held_to}


def write(out: IO[str], head: dict, records: Iterable[Record]) -> int:
    out.write(canonical_json(head) + "\n")
    n = 0
    for rec in records:
        out.write(canonical_json(rec.to_dict()) + "\n")
        n += 1
    return n


def read_header(fh: IO[str]) -> dict:
    line = fh.readline()
    try:
        head = json.loads(line) if line.strip() else None
    except ValueError:
        head = None
    if not isinstance(head, dict) or head.get("kind") != KIND:
        raise JournalFileError("it does not start with a device journal header (write it "
                               "with `tillbox headoffice export-device`)")
    if head.get("format") != FORMAT:
        raise JournalFileError(f"its format {head.get('format')!r} is not {FORMAT} (a newer "
                               "tillbox wrote it)")
    for key, kind in (("store", str), ("device", str), ("head_hash", str),
                      ("head_seq", int), ("first_seq", int)):
        if not isinstance(head.get(key), kind) or isinstance(head.get(key), bool):
            raise JournalFileError(f"its header has no valid {key}")
    if head["head_seq"] < 1 or not 1 <= head["first_seq"] <= head["head_seq"]:
        raise JournalFileError("its header's seqs are impossible")
    if not isinstance(head.get("holes_after", False), bool):
        raise JournalFileError("its header has no valid holes_after")
    return head


def read_records(fh: IO[str]) -> Iterator[Record]:
    """The records after the header (``fh`` positioned after it)."""
    yield from read_jsonl(fh)
