"""ledger.db schema: the journal (append-only, enforced by triggers) and its projections.

Projections are only ever written by :mod:`appliance.ledger.projections` while applying a
journal record, in the same transaction as the record: so they always equal a replay.
"""

SCHEMA_VERSION = 1

JOURNAL = """
CREATE TABLE IF NOT EXISTS journal (
    seq          INTEGER PRIMARY KEY,   -- gap-free from 1 (trigger below)
    id           TEXT NOT NULL,         -- UUID; not UNIQUE on purpose: a UNIQUE key would let
                                        -- INSERT OR REPLACE delete a row without any trigger
    ts           TEXT NOT NULL,
    clock_synced INTEGER NOT NULL,
    type         TEXT NOT NULL,
    actor        TEXT NOT NULL,
    data         TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS journal_no_update BEFORE UPDATE ON journal
BEGIN SELECT RAISE(ABORT, 'journal is append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS journal_no_delete BEFORE DELETE ON journal
BEGIN SELECT RAISE(ABORT, 'journal is append-only: DELETE refused'); END;
CREATE TRIGGER IF NOT EXISTS journal_seq_next BEFORE INSERT ON journal
WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) + 1 FROM journal)
BEGIN SELECT RAISE(ABORT, 'journal seq must be the next number (gap-free)'); END;
CREATE TRIGGER IF NOT EXISTS journal_chain BEFORE INSERT ON journal
WHEN NEW.prev_hash IS NOT COALESCE((SELECT hash FROM journal ORDER BY seq DESC LIMIT 1),
                                    '0000000000000000000000000000000000000000000000000000000000000000')
BEGIN SELECT RAISE(ABORT, 'journal prev_hash must be the hash of the last record'); END;
CREATE TRIGGER IF NOT EXISTS journal_ts_forward BEFORE INSERT ON journal
WHEN NEW.ts < (SELECT ts FROM journal ORDER BY seq DESC LIMIT 1)
BEGIN SELECT RAISE(ABORT, 'journal ts must not go backwards'); END;
-- The audit page and the reports read records of a few types out of millions.
CREATE INDEX IF NOT EXISTS journal_type ON journal(type);
"""

META = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

PROJECTIONS = """
CREATE TABLE IF NOT EXISTS orders (
    id              TEXT PRIMARY KEY,
    number          TEXT NOT NULL UNIQUE,
    business_day    TEXT NOT NULL,
    status          TEXT NOT NULL,          -- open | parked | paid | cancelled
    version         INTEGER NOT NULL,
    terminal        TEXT NOT NULL,
    opened_by       TEXT NOT NULL,
    opened_at       TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    customer_name   TEXT NOT NULL DEFAULT '',
    customer_phone  TEXT NOT NULL DEFAULT '',
    note            TEXT NOT NULL DEFAULT '',
    subtotal        INTEGER NOT NULL DEFAULT 0,
    discount        INTEGER NOT NULL DEFAULT 0,
    rounding        INTEGER NOT NULL DEFAULT 0,
    total           INTEGER,                -- frozen at the first payment
    adjustments     TEXT NOT NULL DEFAULT '[]',
    paid            INTEGER NOT NULL DEFAULT 0,
    change_given    INTEGER NOT NULL DEFAULT 0,
    refunded        INTEGER NOT NULL DEFAULT 0,
    receipt_no      INTEGER UNIQUE,
    completed_at    TEXT,
    completed_by    TEXT,
    cancel_reason   TEXT,
    last_seq        INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_status ON orders(status, updated_at);
CREATE INDEX IF NOT EXISTS orders_day ON orders(business_day);
CREATE INDEX IF NOT EXISTS orders_completed ON orders(completed_at);

CREATE TABLE IF NOT EXISTS order_lines (
    order_id        TEXT NOT NULL REFERENCES orders(id),
    line_id         TEXT NOT NULL,
    pos             INTEGER NOT NULL,
    product_id      TEXT NOT NULL,
    variant_id      TEXT NOT NULL DEFAULT '',
    sku             TEXT NOT NULL DEFAULT '',
    barcode         TEXT NOT NULL DEFAULT '',
    name            TEXT NOT NULL,
    spec            TEXT NOT NULL DEFAULT '',
    unit            TEXT NOT NULL DEFAULT '',
    qty             INTEGER NOT NULL,
    list_price      INTEGER NOT NULL,
    unit_price      INTEGER NOT NULL,
    cost            INTEGER NOT NULL DEFAULT 0,
    override_by     TEXT,
    stock_tracked   INTEGER NOT NULL,
    amount          INTEGER NOT NULL,       -- unit_price x qty
    discount        INTEGER NOT NULL DEFAULT 0,
    net             INTEGER,                -- what the customer pays for it (frozen at payment)
    refunded_qty    INTEGER NOT NULL DEFAULT 0,
    refunded_amount INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (order_id, line_id)
);

CREATE TABLE IF NOT EXISTS payments (
    id              TEXT PRIMARY KEY,
    order_id        TEXT NOT NULL REFERENCES orders(id),
    method          TEXT NOT NULL,
    amount          INTEGER NOT NULL,       -- applied to the order
    tendered        INTEGER NOT NULL,       -- handed over (cash: may exceed amount)
    change          INTEGER NOT NULL,
    reference       TEXT NOT NULL DEFAULT '',
    idempotency_key TEXT,
    taken_by        TEXT NOT NULL,
    taken_at        TEXT NOT NULL,
    voided          INTEGER NOT NULL DEFAULT 0,
    void_reason     TEXT,
    seq             INTEGER NOT NULL,
    UNIQUE (order_id, idempotency_key)
);

CREATE TABLE IF NOT EXISTS refunds (
    id              TEXT PRIMARY KEY,
    order_id        TEXT NOT NULL REFERENCES orders(id),
    amount          INTEGER NOT NULL,
    reason          TEXT NOT NULL,
    refunded_by     TEXT NOT NULL,
    approved_by     TEXT,
    refunded_at     TEXT NOT NULL,
    seq             INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS refund_lines (
    refund_id       TEXT NOT NULL REFERENCES refunds(id),
    line_id         TEXT NOT NULL,
    qty             INTEGER NOT NULL,
    amount          INTEGER NOT NULL,
    restock         INTEGER NOT NULL,
    PRIMARY KEY (refund_id, line_id)
);
CREATE TABLE IF NOT EXISTS refund_tenders (
    refund_id       TEXT NOT NULL REFERENCES refunds(id),
    pos             INTEGER NOT NULL,
    method          TEXT NOT NULL,
    amount          INTEGER NOT NULL,
    reference       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (refund_id, pos)
);

CREATE TABLE IF NOT EXISTS stock_levels (
    product_id      TEXT NOT NULL,
    variant_id      TEXT NOT NULL DEFAULT '',
    qty             INTEGER NOT NULL,
    last_seq        INTEGER NOT NULL,
    PRIMARY KEY (product_id, variant_id)
);

CREATE TABLE IF NOT EXISTS counters (
    name            TEXT PRIMARY KEY,
    value           INTEGER NOT NULL
);

-- Durable queue for printerd (docs/hardware.md). Rows are inserted by projections in the
-- sale's own transaction; their state then moves without journal records.
CREATE TABLE IF NOT EXISTS print_jobs (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,          -- receipt | drawer | report
    order_id        TEXT,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'queued',  -- queued | printing | waiting | printed | failed | expired
    created_at      TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    reason          TEXT NOT NULL DEFAULT '',
    updated_at      TEXT,
    lease_until     TEXT,
    finished_at     TEXT
);
CREATE INDEX IF NOT EXISTS print_jobs_state ON print_jobs(state, created_at);

-- Members (issue 7): personal data, level, and the points and stored-value balances that
-- their journal records move. The CHECKs are a last line: the engine refuses an overdraft
-- inside the write transaction before any record is written.
CREATE TABLE IF NOT EXISTS members (
    id              TEXT PRIMARY KEY,
    phone           TEXT NOT NULL UNIQUE,
    card_code       TEXT UNIQUE,            -- NULL: no card
    name            TEXT NOT NULL,
    birthday        TEXT NOT NULL DEFAULT '',   -- '' | YYYY-MM-DD | MM-DD
    level_id        TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    points          INTEGER NOT NULL DEFAULT 0 CHECK (points >= 0),
    balance         INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),   -- fen
    active          INTEGER NOT NULL DEFAULT 1,
    joined_at       TEXT NOT NULL,
    joined_by       TEXT NOT NULL,
    last_seq        INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS members_name ON members(name);

-- Every change of a member's points or balance, for the member's history page.
CREATE TABLE IF NOT EXISTS member_moves (
    seq             INTEGER NOT NULL,       -- the journal record that made it
    member_id       TEXT NOT NULL,
    kind            TEXT NOT NULL,          -- points | balance
    delta           INTEGER NOT NULL,
    after           INTEGER NOT NULL,
    reason          TEXT NOT NULL,          -- earned | redeemed | reversed | refund | top_up | bonus | change | gift | adjusted | payment | void
    order_id        TEXT,
    ts              TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS member_moves_member ON member_moves(member_id, seq);
-- issue 10: the notification hook looks up the moves of the record just appended
CREATE INDEX IF NOT EXISTS member_moves_seq ON member_moves(seq);

-- Top-ups by their request key: a retried request (the phone lost the answer) gets the first
-- answer instead of topping up twice.
CREATE TABLE IF NOT EXISTS member_topups (
    id              TEXT PRIMARY KEY,
    member_id       TEXT NOT NULL,
    idempotency_key TEXT,
    amount          INTEGER NOT NULL,
    bonus           INTEGER NOT NULL,
    method          TEXT NOT NULL,
    tendered        INTEGER NOT NULL,
    change          INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    UNIQUE (member_id, idempotency_key)
);

CREATE TABLE IF NOT EXISTS member_levels (
    id              TEXT PRIMARY KEY,
    doc             TEXT NOT NULL,          -- the level as normalised JSON (fen, basis points)
    sort            INTEGER NOT NULL DEFAULT 0,
    active          INTEGER NOT NULL DEFAULT 1,
    last_seq        INTEGER NOT NULL
);

-- Promotion rules (shop's own and head office's), as normalised JSON.
CREATE TABLE IF NOT EXISTS promotions (
    id              TEXT PRIMARY KEY,
    source          TEXT NOT NULL,          -- shop | head_office
    doc             TEXT NOT NULL,
    active          INTEGER NOT NULL DEFAULT 1,
    updated_at      TEXT NOT NULL,
    updated_by      TEXT NOT NULL,
    last_seq        INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS coupon_uses (
    code            TEXT NOT NULL,
    rule_id         TEXT NOT NULL,
    order_id        TEXT NOT NULL,
    member_id       TEXT,
    seq             INTEGER NOT NULL,
    PRIMARY KEY (code, order_id)
);

-- Stock (issue 8): every move of every record, for a product's history; the rules that say
-- when stock is low and how to reorder; purchase orders, deliveries and stocktakes.
CREATE TABLE IF NOT EXISTS stock_moves (
    seq             INTEGER NOT NULL,       -- the journal record that made it
    product_id      TEXT NOT NULL,
    variant_id      TEXT NOT NULL DEFAULT '',
    delta           INTEGER NOT NULL,
    after           INTEGER NOT NULL,
    reason          TEXT NOT NULL,
    ref             TEXT,                   -- order, receipt, count ... it belongs to
    ts              TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS stock_moves_product ON stock_moves(product_id, variant_id, seq);
CREATE INDEX IF NOT EXISTS stock_moves_reason ON stock_moves(reason, ts);

CREATE TABLE IF NOT EXISTS stock_rules (
    product_id      TEXT NOT NULL,
    variant_id      TEXT NOT NULL DEFAULT '',
    low_level       INTEGER NOT NULL DEFAULT 0,     -- alert at or below; 0: no alert
    lead_time_days  INTEGER NOT NULL DEFAULT 0,
    supplier_id     TEXT,
    pack_qty        INTEGER NOT NULL DEFAULT 1,     -- order in multiples of this
    last_seq        INTEGER NOT NULL,
    PRIMARY KEY (product_id, variant_id)
);

CREATE TABLE IF NOT EXISTS purchase_orders (
    id              TEXT PRIMARY KEY,
    number          TEXT NOT NULL UNIQUE,
    supplier_id     TEXT NOT NULL,
    status          TEXT NOT NULL,          -- open | partly_received | received | closed | cancelled
    note            TEXT NOT NULL DEFAULT '',
    expected_on     TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    last_seq        INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS po_lines (
    po_id           TEXT NOT NULL REFERENCES purchase_orders(id),
    line_id         TEXT NOT NULL,
    pos             INTEGER NOT NULL,
    product_id      TEXT NOT NULL,
    variant_id      TEXT NOT NULL DEFAULT '',
    name            TEXT NOT NULL,
    qty             INTEGER NOT NULL,
    unit_cost       INTEGER NOT NULL,
    received_qty    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (po_id, line_id)
);

CREATE TABLE IF NOT EXISTS receipts_in (
    id              TEXT PRIMARY KEY,
    po_id           TEXT,                   -- NULL: a delivery without an order
    supplier_id     TEXT,
    note            TEXT NOT NULL DEFAULT '',
    received_at     TEXT NOT NULL,
    received_by     TEXT NOT NULL,
    seq             INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS receipt_in_lines (
    receipt_id      TEXT NOT NULL REFERENCES receipts_in(id),
    pos             INTEGER NOT NULL,
    product_id      TEXT NOT NULL,
    variant_id      TEXT NOT NULL DEFAULT '',
    qty             INTEGER NOT NULL,
    unit_cost       INTEGER NOT NULL,
    po_line_id      TEXT,
    PRIMARY KEY (receipt_id, pos)
);

CREATE TABLE IF NOT EXISTS counts (
    id              TEXT PRIMARY KEY,
    number          TEXT NOT NULL UNIQUE,
    scope           TEXT NOT NULL,          -- JSON: {"all": true} | {"categories": [...]}
    blind           INTEGER NOT NULL,
    status          TEXT NOT NULL,          -- open | approved | cancelled
    note            TEXT NOT NULL DEFAULT '',
    started_at      TEXT NOT NULL,
    started_by      TEXT NOT NULL,
    finished_at     TEXT,
    finished_by     TEXT,
    last_seq        INTEGER NOT NULL
);
-- Per counted item: the sum of every phone's entries and the system level at the last one.
CREATE TABLE IF NOT EXISTS count_items (
    count_id        TEXT NOT NULL REFERENCES counts(id),
    product_id      TEXT NOT NULL,
    variant_id      TEXT NOT NULL DEFAULT '',
    counted         INTEGER NOT NULL,
    expected        INTEGER NOT NULL,       -- system level at the item's last entry
    entries         INTEGER NOT NULL,
    last_seq        INTEGER NOT NULL,
    PRIMARY KEY (count_id, product_id, variant_id)
);
CREATE TABLE IF NOT EXISTS count_entries (
    id              TEXT PRIMARY KEY,
    count_id        TEXT NOT NULL REFERENCES counts(id),
    product_id      TEXT NOT NULL,
    variant_id      TEXT NOT NULL DEFAULT '',
    qty             INTEGER NOT NULL,
    level           INTEGER NOT NULL,
    staff           TEXT NOT NULL,
    terminal        TEXT NOT NULL,
    ts              TEXT NOT NULL,
    seq             INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS count_entries_count ON count_entries(count_id, seq);

-- Visitors counted by the door sensor, per shop-local hour ("2026-11-26T14"), for the
-- conversion rate (operational: not a projection of the journal).
CREATE TABLE IF NOT EXISTS visitors (
    hour            TEXT PRIMARY KEY,
    count           INTEGER NOT NULL
);

-- Issue 9: running the shop. Every move of money into or out of a till, by tender (a cash
-- sale is what stayed in the drawer: tendered less change), for shifts and the X/Z reports.
CREATE TABLE IF NOT EXISTS till_moves (
    seq             INTEGER NOT NULL,       -- the journal record that made it
    method          TEXT NOT NULL,          -- cash | card | ... | member_balance | points
    delta           INTEGER NOT NULL,       -- fen; negative: out of the till
    kind            TEXT NOT NULL,          -- sale | void | refund | top_up | stored_change | paid_in | paid_out
    ref             TEXT,                   -- order, top-up, shift ... it belongs to
    staff           TEXT NOT NULL DEFAULT '',
    note            TEXT NOT NULL DEFAULT '',
    ts              TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS till_moves_seq ON till_moves(seq);

CREATE TABLE IF NOT EXISTS shifts (
    id              TEXT PRIMARY KEY,
    number          INTEGER NOT NULL UNIQUE,
    status          TEXT NOT NULL,          -- open | closed
    float           INTEGER NOT NULL,       -- fen in the drawer at the start
    opened_at       TEXT NOT NULL,
    opened_by       TEXT NOT NULL,
    open_seq        INTEGER NOT NULL,
    closed_at       TEXT,
    closed_by       TEXT,
    close_seq       INTEGER,
    expected        TEXT,                   -- JSON {method: fen}
    counted         TEXT,                   -- JSON {method: fen, "denominations": {...}}
    over_short      TEXT,                   -- JSON {method: fen}, counted - expected
    override_by     TEXT,                   -- the manager who accepted a difference over the limit
    note            TEXT NOT NULL DEFAULT '',   -- given at the opening
    last_seq        INTEGER NOT NULL,
    close_reason    TEXT NOT NULL DEFAULT ''    -- given at the close (why a difference is accepted)
);

-- X (mid-shift) and Z (day close) reports as they were recorded (the doc is the record's).
CREATE TABLE IF NOT EXISTS till_reports (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,          -- x | z
    number          INTEGER NOT NULL,       -- Z: 1, 2, ... per device; X: per shift
    shift_id        TEXT,
    business_day    TEXT NOT NULL,
    first_seq       INTEGER NOT NULL,
    last_seq        INTEGER NOT NULL,
    head_hash       TEXT NOT NULL,
    doc             TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    seq             INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS till_reports_kind ON till_reports(kind, number);

-- Income and expense entries besides sales (rent, wages, utilities, supplier payments).
CREATE TABLE IF NOT EXISTS finance_entries (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,          -- income | expense
    category        TEXT NOT NULL,
    amount          INTEGER NOT NULL CHECK (amount > 0),
    day             TEXT NOT NULL,          -- YYYY-MM-DD, shop-local
    note            TEXT NOT NULL DEFAULT '',
    supplier_id     TEXT,
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    voided          INTEGER NOT NULL DEFAULT 0,
    void_reason     TEXT,
    voided_by       TEXT,
    void_seq        INTEGER
);
CREATE INDEX IF NOT EXISTS finance_entries_day ON finance_entries(day);

-- Training (training ledger only): product quizzes and their scores per staff member.
CREATE TABLE IF NOT EXISTS quizzes (
    id              TEXT PRIMARY KEY,
    staff           TEXT NOT NULL,
    questions       TEXT NOT NULL,          -- JSON, with the right answers
    started_at      TEXT NOT NULL,
    answers         TEXT,                   -- JSON, once finished
    score           INTEGER,
    total           INTEGER NOT NULL,
    finished_at     TEXT,
    seq             INTEGER NOT NULL
);
"""

# Tables of issue 10, one module per area (each module owns its tables).
from . import (schema_aftersales, schema_ereceipt, schema_fulfilment,  # noqa: E402
               schema_notify, schema_returns)
EXTENSIONS = (schema_returns, schema_aftersales, schema_fulfilment, schema_ereceipt,
              schema_notify)
PROJECTIONS += "".join(m.SQL for m in EXTENSIONS)
EXTENSION_TABLES = tuple(t for m in EXTENSIONS for t in m.TABLES)

#: Tables that must equal a replay of the journal (print_jobs is an operational queue whose
#: states later move without journal records, so it is left out of the comparison).
PROJECTION_TABLES = ("orders", "order_lines", "payments", "refunds", "refund_lines",
                     "refund_tenders", "stock_levels", "counters", "members", "member_moves",
                     "member_topups", "member_levels", "promotions", "coupon_uses",
                     "stock_moves", "stock_rules", "purchase_orders", "po_lines", "receipts_in",
                     "receipt_in_lines", "counts", "count_items", "count_entries",
                     "till_moves", "shifts", "till_reports", "finance_entries", "quizzes",
                     *EXTENSION_TABLES)


#: Columns added after a table first shipped: (table, column, definition).
ADDED_COLUMNS = (
    ("print_jobs", "attempts", "INTEGER NOT NULL DEFAULT 0"),
    ("print_jobs", "reason", "TEXT NOT NULL DEFAULT ''"),
    ("print_jobs", "updated_at", "TEXT"),
    ("print_jobs", "lease_until", "TEXT"),
    ("print_jobs", "finished_at", "TEXT"),
    # issue 7: members, points, stored value, coupons
    ("orders", "member_id", "TEXT"),
    ("orders", "coupons", "TEXT NOT NULL DEFAULT '[]'"),     # codes the order carries
    ("orders", "points_earned", "INTEGER NOT NULL DEFAULT 0"),
    ("order_lines", "category_id", "TEXT NOT NULL DEFAULT ''"),
    ("order_lines", "points", "INTEGER NOT NULL DEFAULT 0"),           # earned by this line
    ("order_lines", "points_reversed", "INTEGER NOT NULL DEFAULT 0"),
    ("payments", "member_id", "TEXT"),
    ("payments", "points", "INTEGER NOT NULL DEFAULT 0"),       # points spent (points tender)
    ("payments", "stored_change", "INTEGER NOT NULL DEFAULT 0"),  # change put on the card
    ("refund_tenders", "points", "INTEGER NOT NULL DEFAULT 0"),
    # issue 8: the moving-average unit cost (NULL until the first delivery is received)
    ("stock_levels", "avg_cost", "INTEGER"),
    # issue 9: Z reports by tax rate (basis points, from the catalog at sale), sales by member
    # level (the level at the sale, not today's)
    ("order_lines", "tax_rate", "INTEGER NOT NULL DEFAULT 0"),
    ("orders", "member_level", "TEXT"),
    ("shifts", "close_reason", "TEXT NOT NULL DEFAULT ''"),   # data dirs of development builds
    # issue 10: when a member's personal data was erased on request (NULL: never)
    ("members", "erased_at", "TEXT"),
    # issue 10: a member's optional e-mail address, for notifications (docs/notifications.md)
    ("members", "email", "TEXT NOT NULL DEFAULT ''"),
)


def _add_columns(conn) -> None:
    missing = []
    for table, column, definition in ADDED_COLUMNS:
        have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        if have and column not in have:
            missing.append(f"ALTER TABLE {table} ADD COLUMN {column} {definition};")
    if missing:
        conn.executescript("BEGIN;" + "".join(missing) + "COMMIT;")


def create_all(conn) -> None:
    # Older ledgers lack some columns: add them before the indexes that use them, and again
    # after creating new tables, so a new ledger and a migrated one have the same columns in
    # the same order (the replay check compares rows).
    _add_columns(conn)
    # One transaction: table by table, each CREATE would be a commit of its own, and the
    # WAL would start every run some 700 KB long.
    conn.executescript("BEGIN;" + JOURNAL + META + PROJECTIONS + "COMMIT;")
    _add_columns(conn)
