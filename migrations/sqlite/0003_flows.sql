-- Flows: the draft editors work on (one row) and the numbered published versions the bot
-- runtime uses (the newest one is live). Flow JSON is the canonical `flows::to_json` text.
-- Times are unix seconds.
CREATE TABLE flow_draft (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    flow_json  TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    -- email of the editor, or 'cli'
    updated_by TEXT NOT NULL
);

CREATE TABLE flow_versions (
    number           BIGINT PRIMARY KEY,
    flow_json        TEXT NOT NULL,
    published_at     BIGINT NOT NULL,
    -- email of the publisher, or 'cli'
    published_by     TEXT NOT NULL,
    -- flows::summarize_changes against the previous version ('first version' for number 1)
    summary          TEXT NOT NULL,
    -- set when this version re-published an older one (`flows rollback N`)
    rolled_back_from BIGINT,
    -- messenger profile push: pending (under way), pushed, failed, skipped (no page connected)
    push_status      TEXT NOT NULL DEFAULT 'pending'
                     CHECK (push_status IN ('pending', 'pushed', 'failed', 'skipped')),
    -- what each push step did, one line per step
    push_outcome     TEXT
);
