"""Journal records: canonical JSON and the hash chain (ARCHITECTURE section 3, a contract).

``hash`` = SHA-256 (hex) over the canonical JSON of the record without ``hash``: keys sorted,
no spaces, UTF-8, no NaN/float. The first record's ``prev_hash`` is :data:`GENESIS_HASH`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64
FIELDS = ("seq", "id", "ts", "clock_synced", "type", "actor", "data", "prev_hash", "hash")


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def reject_floats(obj: Any, path: str = "data") -> None:
    """Money and quantities are ints; a float in a record is a bug, refused at the door."""
    if isinstance(obj, float):
        raise TypeError(f"float at {path}: journal records hold no floats (money is int fen)")
    if isinstance(obj, dict):
        for k, v in obj.items():
            reject_floats(v, f"{path}.{k}")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            reject_floats(v, f"{path}[{i}]")


def compute_hash(seq: int, id: str, ts: str, clock_synced: bool, type: str, actor: Any,
                 data: Any, prev_hash: str) -> str:
    body = {"seq": seq, "id": id, "ts": ts, "clock_synced": bool(clock_synced), "type": type,
            "actor": actor, "data": data, "prev_hash": prev_hash}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Record:
    seq: int
    id: str
    ts: str
    clock_synced: bool
    type: str
    actor: dict
    data: dict
    prev_hash: str
    hash: str

    def to_dict(self) -> dict:
        return {f: getattr(self, f) for f in FIELDS}

    @classmethod
    def from_dict(cls, d: dict) -> "Record":
        return cls(**{f: d[f] for f in FIELDS})

    @classmethod
    def from_row(cls, row) -> "Record":
        seq, id_, ts, synced, type_, actor, data, prev_hash, hash_ = row
        return cls(seq, id_, ts, bool(synced), type_, json.loads(actor), json.loads(data),
                   prev_hash, hash_)

    def recomputed_hash(self) -> str:
        return compute_hash(self.seq, self.id, self.ts, self.clock_synced, self.type,
                            self.actor, self.data, self.prev_hash)


class StoredRecord:
    """A journal row as stored, for verifying a large journal quickly.

    ``actor`` and ``data`` are kept as the stored canonical JSON text, so the hash input can
    be assembled by concatenation instead of parsing and re-serialising every record. Only a
    row whose text is not canonical (edited by hand) takes the slow path, which decides by
    the parsed content exactly as :class:`Record` does.
    """

    __slots__ = ("seq", "id", "ts", "clock_synced", "type", "actor_json", "data_json",
                 "prev_hash", "hash")

    def __init__(self, row):
        (self.seq, self.id, self.ts, synced, self.type, self.actor_json, self.data_json,
         self.prev_hash, self.hash) = row
        self.clock_synced = bool(synced)

    @property
    def actor(self):
        return json.loads(self.actor_json)

    @property
    def data(self):
        return json.loads(self.data_json)

    def recomputed_hash(self) -> str:
        # Keys in sorted order: actor, clock_synced, data, id, prev_hash, seq, ts, type.
        dumps = json.dumps
        text = (f'{{"actor":{self.actor_json},"clock_synced":'
                f'{"true" if self.clock_synced else "false"},"data":{self.data_json},'
                f'"id":{dumps(self.id, ensure_ascii=False)},"prev_hash":'
                f'{dumps(self.prev_hash)},"seq":{self.seq},"ts":{dumps(self.ts)},'
                f'"type":{dumps(self.type, ensure_ascii=False)}}}')
        fast = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if fast == self.hash:
            return fast
        try:
            return self.to_record().recomputed_hash()
        except ValueError:  # not even JSON any more
            return fast

    def to_record(self) -> Record:
        return Record(self.seq, self.id, self.ts, self.clock_synced, self.type, self.actor,
                      self.data, self.prev_hash, self.hash)
