-- Which agent typed a reply sent from Baton: shown on the transcript line, so a team sees who
-- answered. The outbox carries it until the send succeeds and the line is written.
ALTER TABLE transcript ADD COLUMN author TEXT;
ALTER TABLE outbox ADD COLUMN transcript_author TEXT;
