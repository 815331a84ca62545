"""printerd's one long poll serves two queues: the real box's and the training stack's.

Real jobs come first. While no training stack is open the real queue's own long poll runs, in
slices of 5 s (its own cadence of looking again), so a stack opened meanwhile is noticed;
once one is, a bell rung by either ledger's commits that queue paper wakes the poll. Jobs
queued without a journal record (report summaries: PrintQueue.add_report) ring no bell and
wait at most one slice of 1 s.
"""

from __future__ import annotations

import threading
import time
import weakref

SLICE = 1.0
SLICE_REAL_ONLY = 5.0

_bells: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_bells_lock = threading.Lock()


class Bell:
    """Rung after a commit that queued print jobs, on any of the ledgers it listens to."""

    def __init__(self):
        self._cond = threading.Condition()
        self.rings = 0
        self._heard: set[int] = set()

    def listen(self, ledger) -> None:
        with self._cond:
            if id(ledger) in self._heard:
                return
            self._heard.add(id(ledger))
        ledger.add_commit_listener(self._on_commit)

    def _on_commit(self, records) -> None:
        if any(r.data.get("print_jobs") for r in records):
            with self._cond:
                self.rings += 1
                self._cond.notify_all()

    def wait(self, since: int, timeout: float) -> None:
        """Until a ring after ``since`` (a value of :attr:`rings`) or ``timeout`` seconds."""
        with self._cond:
            self._cond.wait_for(lambda: self.rings != since, timeout)


def _bell(real, stack) -> Bell:
    with _bells_lock:
        bell = _bells.get(real.ledger)
        if bell is None:
            bell = _bells[real.ledger] = Bell()
    bell.listen(real.ledger)
    bell.listen(stack.ledger)
    return bell


def claim_next(real, training_stack, wait: float, kind: str | None = None):
    """``(box, job)``: the next job of the real box's queue, else of the training stack's
    (``training_stack()`` returns it, or None while training was never used); None when
    nothing came within ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while True:
        stack = training_stack()
        if stack is None:
            left = max(deadline - time.monotonic(), 0.0)
            job = real.printing.claim(min(left, SLICE_REAL_ONLY), kind)
            if job is not None:
                return real, job
        else:
            bell = _bell(real, stack)
            since = bell.rings
            for box in (real, stack):
                job = box.printing.claim(0, kind)
                if job is not None:
                    return box, job
            left = deadline - time.monotonic()
            if left > 0:
                bell.wait(since, min(left, SLICE))
        if time.monotonic() >= deadline:
            return None
