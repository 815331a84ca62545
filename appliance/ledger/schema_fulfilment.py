"""Tables of delivery and pick-up (issue 10 point 4; docs/delivery.md)."""

SQL = """
CREATE TABLE IF NOT EXISTS fulfilments (
    order_id        TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,           -- delivery | pickup
    status          TEXT NOT NULL,           -- see appliance/fulfilment
    carrier         TEXT NOT NULL DEFAULT '',
    tracking        TEXT NOT NULL DEFAULT '',
    recipient       TEXT NOT NULL DEFAULT '',   -- personal: dropped on erasure
    phone           TEXT NOT NULL DEFAULT '',   -- personal: dropped on erasure
    address         TEXT NOT NULL DEFAULT '',   -- personal: dropped on erasure
    note            TEXT NOT NULL DEFAULT '',
    source          TEXT NOT NULL DEFAULT 'counter',   -- counter | head_office
    external_ref    TEXT NOT NULL DEFAULT '',   -- head office's order reference
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    last_seq        INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS fulfilments_status ON fulfilments(status, updated_at);
CREATE TABLE IF NOT EXISTS fulfilment_events (
    seq             INTEGER PRIMARY KEY,
    order_id        TEXT NOT NULL,
    status          TEXT NOT NULL,
    carrier         TEXT NOT NULL DEFAULT '',
    tracking        TEXT NOT NULL DEFAULT '',
    note            TEXT NOT NULL DEFAULT '',
    staff           TEXT NOT NULL DEFAULT '',
    ts              TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS fulfilment_events_order ON fulfilment_events(order_id, seq);
"""

TABLES = ("fulfilments", "fulfilment_events")
