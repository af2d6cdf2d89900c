-- The built-in Messenger sandbox's state (test users, thread owners, what they saw), saved
-- as one JSON snapshot so restarting Baton does not forget the users its conversations
-- belong to. One row at most.
CREATE TABLE sandbox_state (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    snapshot TEXT NOT NULL,
    saved_ms BIGINT NOT NULL
);
