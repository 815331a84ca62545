"""Tables of what customers send from the e-receipt page (issue 10 point 1;
docs/ereceipt.md)."""

SQL = """
CREATE TABLE IF NOT EXISTS feedback (
    seq             INTEGER PRIMARY KEY,
    order_id        TEXT NOT NULL,
    rating          INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment         TEXT NOT NULL DEFAULT '',   -- may be personal: dropped on erasure
    source          TEXT NOT NULL DEFAULT 'box',   -- box | head_office
    ts              TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_order ON feedback(order_id);
"""

TABLES = ("feedback",)
