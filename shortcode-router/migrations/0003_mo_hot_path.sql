-- The MO hot path with fewer b-trees to update per MO (issue 6). Tables keyed by their primary
-- key alone become WITHOUT ROWID (one b-tree instead of a table plus its key's index):
-- `mos`, `conversations`, `webhook_attempts`. The due-webhook index covers pending webhooks
-- only, so a delivered webhook leaves it instead of moving inside it. Same columns, same rows.

CREATE TABLE mos_new (
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
) WITHOUT ROWID;
INSERT INTO mos_new (id, received_at, source, short_code, text, segments, data_coding, rule,
    matched, route, program, handler, state)
    SELECT id, received_at, source, short_code, text, segments, data_coding, rule, matched,
    route, program, handler, state FROM mos;
DROP TABLE mos;
ALTER TABLE mos_new RENAME TO mos;
CREATE INDEX mos_by_source ON mos (source, received_at);

CREATE TABLE conversations_new (
    subscriber   TEXT NOT NULL,
    short_code   TEXT NOT NULL,
    program      TEXT NOT NULL,
    handler      TEXT NOT NULL,
    route        TEXT,
    expires_at   INTEGER NOT NULL,
    PRIMARY KEY (subscriber, short_code)
) WITHOUT ROWID;
INSERT INTO conversations_new (subscriber, short_code, program, handler, route, expires_at)
    SELECT subscriber, short_code, program, handler, route, expires_at FROM conversations;
DROP TABLE conversations;
ALTER TABLE conversations_new RENAME TO conversations;

CREATE TABLE webhook_attempts_new (
    webhook_id   TEXT NOT NULL,
    attempt      INTEGER NOT NULL,
    at           INTEGER NOT NULL,
    status       INTEGER,
    error        TEXT,
    latency_ms   INTEGER NOT NULL,
    PRIMARY KEY (webhook_id, attempt)
) WITHOUT ROWID;
INSERT INTO webhook_attempts_new (webhook_id, attempt, at, status, error, latency_ms)
    SELECT webhook_id, attempt, at, status, error, latency_ms FROM webhook_attempts;
DROP TABLE webhook_attempts;
ALTER TABLE webhook_attempts_new RENAME TO webhook_attempts;

DROP INDEX webhooks_due;
CREATE INDEX webhooks_due ON webhooks (handler, next_attempt_at, created_at)
    WHERE state = 'pending';
