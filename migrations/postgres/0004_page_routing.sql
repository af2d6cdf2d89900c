-- Per-page settings that survive reconnecting the page (connecting replaces the `pages` row).
-- bot_disclosure: the line that tells users they are talking to an automated assistant, sent
-- before the bot's first message in a conversation and when a user comes back to the bot from
-- a person (the law requires it in some places); NULL = not sent. Pages connected from now on
-- start with it on (`repo::pages::connect`); the page already connected keeps its behaviour.
CREATE TABLE page_settings (
    page_id        TEXT PRIMARY KEY,
    bot_disclosure TEXT
);
INSERT INTO page_settings (page_id, bot_disclosure) SELECT page_id, NULL FROM pages;

-- When the bot disclosure was sent in this conversation (NULL: not yet).
ALTER TABLE conversations ADD COLUMN disclosed_ms BIGINT;
