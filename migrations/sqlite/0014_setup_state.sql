-- The setup wizard's progress (one row): a page token step 1 accepted waits here until step 2
-- connects the page; the step the admin was on, the boxes they ticked and each step's last
-- check results survive leaving the screen. The webhook handshake times feed step 3's light.
CREATE TABLE setup_state (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    pending_page_id     TEXT,
    pending_page_name   TEXT,
    pending_token       TEXT,
    current_step        TEXT NOT NULL DEFAULT 'token',
    -- JSON array of confirm-box ids
    confirmed           TEXT NOT NULL DEFAULT '[]',
    -- JSON array of the last StepReport of each step
    reports             TEXT NOT NULL DEFAULT '[]',
    -- unix seconds of the last accepted / refused GET /webhook handshake
    webhook_verified_at BIGINT,
    webhook_refused_at  BIGINT,
    updated_at          BIGINT NOT NULL
);
INSERT INTO setup_state (id, updated_at) VALUES (1, 0);
