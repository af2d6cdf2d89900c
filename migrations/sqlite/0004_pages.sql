-- The connected Facebook Page (at most one row; connecting another page replaces it).
-- access_token and app_secret are secrets: never logged, never sent to the browser.
-- Times are unix seconds.
CREATE TABLE pages (
    page_id       TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    access_token  TEXT NOT NULL,
    app_secret    TEXT NOT NULL,
    verify_token  TEXT NOT NULL,
    -- Baton's app id: how Baton recognises its own thread-control events and echoes
    app_id        TEXT NOT NULL,
    -- Graph API base URL override (the built-in sandbox page); NULL = the configured one
    graph_api_url TEXT,
    is_sandbox    BOOLEAN NOT NULL DEFAULT FALSE,
    connected_at  BIGINT NOT NULL
);
