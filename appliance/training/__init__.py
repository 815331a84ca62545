"""Training mode (培训模式, issue 9; docs/training.md)."""
