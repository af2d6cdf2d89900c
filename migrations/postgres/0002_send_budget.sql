-- The page's send-rate cap (BATON_SEND_RATE), shared by every Baton instance on this
-- database: a token bucket refilled by the time since its last take, on the database's
-- clock. Each instance's outbox worker takes tokens before it claims calls and gives back
-- what it did not use (crates/domain/src/send_budget.rs).
CREATE TABLE send_budget (
    id          BIGINT PRIMARY KEY CHECK (id = 1),
    tokens      DOUBLE PRECISION NOT NULL,
    refilled_ms BIGINT NOT NULL
);
INSERT INTO send_budget (id, tokens, refilled_ms) VALUES (1, 0, 0);

-- A note on 0001 (whose text cannot change once applied): webhook_events.lane is the lane of
-- the event's user, which for the page's own echoes is the recipient, not the sender
-- (webhook_events::user_of), so an echo lands in the lane of the call it confirms.
