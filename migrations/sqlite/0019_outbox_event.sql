-- The webhook event whose handling queued an outbox row (NULL for rows an agent or Baton
-- itself queued), so a Graph call's log line names the event it answers.
ALTER TABLE outbox ADD COLUMN event_id BIGINT;
