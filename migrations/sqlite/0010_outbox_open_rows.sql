-- Claiming the outbox checks, for each due row, that the same user has no earlier unfinished
-- row. Finished rows stay in the table, so the per-user index grew a scan of a user's whole
-- history; this partial index holds only the unfinished rows.
CREATE INDEX outbox_user_open ON outbox (page_id, psid, id)
    WHERE status IN ('pending', 'sending');
