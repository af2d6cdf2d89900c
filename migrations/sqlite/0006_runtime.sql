-- The bot runtime: one conversation per (page, user), its transcript, the handover ledger
-- and the outbox of Graph API calls. Times ending in _ms are epoch milliseconds.

CREATE TABLE conversations (
    page_id              TEXT NOT NULL,
    psid                 TEXT NOT NULL,
    first_name           TEXT,
    last_name            TEXT,
    profile_pic          TEXT,
    profile_fetched      BOOLEAN NOT NULL DEFAULT FALSE,
    -- bot: the bot talks; inbox: a person owns the thread; done: handed back to the bot
    state                TEXT NOT NULL DEFAULT 'bot' CHECK (state IN ('bot', 'inbox', 'done')),
    -- baton | page_inbox | other (another app) | idle
    thread_owner         TEXT NOT NULL DEFAULT 'baton',
    -- the handover confirmation message Baton sent ("now with a person"): a standby
    -- postback is matched against its buttons by title (standby postbacks have no payload)
    handover_message     TEXT,
    -- the message to send when the user is handed back (from the button that started it)
    back_to_bot_message  TEXT,
    last_user_message_ms BIGINT,
    last_activity_ms     BIGINT NOT NULL,
    last_text            TEXT,
    PRIMARY KEY (page_id, psid)
);
CREATE INDEX conversations_state_activity ON conversations (state, last_activity_ms);
CREATE INDEX conversations_activity ON conversations (last_activity_ms);

-- What happened in a conversation, as the agent view shows it.
-- who: user | bot | agent (typed in Baton) | page_inbox (a person in Meta's inbox) | system
CREATE TABLE transcript (
    id       INTEGER PRIMARY KEY,
    page_id  TEXT NOT NULL,
    psid     TEXT NOT NULL,
    at_ms    BIGINT NOT NULL,
    who      TEXT NOT NULL,
    text     TEXT NOT NULL,
    mid      TEXT,
    event_id BIGINT
);
CREATE INDEX transcript_conversation ON transcript (page_id, psid, id);

-- Every thread-control change with its cause: button | keyword | agent | page_inbox | platform
CREATE TABLE handover_ledger (
    id         INTEGER PRIMARY KEY,
    page_id    TEXT NOT NULL,
    psid       TEXT NOT NULL,
    at_ms      BIGINT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    cause      TEXT NOT NULL,
    actor      TEXT,
    detail     TEXT
);
CREATE INDEX handover_ledger_conversation ON handover_ledger (page_id, psid, id);

-- Graph API calls, executed in id order per user, retried with backoff when retryable.
-- kind: message | typing | pass | take | profile
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    page_id         TEXT NOT NULL,
    psid            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    body            TEXT NOT NULL,
    -- transcript line written when the call succeeds (bot / agent messages)
    transcript_who  TEXT,
    transcript_text TEXT,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'done', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_ms BIGINT NOT NULL,
    created_ms      BIGINT NOT NULL,
    done_ms         BIGINT,
    error_code      TEXT,
    error_reason    TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_ms, id);
CREATE INDEX outbox_user ON outbox (page_id, psid, id);
