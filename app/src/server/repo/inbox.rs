//! The agent inbox's queries: one page of a list (newest activity first, keyset pagination on
//! `(last_activity_ms, psid)`, both descending so one index range scan serves each page),
//! optional search by name or last text, the count of each list, and a conversation's
//! failed Graph calls.

use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use super::conversations::ConversationRow;

/// Which rows one page asks for.
#[derive(Debug, Clone, Default)]
pub struct ListQuery<'a> {
    pub page_id: &'a str,
    /// `Some("inbox")` / `Some("done")`, `None` = every state.
    pub state: Option<&'a str>,
    /// Case-insensitive substring of the name or the last text; empty = no filter.
    pub search: &'a str,
    /// (last_activity_ms, psid) of the last row of the previous page.
    pub after: Option<(i64, &'a str)>,
    pub limit: i64,
}

/// Rows of one page, at most `limit`, newest activity first (ties: psid descending). The
/// statement only holds the conditions in use, so SQLite picks the matching index.
pub async fn list(
    pool: &SqlitePool,
    q: &ListQuery<'_>,
) -> Result<Vec<ConversationRow>, sqlx::Error> {
    let mut sql = QueryBuilder::<Sqlite>::new(
        "SELECT page_id, psid, first_name, last_name, profile_pic, profile_fetched, state,
                thread_owner, handover_message, back_to_bot_message, last_user_message_ms,
                last_activity_ms, last_text
         FROM conversations WHERE page_id = ",
    );
    sql.push_bind(q.page_id);
    if let Some(state) = q.state {
        sql.push(" AND state = ").push_bind(state);
    }
    if let Some((ms, psid)) = q.after {
        sql.push(" AND (last_activity_ms, psid) < (")
            .push_bind(ms)
            .push(", ")
            .push_bind(psid)
            .push(")");
    }
    if let Some(pattern) = like_pattern(q.search) {
        sql.push(" AND (LOWER(COALESCE(first_name, '') || ' ' || COALESCE(last_name, '')) LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR LOWER(COALESCE(last_text, '')) LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
    }
    sql.push(" ORDER BY last_activity_ms DESC, psid DESC LIMIT ")
        .push_bind(q.limit);
    sql.build_query_as().fetch_all(pool).await
}

/// (inbox, done, all) conversation counts of the page: three index-only counts (a single
/// `SUM(CASE ...)` pass reads every row and took ~20 ms at 100k conversations).
pub async fn counts(pool: &SqlitePool, page_id: &str) -> Result<(i64, i64, i64), sqlx::Error> {
    sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM conversations WHERE page_id = $1 AND state = 'inbox'),
                (SELECT COUNT(*) FROM conversations WHERE page_id = $1 AND state = 'done'),
                (SELECT COUNT(*) FROM conversations WHERE page_id = $1)",
    )
    .bind(page_id)
    .fetch_one(pool)
    .await
}

/// A Graph call of a conversation that failed for good.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FailedRow {
    pub kind: String,
    pub transcript_text: Option<String>,
    pub error_reason: Option<String>,
    pub at_ms: i64,
}

/// Failed outbox rows of one conversation, oldest first.
pub async fn failed_sends(
    pool: &SqlitePool,
    page_id: &str,
    psid: &str,
) -> Result<Vec<FailedRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT kind, transcript_text, error_reason, COALESCE(done_ms, created_ms) AS at_ms
         FROM outbox WHERE page_id = $1 AND psid = $2 AND status = 'failed' AND kind <> 'profile'
         ORDER BY id",
    )
    .bind(page_id)
    .bind(psid)
    .fetch_all(pool)
    .await
}

/// `%term%` in lower case with LIKE's wildcards escaped; `None` for a blank search.
fn like_pattern(search: &str) -> Option<String> {
    let term = search.trim().to_lowercase();
    if term.is_empty() {
        return None;
    }
    let escaped = term
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Some(format!("%{escaped}%"))
}
