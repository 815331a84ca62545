"""Tables of after-sales (售后) tickets and serial numbers (issue 10 point 3;
docs/aftersales.md)."""

SQL = """
CREATE TABLE IF NOT EXISTS tickets (
    id              TEXT PRIMARY KEY,
    number          TEXT NOT NULL UNIQUE,    -- shown to the customer, e.g. S20261127-0003
    kind            TEXT NOT NULL,           -- complaint | repair | warranty | return_request
    status          TEXT NOT NULL,           -- open | in_progress | resolved | closed
    order_id        TEXT,
    line_id         TEXT,
    serial          TEXT NOT NULL DEFAULT '',
    customer_name   TEXT NOT NULL DEFAULT '',   -- personal: dropped on erasure
    customer_phone  TEXT NOT NULL DEFAULT '',   -- personal: dropped on erasure
    member_id       TEXT,
    summary         TEXT NOT NULL DEFAULT '',
    source          TEXT NOT NULL DEFAULT 'counter',   -- counter | customer (e-receipt)
    opened_by       TEXT NOT NULL DEFAULT '',
    approved_by     TEXT,                    -- a manager who accepted an expired warranty
    opened_at       TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    last_seq        INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tickets_order ON tickets(order_id);
CREATE INDEX IF NOT EXISTS tickets_status ON tickets(status, updated_at);
CREATE TABLE IF NOT EXISTS ticket_events (
    seq             INTEGER PRIMARY KEY,
    ticket_id       TEXT NOT NULL,
    status          TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    staff           TEXT NOT NULL DEFAULT '',
    ts              TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ticket_events_ticket ON ticket_events(ticket_id, seq);
-- Serial numbers captured at the sale, one row per unit.
CREATE TABLE IF NOT EXISTS line_serials (
    order_id        TEXT NOT NULL,
    line_id         TEXT NOT NULL,
    serial          TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    PRIMARY KEY (order_id, line_id, serial)
);
CREATE INDEX IF NOT EXISTS line_serials_serial ON line_serials(serial);
"""

TABLES = ("tickets", "ticket_events", "line_serials")
