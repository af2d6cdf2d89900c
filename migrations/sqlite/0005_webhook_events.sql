-- Webhook deliveries exactly as received (raw body, for audit and replay) and the events in
-- them, one row each, deduplicated by their dedupe key (mid, or sender/time/kind). Events are
-- 'pending' until the runtime worker handles them; kinds Baton does not act on are stored as
-- 'ignored'. Times: received_at unix seconds, timestamp_ms as Facebook sends it.
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
