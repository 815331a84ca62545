"""``tillbox ledger verify``: recompute the whole chain and name the first broken record.

Works on any stream of records in stored order (the database, or an exported JSONL file), in
one pass with constant memory. Only when something is wrong does it look further (a second
pass) to tell which kind of damage it is:

* ``changed``   a record's content no longer matches its hash, or a record was rewritten
                and re-hashed so the next one no longer links to it;
* ``missing``   a seq is absent, or records were removed and the rest renumbered;
* ``inserted``  a record that is not part of the chain sits between two that are;
* ``reordered`` records are stored out of seq order, or time runs backwards;
* ``truncated`` the journal ends before a head (seq and hash) known from elsewhere: a Z
                report, head office's ack, a backup label.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from .records import GENESIS_HASH, Record, compute_hash


@dataclass
class VerifyResult:
    ok: bool
    checked: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    broken_seq: int | None = None
    reason: str | None = None
    detail: str = ""
    extra: dict = field(default_factory=dict)

    def line(self) -> str:
        if self.ok:
            return (f"ledger OK: {self.checked} records, head seq {self.head_seq} "
                    f"hash {self.head_hash}")
        return f"ledger BROKEN at seq {self.broken_seq}: {self.reason}: {self.detail}"

    def to_json(self) -> dict:
        return {"ok": self.ok, "checked": self.checked, "head_seq": self.head_seq,
                "head_hash": self.head_hash, "broken_seq": self.broken_seq,
                "reason": self.reason, "detail": self.detail}


def _hash_as(rec: Record, seq: int) -> str:
    """The hash the record would have under another seq (was it renumbered?)."""
    try:
        return compute_hash(seq, rec.id, rec.ts, rec.clock_synced, rec.type, rec.actor,
                            rec.data, rec.prev_hash)
    except ValueError:  # stored text that is not JSON any more
        return ""


def verify(records: Iterable[Record], *, expect_head: str | None = None,
           expect_seq: int | None = None,
           rescan: Callable[[], Iterator[Record]] | None = None) -> VerifyResult:
    """Check seq continuity, every hash and every link; optionally an externally known head.

    ``rescan`` gives a fresh iterator over the same records, used only to classify damage.
    """
    res = VerifyResult(ok=True)
    expected = 1
    prev_hash = GENESIS_HASH
    prev_ts = ""
    recent: deque[tuple[int, str]] = deque(maxlen=64)  # (seq, hash) of the last records
    found_head_at: int | None = None

    def fail(seq: int, reason: str, detail: str) -> VerifyResult:
        res.ok, res.broken_seq, res.reason, res.detail = False, seq, reason, detail
        return res

    def later(pred) -> Record | None:
        if rescan is None:
            return None
        for r in rescan():
            if pred(r):
                return r
        return None

    for rec in records:
        if rec.seq != expected:
            if rec.seq > expected:
                if later(lambda r: r.seq == expected) is not None:
                    return fail(expected, "reordered",
                                f"record {expected} is stored after record {rec.seq}")
                gap = (f"record {expected} is" if rec.seq == expected + 1
                       else f"records {expected} to {rec.seq - 1} are")
                return fail(expected, "missing", f"{gap} not in the journal")
            return fail(rec.seq, "reordered" if rec.seq < expected - 1 else "inserted",
                        f"a record with seq {rec.seq} appears again after seq {expected - 1}")
        actual = rec.recomputed_hash()
        if actual != rec.hash:
            if _hash_as(rec, rec.seq + 1) == rec.hash:
                return fail(rec.seq, "missing", f"a record before seq {rec.seq} was removed and"
                            " the later records renumbered")
            if rec.seq > 1 and _hash_as(rec, rec.seq - 1) == rec.hash:
                return fail(rec.seq - 1, "inserted", f"record {rec.seq - 1} is not part of the"
                            " chain: it was inserted and the later records renumbered")
            return fail(rec.seq, "changed", f"record {rec.seq} ({rec.type}) does not match its"
                        " hash: its content was altered after it was written")
        if rec.prev_hash != prev_hash:
            earlier = next((s for s, h in recent if h == rec.prev_hash), None)
            if earlier is not None:
                return fail(earlier + 1, "inserted",
                            f"record {rec.seq} links to record {earlier}: record(s) "
                            f"{earlier + 1}..{rec.seq - 1} are not part of the chain")
            ahead = later(lambda r: r.hash == rec.prev_hash and r.seq > rec.seq)
            if ahead is not None:
                return fail(rec.seq, "reordered", f"record {rec.seq} links to record "
                            f"{ahead.seq}, which comes after it")
            return fail(rec.seq - 1, "changed",
                        f"record {rec.seq - 1} was rewritten: record {rec.seq} links to "
                        f"hash {rec.prev_hash[:16]}…, which is not in the journal")
        if rec.ts < prev_ts:
            return fail(rec.seq, "reordered", f"record {rec.seq} is timed {rec.ts}, before "
                        f"record {rec.seq - 1} ({prev_ts})")
        if expect_head is not None and rec.hash == expect_head:
            found_head_at = rec.seq
        if expect_seq is not None and rec.seq == expect_seq and expect_head is not None \
                and rec.hash != expect_head:
            return fail(rec.seq, "changed", f"record {rec.seq} has hash {rec.hash[:16]}…, "
                        f"not the expected head {expect_head[:16]}…")
        recent.append((rec.seq, rec.hash))
        prev_hash, prev_ts = rec.hash, rec.ts
        res.checked += 1
        res.head_seq, res.head_hash = rec.seq, rec.hash
        expected += 1

    if expect_head is not None and found_head_at is None:
        where = f" (seq {expect_seq})" if expect_seq else ""
        return fail(res.head_seq + 1, "truncated",
                    f"the journal ends at seq {res.head_seq}, but the known head "
                    f"{expect_head[:16]}…{where} is not in it: records after seq "
                    f"{res.head_seq} were cut off")
    if expect_seq is not None and expect_head is None and res.head_seq < expect_seq:
        return fail(res.head_seq + 1, "truncated", f"the journal ends at seq {res.head_seq},"
                    f" before the known head seq {expect_seq}")
    return res
