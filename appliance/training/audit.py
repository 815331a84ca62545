"""Audit lines of training actions say so: the order engine logs a training sale exactly as
a real one ("sale order=... total=..."), and the audit log must not read like money moved.

Core sets :data:`training_actions` for a request of a session in training mode; a filter on
the ``audit`` logger prefixes what is logged meanwhile with ``training:``.
"""

from __future__ import annotations

import contextvars
import logging

training_actions: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "tillbox_training_actions", default=False)


class TrainingAuditFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if training_actions.get():
            record.msg = f"training: {record.msg}"
        return True


def install() -> None:
    """Once per process (importing this module does it)."""
    logger = logging.getLogger("audit")
    if not any(isinstance(f, TrainingAuditFilter) for f in logger.filters):
        logger.addFilter(TrainingAuditFilter())


install()
