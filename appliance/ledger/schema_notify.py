"""The notification outbox (issue 10 point 5; docs/notifications.md).

Operational, like print_jobs: a row is queued in the same transaction as the journal record
that causes it, then its state moves (sending, sent, failed, ...) without journal records, so
it is not compared with a replay and a projection rebuild keeps its rows.
"""

SQL = """
CREATE TABLE IF NOT EXISTS notifications (
    id              TEXT PRIMARY KEY,
    seq             INTEGER NOT NULL,        -- the journal record that caused it
    event           TEXT NOT NULL,           -- order_ready | order_shipped | aftersales | ...
    channel         TEXT NOT NULL,           -- email | sms | wechat
    route           TEXT NOT NULL,           -- smtp | modem | relay (head office)
    address         TEXT NOT NULL,           -- personal: dropped on erasure
    language        TEXT NOT NULL,
    member_id       TEXT,
    order_id        TEXT,
    ticket_id       TEXT,
    params          TEXT NOT NULL DEFAULT '{}',   -- JSON, no personal data
    state           TEXT NOT NULL DEFAULT 'queued',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_try        TEXT NOT NULL,
    lease_until     TEXT,
    last_error      TEXT NOT NULL DEFAULT '',
    provider_ref    TEXT NOT NULL DEFAULT '',
    delivery        TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX IF NOT EXISTS notifications_due ON notifications(state, next_try);
CREATE INDEX IF NOT EXISTS notifications_provider ON notifications(route, provider_ref);
"""

TABLES = ()
