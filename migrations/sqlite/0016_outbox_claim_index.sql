-- The claim's first look (repo/outbox.rs, claim_due): pending rows in the order they are
-- claimed, urgent first, then oldest. Reading due rows through outbox_due and sorting them all
-- cost a claim 80 ms with 50,000 rows waiting behind the send budget, and the claim holds the
-- write lock meanwhile; through this index it reads the first rows only (0.5 ms).
CREATE INDEX outbox_claim ON outbox (priority DESC, id) WHERE status = 'pending';
