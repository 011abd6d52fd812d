-- MT messages, their parts, status history, idempotency keys and the opt-out audit trail
-- (issue 7). Every statement is idempotent so the file can run under sqlx::migrate! and
-- directly from MessageStore::migrate.

CREATE TABLE IF NOT EXISTS mt_messages (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    direction       TEXT NOT NULL DEFAULT 'mt',
    api_key         TEXT,
    program         TEXT,
    sender          TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    body            TEXT NOT NULL,
    encoding        TEXT NOT NULL,
    segments        INTEGER NOT NULL,
    carrier         TEXT,
    status          TEXT NOT NULL,
    status_callback TEXT,
    validity_secs   INTEGER,
    resend_of       TEXT,
    dlr_url         TEXT,
    dlr_mask        INTEGER,
    error_code      TEXT,
    error_message   TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS mt_messages_recipient ON mt_messages (recipient, seq);
CREATE INDEX IF NOT EXISTS mt_messages_sender ON mt_messages (sender, seq);
CREATE INDEX IF NOT EXISTS mt_messages_status ON mt_messages (status, seq);
CREATE INDEX IF NOT EXISTS mt_messages_created ON mt_messages (created_at);

CREATE TABLE IF NOT EXISTS mt_parts (
    message_id     TEXT NOT NULL,
    part_no        INTEGER NOT NULL,
    carrier        TEXT,
    smsc_id        TEXT,
    corr_key       TEXT,
    status         TEXT NOT NULL,
    stat           TEXT,
    err            TEXT,
    command_status INTEGER,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (message_id, part_no)
);
CREATE INDEX IF NOT EXISTS mt_parts_corr ON mt_parts (carrier, corr_key);

CREATE TABLE IF NOT EXISTS mt_status_history (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id     TEXT NOT NULL,
    part_no        INTEGER,
    status         TEXT NOT NULL,
    at             INTEGER NOT NULL,
    stat           TEXT,
    err            TEXT,
    command_status INTEGER,
    detail         TEXT
);
CREATE INDEX IF NOT EXISTS mt_status_history_message ON mt_status_history (message_id, id);

CREATE TABLE IF NOT EXISTS mt_idempotency (
    api_key      TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    message_id   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (api_key, key)
);

CREATE TABLE IF NOT EXISTS optout_audit (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber TEXT NOT NULL,
    short_code TEXT NOT NULL,
    program    TEXT,
    action     TEXT NOT NULL,
    actor      TEXT NOT NULL,
    reason     TEXT,
    at         INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS optout_audit_subscriber ON optout_audit (subscriber, id);
