-- Vacuum the queues after a fixed amount of churn, not after a fraction of their history.
--
-- webhook_events and outbox keep every row (Baton deletes none), while only a handful of them
-- are pending at any time. Each event and call changes its status two or three times, and every
-- change leaves a dead entry in the small partial indexes the workers' claims read
-- (webhook_events_lane, outbox_user_open, outbox_lane) until the table is vacuumed.
-- PostgreSQL's default vacuums a table once a fifth of it has changed: for a history of ten
-- million rows, two million changes, so a claim would read millions of dead entries to find a
-- few live ones. With these settings a table is vacuumed (and analyzed, so the planner's idea
-- of how many rows are pending stays current) after 10,000 changes, whatever its size. The
-- autovacuum launcher looks at each database once a minute by default (autovacuum_naptime), so
-- a burst still leaves up to a minute's changes.
ALTER TABLE webhook_events SET (
    autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 10000,
    autovacuum_analyze_scale_factor = 0,
    autovacuum_analyze_threshold = 10000
);
ALTER TABLE outbox SET (
    autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 10000,
    autovacuum_analyze_scale_factor = 0,
    autovacuum_analyze_threshold = 10000
);
-- 64 rows, each renewed every two seconds by its holder: vacuumed often, it stays a few pages.
ALTER TABLE work_lanes SET (
    autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 1000
);

