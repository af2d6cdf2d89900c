//! Conversations (one per page + user), their transcript and the handover ledger. Functions
//! take an [`Exec`] (a pool, or a connection in the caller's transaction, of either backend)
//! so the runtime can run them inside one transaction per batch of events.

use model::{ConversationState, HandoverCause, LedgerEntry, Speaker, ThreadOwner};

use crate::storage::backend::on_exec;
use crate::storage::backend::{Exec, PerBackend};
use crate::storage::repo::multi_row;

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
    /// When the bot said it is an automated assistant (`None`: not yet).
    pub disclosed_ms: Option<i64>,
}

const COLUMNS: &str = "page_id, psid, first_name, last_name, profile_pic, profile_fetched, state,
    thread_owner, handover_message, back_to_bot_message, last_user_message_ms, last_activity_ms,
    last_text, disclosed_ms";

/// The conversation, created in state `bot` (owned by Baton) on first contact.
pub async fn get_or_create<'c>(
    exec: impl Into<Exec<'c>>,
    page_id: &str,
    psid: &str,
    now_ms: i64,
) -> Result<(ConversationRow, bool), sqlx::Error> {
    let mut exec = exec.into();
    let created = on_exec!(exec.reborrow(), c => {
        sqlx::query(
            "INSERT INTO conversations (page_id, psid, last_activity_ms) VALUES ($1, $2, $3)
             ON CONFLICT (page_id, psid) DO NOTHING",
        )
        .bind(page_id)
        .bind(psid)
        .bind(now_ms)
        .execute(c)
        .await?
        .rows_affected()
    }) == 1;
    let sql = format!("SELECT {COLUMNS} FROM conversations WHERE page_id = $1 AND psid = $2");
    let row = on_exec!(exec, c => {
        sqlx::query_as(&sql).bind(page_id).bind(psid).fetch_one(c).await?
    });
    Ok((row, created))
}

pub async fn get<'c>(
    exec: impl Into<Exec<'c>>,
    page_id: &str,
    psid: &str,
) -> Result<Option<ConversationRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM conversations WHERE page_id = $1 AND psid = $2");
    on_exec!(exec, c => sqlx::query_as(&sql).bind(page_id).bind(psid).fetch_optional(c).await)
}

/// [`get`] inside a write transaction that is about to change the conversation from what it
/// reads: on PostgreSQL the row stays locked until the transaction ends, so another
/// instance's change waits instead of being overwritten from a stale read (on SQLite the
/// write transaction already excludes every other writer).
pub async fn get_for_update<'c>(
    exec: impl Into<Exec<'c>>,
    page_id: &str,
    psid: &str,
) -> Result<Option<ConversationRow>, sqlx::Error> {
    let exec = exec.into();
    let lock = match exec.backend() {
        crate::storage::backend::Backend::Sqlite => "",
        crate::storage::backend::Backend::Postgres => " FOR UPDATE",
    };
    let sql = format!("SELECT {COLUMNS} FROM conversations WHERE page_id = $1 AND psid = $2{lock}");
    on_exec!(exec, c => sqlx::query_as(&sql).bind(page_id).bind(psid).fetch_optional(c).await)
}

/// Records a message from the user (opens the 24 h window, bumps activity) and returns the
/// updated conversation, in one statement; `None` when the conversation does not exist.
pub async fn user_wrote<'c>(
    exec: impl Into<Exec<'c>>,
    page_id: &str,
    psid: &str,
    at_ms: i64,
    text: &str,
) -> Result<Option<ConversationRow>, sqlx::Error> {
    // The conversation's columns, spelled out: a const cannot be built with format!.
    const USER_WROTE: PerBackend = PerBackend {
        sqlite: "UPDATE conversations
                 SET last_user_message_ms = MAX(COALESCE(last_user_message_ms, 0), $3),
                     last_activity_ms = MAX(last_activity_ms, $3), last_text = $4
                 WHERE page_id = $1 AND psid = $2
                 RETURNING page_id, psid, first_name, last_name, profile_pic, profile_fetched,
                     state, thread_owner, handover_message, back_to_bot_message,
                     last_user_message_ms, last_activity_ms, last_text, disclosed_ms",
        postgres: "UPDATE conversations
                 SET last_user_message_ms = GREATEST(COALESCE(last_user_message_ms, 0), $3),
                     last_activity_ms = GREATEST(last_activity_ms, $3), last_text = $4
                 WHERE page_id = $1 AND psid = $2
                 RETURNING page_id, psid, first_name, last_name, profile_pic, profile_fetched,
                     state, thread_owner, handover_message, back_to_bot_message,
                     last_user_message_ms, last_activity_ms, last_text, disclosed_ms",
    };
    let exec = exec.into();
    let sql = USER_WROTE.get(exec.backend());
    on_exec!(exec, c => {
        sqlx::query_as(sql)
            .bind(page_id)
            .bind(psid)
            .bind(at_ms)
            .bind(text)
            .fetch_optional(c)
            .await
    })
}

pub async fn touch<'c>(
    exec: impl Into<Exec<'c>>,
    page_id: &str,
    psid: &str,
    at_ms: i64,
    text: Option<&str>,
) -> Result<(), sqlx::Error> {
    const TOUCH: PerBackend = PerBackend {
        sqlite: "UPDATE conversations SET last_activity_ms = MAX(last_activity_ms, $3),
                     last_text = COALESCE($4, last_text)
                 WHERE page_id = $1 AND psid = $2",
        postgres: "UPDATE conversations SET last_activity_ms = GREATEST(last_activity_ms, $3),
                     last_text = COALESCE($4, last_text)
                 WHERE page_id = $1 AND psid = $2",
    };
    let exec = exec.into();
    let sql = TOUCH.get(exec.backend());
    on_exec!(exec, c => {
        sqlx::query(sql)
            .bind(page_id)
            .bind(psid)
            .bind(at_ms)
            .bind(text)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Moves the conversation to `to_state` / `owner` only if it is not already in `to_state`.
/// Returns false when it already was: the caller then does nothing (idempotent handovers,
/// also under concurrent agents, since the check and the write are one statement).
pub async fn transition<'c>(
    exec: impl Into<Exec<'c>>,
    page_id: &str,
    psid: &str,
    to_state: ConversationState,
    owner: ThreadOwner,
    at_ms: i64,
) -> Result<bool, sqlx::Error> {
    const TRANSITION: PerBackend = PerBackend {
        sqlite: "UPDATE conversations SET state = $3, thread_owner = $4,
                     last_activity_ms = MAX(last_activity_ms, $5)
                 WHERE page_id = $1 AND psid = $2 AND state <> $3",
        postgres: "UPDATE conversations SET state = $3, thread_owner = $4,
                     last_activity_ms = GREATEST(last_activity_ms, $5)
                 WHERE page_id = $1 AND psid = $2 AND state <> $3",
    };
    let exec = exec.into();
    let sql = TRANSITION.get(exec.backend());
    let changed = on_exec!(exec, c => {
        sqlx::query(sql)
            .bind(page_id)
            .bind(psid)
            .bind(to_state)
            .bind(owner)
            .bind(at_ms)
            .execute(c)
            .await?
            .rows_affected()
    });
    Ok(changed == 1)
}

pub async fn set_owner<'c>(
    exec: impl Into<Exec<'c>>,
    page_id: &str,
    psid: &str,
    owner: ThreadOwner,
) -> Result<(), sqlx::Error> {
    on_exec!(exec, c => {
        sqlx::query("UPDATE conversations SET thread_owner = $3 WHERE page_id = $1 AND psid = $2")
            .bind(page_id)
            .bind(psid)
            .bind(owner)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Records that the bot disclosure went out (or is queued) at `at_ms`.
pub async fn mark_disclosed<'c>(
    exec: impl Into<Exec<'c>>,
    page_id: &str,
    psid: &str,
    at_ms: i64,
) -> Result<(), sqlx::Error> {
    on_exec!(exec, c => {
        sqlx::query("UPDATE conversations SET disclosed_ms = $3 WHERE page_id = $1 AND psid = $2")
            .bind(page_id)
            .bind(psid)
            .bind(at_ms)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// When the conversation last changed list (its newest ledger entry), if ever.
pub async fn last_move_ms<'c>(
    exec: impl Into<Exec<'c>>,
    page_id: &str,
    psid: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let row: (Option<i64>,) = on_exec!(exec, c => {
        sqlx::query_as(
            "SELECT MAX(at_ms) FROM handover_ledger WHERE page_id = $1 AND psid = $2",
        )
        .bind(page_id)
        .bind(psid)
        .fetch_one(c)
        .await?
    });
    Ok(row.0)
}

/// Remembers which messages belong to the current handover.
pub async fn set_handover_messages<'c>(
    exec: impl Into<Exec<'c>>,
    page_id: &str,
    psid: &str,
    handover_message: Option<&str>,
    back_to_bot_message: Option<&str>,
) -> Result<(), sqlx::Error> {
    on_exec!(exec, c => {
        sqlx::query(
            "UPDATE conversations SET handover_message = COALESCE($3, handover_message),
                 back_to_bot_message = COALESCE($4, back_to_bot_message)
             WHERE page_id = $1 AND psid = $2",
        )
        .bind(page_id)
        .bind(psid)
        .bind(handover_message)
        .bind(back_to_bot_message)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn set_profile<'c>(
    exec: impl Into<Exec<'c>>,
    page_id: &str,
    psid: &str,
    first_name: Option<&str>,
    last_name: Option<&str>,
    profile_pic: Option<&str>,
) -> Result<(), sqlx::Error> {
    on_exec!(exec, c => {
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
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
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
pub async fn add_transcript<'c>(
    exec: impl Into<Exec<'c>>,
    page_id: &str,
    psid: &str,
    at_ms: i64,
    who: Speaker,
    text: &str,
    mid: Option<&str>,
) -> Result<(), sqlx::Error> {
    on_exec!(exec, c => {
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
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
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
pub async fn add_transcripts<'c>(
    exec: impl Into<Exec<'c>>,
    lines: &[NewLine],
) -> Result<(), sqlx::Error> {
    let mut exec = exec.into();
    for chunk in lines.chunks(500) {
        on_exec!(exec.reborrow(), c => {
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
            multi_row::statement(&mut insert, chunk.len()).execute(c).await?.rows_affected()
        });
    }
    Ok(())
}

pub async fn transcript<'c>(
    exec: impl Into<Exec<'c>>,
    page_id: &str,
    psid: &str,
) -> Result<Vec<TranscriptRow>, sqlx::Error> {
    on_exec!(exec, c => {
        sqlx::query_as(
            "SELECT id, at_ms, who, text, author FROM transcript
             WHERE page_id = $1 AND psid = $2 ORDER BY id",
        )
        .bind(page_id)
        .bind(psid)
        .fetch_all(c)
        .await
    })
}

#[allow(clippy::too_many_arguments)]
pub async fn add_ledger<'c>(
    exec: impl Into<Exec<'c>>,
    page_id: &str,
    psid: &str,
    at_ms: i64,
    from_state: ConversationState,
    to_state: ConversationState,
    cause: HandoverCause,
    actor: Option<&str>,
    detail: Option<&str>,
) -> Result<(), sqlx::Error> {
    on_exec!(exec, c => {
        sqlx::query(
            "INSERT INTO handover_ledger
                 (page_id, psid, at_ms, from_state, to_state, cause, actor, detail)
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
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn ledger<'c>(
    exec: impl Into<Exec<'c>>,
    page_id: &str,
    psid: &str,
) -> Result<Vec<LedgerEntry>, sqlx::Error> {
    on_exec!(exec, c => {
        sqlx::query_as(
            "SELECT at_ms, from_state, to_state, cause, actor, detail FROM handover_ledger
             WHERE page_id = $1 AND psid = $2 ORDER BY id",
        )
        .bind(page_id)
        .bind(psid)
        .fetch_all(c)
        .await
    })
}
