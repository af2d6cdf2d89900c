-- Which calls go first when a backlog builds up behind the page's send budget: handover
-- confirmations, pass/take and agent replies (1) before bulk bot answers and profile reads (0).
-- A user's own calls still go in order; priority only chooses between users. The claim reads
-- due rows through outbox_due and sorts the few it finds, so no index is added.
ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
