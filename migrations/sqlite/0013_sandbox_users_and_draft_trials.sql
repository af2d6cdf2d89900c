-- The sandbox's test users, one row each, so saving the sandbox writes only the users that
-- changed (sandbox_state keeps the rest: pages, counters, the clock). Older versions kept the
-- users inside sandbox_state's snapshot; Baton moves them here on the next save.
CREATE TABLE sandbox_users (
    psid     TEXT PRIMARY KEY,
    state    TEXT NOT NULL,
    saved_ms BIGINT NOT NULL
);

-- Test users who run the current draft instead of the published flow ("Try draft" in the
-- Simulator). Only sandbox users can be added, by people allowed to use the Simulator.
CREATE TABLE draft_trials (
    psid       TEXT PRIMARY KEY,
    started_ms BIGINT NOT NULL
);
