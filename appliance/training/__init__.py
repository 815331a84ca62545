"""Training mode (培训模式, issue 9; docs/training.md).

A staff member's session switched into training gets a :class:`TrainingBox`: the same
services as the real :class:`appliance.box.Box` over a second ledger (data_dir/training.db,
device ``<device>-training``), which uplinkd never reads. The catalog, staff and settings are
the real ones, read-only; the product quiz writes to the training ledger too.
"""

from .stack import TRAINING_LEDGER, TrainingBox, TrainingRefused, training_device_id

__all__ = ["TRAINING_LEDGER", "TrainingBox", "TrainingRefused", "training_device_id"]
