-- shortcode-router schema v1: MOs, long-MO parts, webhooks and their attempts, MTs, the
-- receipt-correlation map, receipts, opt-outs (with an audit log), subscriptions (double
-- opt-in), conversations, handler state. Times are Unix milliseconds.

CREATE TABLE mos (
    id            TEXT PRIMARY KEY,
    received_at   INTEGER NOT NULL,
    source        TEXT NOT NULL,
    short_code    TEXT NOT NULL,
    text          TEXT NOT NULL,
    segments      INTEGER NOT NULL,
    data_coding   INTEGER NOT NULL,
    rule          TEXT NOT NULL,
    matched       TEXT,
    route         TEXT,
    program       TEXT,
    handler       TEXT,
    state         TEXT NOT NULL
);
CREATE INDEX mos_by_source ON mos (source, received_at);

CREATE TABLE mo_parts (
    part_key          TEXT NOT NULL,
    seq               INTEGER NOT NULL,
    source            BLOB NOT NULL,
    destination       BLOB NOT NULL,
    ref_kind          INTEGER NOT NULL,
    ref_value         INTEGER NOT NULL,
    total             INTEGER NOT NULL,
    payload           BLOB NOT NULL,
    data_coding       INTEGER NOT NULL,
    national_locking  INTEGER,
    national_single   INTEGER,
    udh_len           INTEGER NOT NULL,
    received_at       INTEGER NOT NULL,
    PRIMARY KEY (part_key, seq)
);

CREATE TABLE webhooks (
    id               TEXT PRIMARY KEY,
    mo_id            TEXT,
    handler          TEXT NOT NULL,
    kind             TEXT NOT NULL,
    payload          TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    state            TEXT NOT NULL,
    last_error       TEXT,
    reply            TEXT
);
CREATE INDEX webhooks_due ON webhooks (handler, state, next_attempt_at);
CREATE INDEX webhooks_by_mo ON webhooks (mo_id);

CREATE TABLE webhook_attempts (
    webhook_id   TEXT NOT NULL,
    attempt      INTEGER NOT NULL,
    at           INTEGER NOT NULL,
    status       INTEGER,
    error        TEXT,
    latency_ms   INTEGER NOT NULL,
    PRIMARY KEY (webhook_id, attempt)
);

CREATE TABLE handler_state (
    handler      TEXT PRIMARY KEY,
    disabled     INTEGER NOT NULL,
    reason       TEXT,
    at           INTEGER NOT NULL
);

CREATE TABLE mts (
    id             TEXT PRIMARY KEY,
    created_at     INTEGER NOT NULL,
    short_code     TEXT NOT NULL,
    subscriber     TEXT NOT NULL,
    program        TEXT,
    text           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    bypass_optout  INTEGER NOT NULL,
    state          TEXT NOT NULL,
    error          TEXT,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX mts_by_state ON mts (state);
CREATE INDEX mts_by_subscriber ON mts (subscriber, created_at);

CREATE TABLE receipt_map (
    message_id   TEXT PRIMARY KEY,
    mt_id        TEXT NOT NULL,
    part         INTEGER NOT NULL
);

CREATE TABLE receipts (
    message_id   TEXT NOT NULL,
    mt_id        TEXT,
    stat         TEXT,
    err          TEXT,
    raw          TEXT NOT NULL,
    received_at  INTEGER NOT NULL
);
CREATE INDEX receipts_by_mt ON receipts (mt_id);

CREATE TABLE optouts (
    subscriber   TEXT NOT NULL,
    short_code   TEXT NOT NULL,
    keyword      TEXT NOT NULL,
    at           INTEGER NOT NULL,
    PRIMARY KEY (subscriber, short_code)
);

CREATE TABLE optout_log (
    subscriber   TEXT NOT NULL,
    short_code   TEXT NOT NULL,
    opted_out    INTEGER NOT NULL,
    keyword      TEXT NOT NULL,
    at           INTEGER NOT NULL
);

CREATE TABLE subscriptions (
    subscriber     TEXT NOT NULL,
    short_code     TEXT NOT NULL,
    program        TEXT NOT NULL,
    state          TEXT NOT NULL,
    pending_mo_id  TEXT,
    at             INTEGER NOT NULL,
    PRIMARY KEY (subscriber, short_code, program)
);

CREATE TABLE conversations (
    subscriber   TEXT NOT NULL,
    short_code   TEXT NOT NULL,
    program      TEXT NOT NULL,
    handler      TEXT NOT NULL,
    route        TEXT,
    expires_at   INTEGER NOT NULL,
    PRIMARY KEY (subscriber, short_code)
);
