-- The agent inbox at 100k conversations / 1M transcript lines (product.md §4: < 20 ms).
--
-- 1. List counts kept by triggers, so the Inbox / Done / All counts are one small read
--    instead of counting index entries on every page.
CREATE TABLE conversation_counts (
    page_id TEXT NOT NULL,
    state   TEXT NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (page_id, state)
);
INSERT INTO conversation_counts (page_id, state, n)
    SELECT page_id, state, COUNT(*) FROM conversations GROUP BY page_id, state;

CREATE TRIGGER conversations_count_insert AFTER INSERT ON conversations BEGIN
    INSERT INTO conversation_counts (page_id, state, n) VALUES (NEW.page_id, NEW.state, 1)
        ON CONFLICT (page_id, state) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER conversations_count_delete AFTER DELETE ON conversations BEGIN
    UPDATE conversation_counts SET n = n - 1 WHERE page_id = OLD.page_id AND state = OLD.state;
END;
CREATE TRIGGER conversations_count_state AFTER UPDATE OF state ON conversations
WHEN OLD.state <> NEW.state BEGIN
    UPDATE conversation_counts SET n = n - 1 WHERE page_id = OLD.page_id AND state = OLD.state;
    INSERT INTO conversation_counts (page_id, state, n) VALUES (NEW.page_id, NEW.state, 1)
        ON CONFLICT (page_id, state) DO UPDATE SET n = n + 1;
END;

-- 2. Search by name and by message text: FTS5 with the trigram tokenizer, so any substring of
--    three characters or more is an index lookup (case-insensitive), not a scan of every row.
--    Names: one row per named conversation, rowid = the conversation's rowid.
CREATE VIRTUAL TABLE conversation_name_fts USING fts5(name, tokenize = 'trigram');
INSERT INTO conversation_name_fts (rowid, name)
    SELECT rowid, TRIM(COALESCE(first_name, '') || ' ' || COALESCE(last_name, ''))
    FROM conversations WHERE first_name IS NOT NULL OR last_name IS NOT NULL;

--    Terms of one or two characters (too short for trigrams) match the start of a word of
--    the name instead ("Ed" finds "Ed Lima" and "Maria Edite"), through a word index with
--    prefix indexes for one and two characters.
CREATE VIRTUAL TABLE conversation_name_words USING fts5(
    name, tokenize = 'unicode61 remove_diacritics 0', prefix = '1 2'
);
INSERT INTO conversation_name_words (rowid, name) SELECT rowid, name FROM conversation_name_fts;

CREATE TRIGGER conversations_name_insert AFTER INSERT ON conversations
WHEN NEW.first_name IS NOT NULL OR NEW.last_name IS NOT NULL BEGIN
    INSERT INTO conversation_name_fts (rowid, name)
        VALUES (NEW.rowid, TRIM(COALESCE(NEW.first_name, '') || ' ' || COALESCE(NEW.last_name, '')));
    INSERT INTO conversation_name_words (rowid, name)
        VALUES (NEW.rowid, TRIM(COALESCE(NEW.first_name, '') || ' ' || COALESCE(NEW.last_name, '')));
END;
CREATE TRIGGER conversations_name_update AFTER UPDATE OF first_name, last_name ON conversations
BEGIN
    DELETE FROM conversation_name_fts WHERE rowid = OLD.rowid;
    DELETE FROM conversation_name_words WHERE rowid = OLD.rowid;
    INSERT INTO conversation_name_fts (rowid, name)
        SELECT NEW.rowid, TRIM(COALESCE(NEW.first_name, '') || ' ' || COALESCE(NEW.last_name, ''))
        WHERE NEW.first_name IS NOT NULL OR NEW.last_name IS NOT NULL;
    INSERT INTO conversation_name_words (rowid, name)
        SELECT NEW.rowid, TRIM(COALESCE(NEW.first_name, '') || ' ' || COALESCE(NEW.last_name, ''))
        WHERE NEW.first_name IS NOT NULL OR NEW.last_name IS NOT NULL;
END;
CREATE TRIGGER conversations_name_delete AFTER DELETE ON conversations BEGIN
    DELETE FROM conversation_name_fts WHERE rowid = OLD.rowid;
    DELETE FROM conversation_name_words WHERE rowid = OLD.rowid;
END;

--    Message text: what people wrote (the user, agents in Baton, people in the Page Inbox).
--    Bot lines are left out: they are the same for everyone, so a search would match every
--    conversation. Contentless (the text stays in `transcript`); rowid = the transcript id.
CREATE VIRTUAL TABLE transcript_fts USING fts5(
    text, content = '', contentless_delete = 1, tokenize = 'trigram'
);
INSERT INTO transcript_fts (rowid, text)
    SELECT id, text FROM transcript WHERE who IN ('user', 'agent', 'page_inbox');

CREATE TRIGGER transcript_text_insert AFTER INSERT ON transcript
WHEN NEW.who IN ('user', 'agent', 'page_inbox') BEGIN
    INSERT INTO transcript_fts (rowid, text) VALUES (NEW.id, NEW.text);
END;
CREATE TRIGGER transcript_text_delete AFTER DELETE ON transcript BEGIN
    DELETE FROM transcript_fts WHERE rowid = OLD.id;
END;
