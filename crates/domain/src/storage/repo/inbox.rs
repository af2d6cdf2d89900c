//! The agent inbox's queries: one page of a list (newest activity first, keyset pagination on
//! `(last_activity_ms, psid)`, both descending so one index range scan serves each page),
//! optional search, the count of each list, and a conversation's failed Graph calls.
//!
//! Search is case-insensitive. A term of three characters or more matches any part of a name
//! or of a line a person wrote (the user, an agent, the Page Inbox; not the bot). A shorter
//! term matches the start of a word of the name ("Ed" finds "Maria Edite"). Each kind is
//! answered by one of two plans that give the same rows:
//! - **Index**: few hits in the FTS5 tables of migration 0008 become a set of matching
//!   conversations; the cost grows with the number of hits.
//! - **Scan**: many hits; the list is walked in its order and each conversation tested,
//!   which stops as soon as the page is full (quick, since many conversations match).
//!
//! On PostgreSQL the same matches are one statement: `LIKE` on the lower-cased name and lines,
//! served by pg_trgm indexes (migrations/postgres), and the planner picks between the index
//! and the list order by itself.

use sqlx::{PgPool, QueryBuilder, Sqlite, SqlitePool};

use super::conversations::ConversationRow;
use crate::storage::backend::{on_db, on_exec};
use crate::storage::backend::{DbRef, Exec};

/// Which rows one page asks for.
#[derive(Debug, Clone, Default)]
pub struct ListQuery<'a> {
    pub page_id: &'a str,
    /// The state the list shows, `None` = every state.
    pub state: Option<model::ConversationState>,
    /// Case-insensitive substring of the name or of a message a person wrote; empty = no
    /// filter.
    pub search: &'a str,
    /// (last_activity_ms, psid) of the last row of the previous page.
    pub after: Option<(i64, &'a str)>,
    pub limit: i64,
    /// Above this many index hits a search scans instead (`None` = [`INDEX_MAX_HITS`]).
    pub index_max_hits: Option<i64>,
}

/// The hit count up to which the index plan is used. Measured at 100k conversations / 1M
/// lines: 2,000 hits cost about 3 ms through the index; 100,000 hits cost 190 ms through the
/// index but 0.1 ms by scanning.
pub const INDEX_MAX_HITS: i64 = 2000;

/// How a search is answered.
enum Plan {
    /// No search.
    All,
    /// Nothing can match (a short term with no letters or digits).
    Nothing,
    /// Few trigram hits: the FTS5 phrase, as a set of matching conversations.
    Substring(String),
    /// Many trigram hits: the LIKE `%term%` pattern, tested per conversation in list order.
    SubstringScan(String),
    /// Few word-prefix hits: the FTS5 prefix query on names.
    WordPrefix(String),
    /// Many word-prefix hits: the LIKE `% term%` pattern on `' ' || name`, in list order.
    WordPrefixScan(String),
}

/// What a search term asks for, on either backend: everything (no term), a substring of the
/// name or of a line a person wrote (3 characters or more), the start of a word of the name
/// (1–2 letters or digits), or nothing (a short term no word can start with).
enum Term<'a> {
    All,
    Substring(&'a str),
    WordPrefix(&'a str),
    Nothing,
}

fn classify(search: &str) -> Term<'_> {
    let term = search.trim();
    if term.is_empty() {
        Term::All
    } else if term.chars().count() >= 3 {
        Term::Substring(term)
    } else if term.chars().all(char::is_alphanumeric) {
        Term::WordPrefix(term)
    } else {
        // Word prefixes are made of letters and digits; "%" or "a-" can start no word.
        Term::Nothing
    }
}

async fn plan(pool: &SqlitePool, q: &ListQuery<'_>) -> Result<Plan, sqlx::Error> {
    let (term, substring) = match classify(q.search) {
        Term::All => return Ok(Plan::All),
        Term::Nothing => return Ok(Plan::Nothing),
        Term::Substring(term) => (term, true),
        Term::WordPrefix(term) => (term, false),
    };
    let max = q.index_max_hits.unwrap_or(INDEX_MAX_HITS);
    let escaped = like_escape(&term.to_lowercase());
    let quoted = format!("\"{}\"", term.replace('"', "\"\""));
    if substring {
        // Counting stops after max + 1 hits in each index, so this costs ~2 ms at most.
        let hits: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM conversation_name_fts
                                           WHERE conversation_name_fts MATCH $1 LIMIT $2))
                  + (SELECT COUNT(*) FROM (SELECT 1 FROM transcript_fts
                                           WHERE transcript_fts MATCH $1 LIMIT $2))",
        )
        .bind(&quoted)
        .bind(max + 1)
        .fetch_one(pool)
        .await?;
        return Ok(if hits > max {
            Plan::SubstringScan(format!("%{escaped}%"))
        } else {
            Plan::Substring(quoted)
        });
    }
    let prefix = format!("{quoted}*");
    let hits: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT 1 FROM conversation_name_words
                               WHERE conversation_name_words MATCH $1 LIMIT $2)",
    )
    .bind(&prefix)
    .bind(max + 1)
    .fetch_one(pool)
    .await?;
    Ok(if hits > max {
        Plan::WordPrefixScan(format!("% {escaped}%"))
    } else {
        Plan::WordPrefix(prefix)
    })
}

/// The name as the FTS tables index it, for the scan plans.
const NAME: &str = "TRIM(COALESCE(first_name, '') || ' ' || COALESCE(last_name, ''))";

/// The statement's start and end, the same on both backends: the page, the state, the keyset
/// cursor, and (after the search's condition) the order and the limit.
macro_rules! list_statement {
    ($db:ty, $q:expr, |$sql:ident| $search:block) => {{
        let q = $q;
        let mut $sql = QueryBuilder::<$db>::new(
            "SELECT page_id, psid, first_name, last_name, profile_pic, profile_fetched, state,
                    thread_owner, handover_message, back_to_bot_message, last_user_message_ms,
                    last_activity_ms, last_text, disclosed_ms
             FROM conversations WHERE page_id = ",
        );
        $sql.push_bind(q.page_id);
        if let Some(state) = q.state {
            $sql.push(" AND state = ").push_bind(state);
        }
        if let Some((ms, psid)) = q.after {
            $sql.push(" AND (last_activity_ms, psid) < (")
                .push_bind(ms)
                .push(", ")
                .push_bind(psid)
                .push(")");
        }
        $search
        $sql.push(" ORDER BY last_activity_ms DESC, psid DESC LIMIT ")
            .push_bind(q.limit);
        $sql
    }};
}

/// Rows of one page, at most `limit`, newest activity first (ties: psid descending). The
/// statement only holds the conditions in use, so the database picks the matching index.
pub async fn list<'a>(
    db: impl Into<DbRef<'a>>,
    q: &ListQuery<'_>,
) -> Result<Vec<ConversationRow>, sqlx::Error> {
    match db.into() {
        DbRef::Sqlite(pool) => list_sqlite(pool, q).await,
        DbRef::Postgres(pool) => list_postgres(pool, q).await,
    }
}

async fn list_postgres(
    pool: &PgPool,
    q: &ListQuery<'_>,
) -> Result<Vec<ConversationRow>, sqlx::Error> {
    let term = classify(q.search);
    let mut sql = list_statement!(sqlx::Postgres, q, |sql| {
        match term {
            Term::All => {}
            Term::Substring(term) => {
                let pattern = format!("%{}%", like_escape(&term.to_lowercase()));
                // The name (conversations_name_trgm), or any line a person wrote
                // (transcript_text_trgm: the same expression and condition as the index).
                sql.push(format!(" AND (lower({NAME}) LIKE "))
                .push_bind(pattern.clone())
                .push(
                    " ESCAPE '\\' OR (page_id, psid) IN (SELECT t.page_id, t.psid FROM transcript t
                        WHERE t.who IN ('user', 'agent', 'page_inbox') AND lower(t.text) LIKE ",
                )
                .push_bind(pattern)
                .push(" ESCAPE '\\'))");
            }
            Term::WordPrefix(term) => {
                // The start of the name, or of a word after a space.
                let escaped = like_escape(&term.to_lowercase());
                sql.push(format!(" AND (lower({NAME}) LIKE "))
                    .push_bind(format!("{escaped}%"))
                    .push(format!(" ESCAPE '\\' OR lower({NAME}) LIKE "))
                    .push_bind(format!("% {escaped}%"))
                    .push(" ESCAPE '\\')");
            }
            Term::Nothing => {
                sql.push(" AND FALSE");
            }
        }
    });
    sql.build_query_as().fetch_all(pool).await
}

async fn list_sqlite(
    pool: &SqlitePool,
    q: &ListQuery<'_>,
) -> Result<Vec<ConversationRow>, sqlx::Error> {
    let plan = plan(pool, q).await?;
    let mut sql = list_statement!(Sqlite, q, |sql| {
        match plan {
            Plan::All => {}
            Plan::Nothing => {
                sql.push(" AND FALSE");
            }
            Plan::Substring(phrase) => {
                // Matching conversations by name, or by any line a person wrote, as a rowid
                // set; the list order and the keyset cursor then apply to that set.
                sql.push(
                    " AND rowid IN (SELECT rowid FROM conversation_name_fts
                                WHERE conversation_name_fts MATCH ",
                )
                .push_bind(phrase.clone())
                .push(
                    " UNION SELECT c.rowid FROM transcript t
                     JOIN conversations c ON c.page_id = t.page_id AND c.psid = t.psid
                     WHERE t.id IN (SELECT rowid FROM transcript_fts WHERE transcript_fts MATCH ",
                )
                .push_bind(phrase)
                .push("))");
            }
            Plan::SubstringScan(pattern) => {
                // LIKE is case-insensitive for ASCII; the pattern is already lower case.
                sql.push(format!(" AND ({NAME} LIKE "))
                    .push_bind(pattern.clone())
                    .push(
                        " ESCAPE '\\' OR EXISTS (SELECT 1 FROM transcript t
                        WHERE t.page_id = conversations.page_id AND t.psid = conversations.psid
                          AND t.who IN ('user', 'agent', 'page_inbox') AND t.text LIKE ",
                    )
                    .push_bind(pattern)
                    .push(" ESCAPE '\\'))");
            }
            Plan::WordPrefix(query) => {
                sql.push(
                    " AND rowid IN (SELECT rowid FROM conversation_name_words
                                WHERE conversation_name_words MATCH ",
                )
                .push_bind(query)
                .push(")");
            }
            Plan::WordPrefixScan(pattern) => {
                sql.push(format!(" AND ' ' || {NAME} LIKE "))
                    .push_bind(pattern)
                    .push(" ESCAPE '\\'");
            }
        }
    });
    sql.build_query_as().fetch_all(pool).await
}

/// (inbox, done, all) conversation counts of the page, from the counters that triggers keep
/// in step with `conversations` (counting index entries took 5 to 15 ms at 100k).
pub async fn counts<'a>(
    db: impl Into<DbRef<'a>>,
    page_id: &str,
) -> Result<(i64, i64, i64), sqlx::Error> {
    // PostgreSQL's SUM of BIGINT is NUMERIC: cast back.
    on_db!(db, pool => {
        sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(CASE WHEN state = 'inbox' THEN n END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN state = 'done' THEN n END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(n), 0) AS BIGINT)
             FROM conversation_counts WHERE page_id = $1",
        )
        .bind(page_id)
        .fetch_one(pool)
        .await
    })
}

/// A Graph call of a conversation that failed for good.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FailedRow {
    pub kind: super::outbox::Kind,
    pub transcript_text: Option<String>,
    pub error_reason: Option<String>,
    pub at_ms: i64,
}

/// Failed outbox rows of one conversation, oldest first.
pub async fn failed_sends<'c>(
    exec: impl Into<Exec<'c>>,
    page_id: &str,
    psid: &str,
) -> Result<Vec<FailedRow>, sqlx::Error> {
    on_exec!(exec, c => {
        sqlx::query_as(
            "SELECT kind, transcript_text, error_reason, COALESCE(done_ms, created_ms) AS at_ms
             FROM outbox
             WHERE page_id = $1 AND psid = $2 AND status = 'failed' AND kind <> 'profile'
             ORDER BY id",
        )
        .bind(page_id)
        .bind(psid)
        .fetch_all(c)
        .await
    })
}

/// LIKE's wildcards and escape character, escaped (`ESCAPE '\'`).
fn like_escape(term: &str) -> String {
    term.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
