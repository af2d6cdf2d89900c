-- Which webhook events the runtime has applied, kept apart from the events themselves so
-- that the events can live in a file of their own (see the deliveries migrations). The
-- runtime applies events in id order: every event with an id up to `applied_through` has
-- been applied, in the same transaction as its effects, and one that could not be applied has
-- a row in `event_failures`. An event stored as 'pending' past the cursor waits; one stored
-- as 'ignored' is never applied. Rows stored as 'done' or 'failed' come from before this
-- migration and keep their status.
CREATE TABLE event_progress (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    applied_through BIGINT NOT NULL,
    applied_at      BIGINT
);
INSERT INTO event_progress (id, applied_through) VALUES (1, 0);

CREATE TABLE event_failures (
    event_id  INTEGER PRIMARY KEY,
    error     TEXT NOT NULL,
    failed_at BIGINT NOT NULL
);
