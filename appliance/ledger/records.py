"""Journal records: canonical JSON and the hash chain (ARCHITECTURE section 3, a contract).

``hash`` = SHA-256 (hex) over the canonical JSON of the record without ``hash``: keys sorted,
no spaces, UTF-8, no NaN/float. The first record's ``prev_hash`` is :data:`GENESIS_HASH`.
"""

from __future__ import annotations

import hashlib
import json
import re
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


_FIELD_TYPES = {"seq": int, "id": str, "ts": str, "clock_synced": bool, "type": str,
                "actor": dict, "data": dict, "prev_hash": str, "hash": str}


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
        """From parsed JSON (an export file); ValueError names a field of the wrong type."""
        if not isinstance(d, dict):
            raise ValueError("a record must be a JSON object")
        for f, types in _FIELD_TYPES.items():
            if f not in d:
                raise ValueError(f"field {f} is missing")
            if not isinstance(d[f], types) or (types is int and isinstance(d[f], bool)):
                raise ValueError(f"field {f} has the wrong type")
        return cls(**{f: d[f] for f in FIELDS})

    @classmethod
    def from_row(cls, row) -> "Record":
        seq, id_, ts, synced, type_, actor, data, prev_hash, hash_ = row
        return cls(seq, id_, ts, bool(synced), type_, json.loads(actor), json.loads(data),
                   prev_hash, hash_)

    def recomputed_hash(self) -> str:
        return compute_hash(self.seq, self.id, self.ts, self.clock_synced, self.type,
                            self.actor, self.data, self.prev_hash)


_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_HEX64_RE = re.compile(r"^[0-9a-f]{64}$")
_TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
_TYPE_RE = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")
_SEPARATOR = '"clock_synced":'


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

    def _pinned(self) -> bool:
        """Whether the concatenation can be read back only one way.

        Text could otherwise be shifted between neighbouring fields without changing the
        hashed string. Between actor and data such a shift leaves the separator
        ``,"clock_synced":`` inside one of them; every field after ``data`` has a strict
        shape. A legitimate record that trips this check just takes the slow path.
        """
        if not (isinstance(self.seq, int) and isinstance(self.id, str)
                and isinstance(self.ts, str) and isinstance(self.type, str)
                and isinstance(self.prev_hash, str) and isinstance(self.actor_json, str)
                and isinstance(self.data_json, str)):
            return False
        if _SEPARATOR in self.actor_json or _SEPARATOR in self.data_json:
            return False
        return bool(_UUID_RE.match(self.id) and _HEX64_RE.match(self.prev_hash)
                    and _TS_RE.match(self.ts) and _TYPE_RE.match(self.type))

    def recomputed_hash(self) -> str:
        if not self._pinned():
            return self._slow_hash()
        # Keys in sorted order: actor, clock_synced, data, id, prev_hash, seq, ts, type.
        dumps = json.dumps
        text = (f'{{"actor":{self.actor_json},"clock_synced":'
                f'{"true" if self.clock_synced else "false"},"data":{self.data_json},'
                f'"id":{dumps(self.id, ensure_ascii=False)},"prev_hash":'
                f'{dumps(self.prev_hash)},"seq":{self.seq},"ts":{dumps(self.ts)},'
                f'"type":{dumps(self.type, ensure_ascii=False)}}}')
        fast = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return fast if fast == self.hash else self._slow_hash()

    def _slow_hash(self) -> str:
        try:
            return self.to_record().recomputed_hash()
        except (TypeError, ValueError):  # not even JSON any more: cannot match any hash
            return ""

    def to_record(self) -> Record:
        return Record(self.seq, self.id, self.ts, self.clock_synced, self.type, self.actor,
                      self.data, self.prev_hash, self.hash)
