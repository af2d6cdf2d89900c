-- The agent inbox lists a page's conversations newest first with keyset pagination on
-- (last_activity_ms, psid): these indexes let each page be one index range scan, per state
-- (Inbox / Done) and across states (All), whatever the number of conversations.

CREATE INDEX conversations_page_state_list ON conversations (page_id, state, last_activity_ms, psid);
CREATE INDEX conversations_page_list ON conversations (page_id, last_activity_ms, psid);
