//! Conversations (one per page + user), their transcript and the handover ledger. Functions
//! take any SQLite executor so the runtime can run them inside one transaction per event.

use model::{ConversationState, HandoverCause, Speaker, ThreadOwner};
use sqlx::{Sqlite, SqliteConnection, SqlitePool};

/// A conversation as the runtime and the inbox read it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ConversationRow {
    pub page_id: String,
    pub psid: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub profile_pic: Option<String>,
    pub profile_fetched: bool,
    pub state: ConversationState,
    pub thread_owner: ThreadOwner,
    pub handover_message: Option<String>,
    pub back_to_bot_message: Option<String>,
    pub last_user_message_ms: Option<i64>,
    pub last_activity_ms: i64,
    pub last_text: Option<String>,
}

const COLUMNS: &str = "page_id, psid, first_name, last_name, profile_pic, profile_fetched, state,
    thread_owner, handover_message, back_to_bot_message, last_user_message_ms, last_activity_ms,
    last_text";

/// The conversation, created in state `bot` (owned by Baton) on first contact.
pub async fn get_or_create(
    conn: &mut SqliteConnection,
    page_id: &str,
    psid: &str,
    now_ms: i64,
) -> Result<(ConversationRow, bool), sqlx::Error> {
    let created = sqlx::query(
        "INSERT INTO conversations (page_id, psid, last_activity_ms) VALUES ($1, $2, $3)
         ON CONFLICT (page_id, psid) DO NOTHING",
    )
    .bind(page_id)
    .bind(psid)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    let row = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM conversations WHERE page_id = $1 AND psid = $2"
    ))
    .bind(page_id)
    .bind(psid)
    .fetch_one(&mut *conn)
    .await?;
    Ok((row, created))
}

pub async fn get<'e, E: sqlx::Executor<'e, Database = Sqlite>>(
    executor: E,
    page_id: &str,
    psid: &str,
) -> Result<Option<ConversationRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM conversations WHERE page_id = $1 AND psid = $2"
    ))
    .bind(page_id)
    .bind(psid)
    .fetch_optional(executor)
    .await
}

/// Records a message from the user (opens the 24 h window, bumps activity) and returns the
/// updated conversation, in one statement; `None` when the conversation does not exist.
pub async fn user_wrote(
    conn: &mut SqliteConnection,
    page_id: &str,
    psid: &str,
    at_ms: i64,
    text: &str,
) -> Result<Option<ConversationRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "UPDATE conversations SET last_user_message_ms = MAX(COALESCE(last_user_message_ms, 0), $3),
             last_activity_ms = MAX(last_activity_ms, $3), last_text = $4
         WHERE page_id = $1 AND psid = $2
         RETURNING {COLUMNS}"
    ))
    .bind(page_id)
    .bind(psid)
    .bind(at_ms)
    .bind(text)
    .fetch_optional(conn)
    .await
}

pub async fn touch(
    conn: &mut SqliteConnection,
    page_id: &str,
    psid: &str,
    at_ms: i64,
    text: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE conversations SET last_activity_ms = MAX(last_activity_ms, $3),
             last_text = COALESCE($4, last_text)
         WHERE page_id = $1 AND psid = $2",
    )
    .bind(page_id)
    .bind(psid)
    .bind(at_ms)
    .bind(text)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves the conversation to `to_state` / `owner` only if it is not already in `to_state`.
/// Returns false when it already was: the caller then does nothing (idempotent handovers,
/// also under concurrent agents, since the check and the write are one statement).
pub async fn transition(
    conn: &mut SqliteConnection,
    page_id: &str,
    psid: &str,
    to_state: ConversationState,
    owner: ThreadOwner,
    at_ms: i64,
) -> Result<bool, sqlx::Error> {
    let changed = sqlx::query(
        "UPDATE conversations SET state = $3, thread_owner = $4,
             last_activity_ms = MAX(last_activity_ms, $5)
         WHERE page_id = $1 AND psid = $2 AND state <> $3",
    )
    .bind(page_id)
    .bind(psid)
    .bind(to_state)
    .bind(owner)
    .bind(at_ms)
    .execute(conn)
    .await?;
    Ok(changed.rows_affected() == 1)
}

pub async fn set_owner(
    conn: &mut SqliteConnection,
    page_id: &str,
    psid: &str,
    owner: ThreadOwner,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE conversations SET thread_owner = $3 WHERE page_id = $1 AND psid = $2")
        .bind(page_id)
        .bind(psid)
        .bind(owner)
        .execute(conn)
        .await?;
    Ok(())
}

/// Remembers which messages belong to the current handover.
pub async fn set_handover_messages(
    conn: &mut SqliteConnection,
    page_id: &str,
    psid: &str,
    handover_message: Option<&str>,
    back_to_bot_message: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE conversations SET handover_message = COALESCE($3, handover_message),
             back_to_bot_message = COALESCE($4, back_to_bot_message)
         WHERE page_id = $1 AND psid = $2",
    )
    .bind(page_id)
    .bind(psid)
    .bind(handover_message)
    .bind(back_to_bot_message)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_profile<'e, E: sqlx::Executor<'e, Database = Sqlite>>(
    executor: E,
    page_id: &str,
    psid: &str,
    first_name: Option<&str>,
    last_name: Option<&str>,
    profile_pic: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE conversations SET first_name = $3, last_name = $4, profile_pic = $5,
             profile_fetched = TRUE
         WHERE page_id = $1 AND psid = $2",
    )
    .bind(page_id)
    .bind(psid)
    .bind(first_name)
    .bind(last_name)
    .bind(profile_pic)
    .execute(executor)
    .await?;
    Ok(())
}

/// One transcript line.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TranscriptRow {
    pub id: i64,
    pub at_ms: i64,
    pub who: Speaker,
    pub text: String,
    /// The agent who typed it (replies sent from Baton).
    pub author: Option<String>,
}

/// A line; `mid` is the Messenger message id when it has one. (Lines of calls Baton made,
/// with their agent as author, are written by `outbox::complete_many`.)
pub async fn add_transcript<'e, E: sqlx::Executor<'e, Database = Sqlite>>(
    executor: E,
    page_id: &str,
    psid: &str,
    at_ms: i64,
    who: Speaker,
    text: &str,
    mid: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO transcript (page_id, psid, at_ms, who, text, mid)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(page_id)
    .bind(psid)
    .bind(at_ms)
    .bind(who)
    .bind(text)
    .bind(mid)
    .execute(executor)
    .await?;
    Ok(())
}

/// A transcript line to add with [`add_transcripts`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLine {
    pub page_id: String,
    pub psid: String,
    pub at_ms: i64,
    pub who: Speaker,
    pub text: String,
    pub mid: Option<String>,
}

/// Adds lines for any number of conversations, one INSERT per 500 lines (6 values each, far
/// under SQLite's limit on variables). They get ids in the order given, which is the order
/// a transcript is shown in.
pub async fn add_transcripts(
    conn: &mut SqliteConnection,
    lines: &[NewLine],
) -> Result<(), sqlx::Error> {
    for chunk in lines.chunks(500) {
        let mut insert = sqlx::QueryBuilder::new(
            "INSERT INTO transcript (page_id, psid, at_ms, who, text, mid) ",
        );
        insert.push_values(chunk, |mut values, line| {
            values
                .push_bind(&line.page_id)
                .push_bind(&line.psid)
                .push_bind(line.at_ms)
                .push_bind(line.who)
                .push_bind(&line.text)
                .push_bind(&line.mid);
        });
        super::insert_rows(insert, chunk.len(), conn).await?;
    }
    Ok(())
}

pub async fn transcript(
    pool: &SqlitePool,
    page_id: &str,
    psid: &str,
) -> Result<Vec<TranscriptRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, at_ms, who, text, author FROM transcript
         WHERE page_id = $1 AND psid = $2 ORDER BY id",
    )
    .bind(page_id)
    .bind(psid)
    .fetch_all(pool)
    .await
}

/// One handover ledger entry.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LedgerRow {
    pub at_ms: i64,
    pub from_state: ConversationState,
    pub to_state: ConversationState,
    pub cause: HandoverCause,
    pub actor: Option<String>,
    pub detail: Option<String>,
}

#[allow(clippy::too_many_arguments)]
pub async fn add_ledger(
    conn: &mut SqliteConnection,
    page_id: &str,
    psid: &str,
    at_ms: i64,
    from_state: ConversationState,
    to_state: ConversationState,
    cause: HandoverCause,
    actor: Option<&str>,
    detail: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO handover_ledger (page_id, psid, at_ms, from_state, to_state, cause, actor, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(page_id)
    .bind(psid)
    .bind(at_ms)
    .bind(from_state)
    .bind(to_state)
    .bind(cause)
    .bind(actor)
    .bind(detail)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn ledger(
    pool: &SqlitePool,
    page_id: &str,
    psid: &str,
) -> Result<Vec<LedgerRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT at_ms, from_state, to_state, cause, actor, detail FROM handover_ledger
         WHERE page_id = $1 AND psid = $2 ORDER BY id",
    )
    .bind(page_id)
    .bind(psid)
    .fetch_all(pool)
    .await
}
