"""Tables of returns and exchanges (issue 10 point 2; docs/returns.md)."""

#: Store credit given as a refund tender to a customer who is not a member: a credit note
#: with an unguessable code, spent later as a tender (``credit_note``).
SQL = """
CREATE TABLE IF NOT EXISTS credit_notes (
    code            TEXT PRIMARY KEY,
    amount          INTEGER NOT NULL CHECK (amount > 0),
    remaining       INTEGER NOT NULL CHECK (remaining >= 0),
    order_id        TEXT NOT NULL,           -- the order whose refund issued it
    refund_id       TEXT NOT NULL,
    issued_at       TEXT NOT NULL,
    issued_by       TEXT NOT NULL DEFAULT '',
    last_seq        INTEGER NOT NULL
);
"""

#: Tables equal to a replay of the journal.
TABLES = ("credit_notes",)
