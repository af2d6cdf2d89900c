-- The deliveries file (`<database>.deliveries.db`, beside the main database): webhook
-- deliveries exactly as received and the events in them, deduplicated by their dedupe key.
-- Only the webhook's ingest writes here, so acknowledging a delivery never waits for the
-- runtime's transactions on the main database. Rows are never updated by the runtime: which
-- events it has applied is recorded in the main database (`event_progress`,
-- `event_failures`), in the same transaction as their effects. The tables are those of the
-- main database's migration 0005, which a database in memory still uses.
CREATE TABLE webhook_deliveries (
    id          INTEGER PRIMARY KEY,
    received_at BIGINT NOT NULL,
    object      TEXT,
    body        TEXT NOT NULL,
    events      BIGINT NOT NULL,
    duplicates  BIGINT NOT NULL
);

CREATE TABLE webhook_events (
    id           INTEGER PRIMARY KEY,
    dedupe_key   TEXT NOT NULL UNIQUE,
    delivery_id  BIGINT NOT NULL REFERENCES webhook_deliveries (id),
    page_id      TEXT NOT NULL,
    channel      TEXT NOT NULL CHECK (channel IN ('messaging', 'standby')),
    kind         TEXT NOT NULL,
    sender_id    TEXT,
    recipient_id TEXT,
    timestamp_ms BIGINT,
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'done', 'ignored', 'failed')),
    received_at  BIGINT NOT NULL,
    processed_at BIGINT,
    error        TEXT
);
CREATE INDEX webhook_events_status ON webhook_events (status, id);
