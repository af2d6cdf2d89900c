//! What agents do from Baton's inbox: **Mark as done** (take control back, then the
//! back-in-bot message) and **Move to inbox** (the handover message, then pass control to the
//! Page Inbox). Both are idempotent: the state change is one conditional UPDATE, so two agents
//! clicking at once produce one handover and one confirmation message. Both are audited.

use sqlx::SqlitePool;

use super::engine::{self, Cause, Scope};
use crate::error::AppError;
use crate::server::auth::now;
use crate::server::repo::audit::{self, Actor};
use crate::server::repo::{conversations as conv, pages};

/// What an agent action did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The conversation moved; the Graph calls are queued.
    Changed,
    /// It already was in the requested list: nothing was done.
    AlreadyThere,
}

pub async fn mark_as_done(
    pool: &SqlitePool,
    psid: &str,
    actor: &Actor,
) -> Result<Outcome, AppError> {
    act(pool, psid, actor, "done").await
}

pub async fn move_to_inbox(
    pool: &SqlitePool,
    psid: &str,
    actor: &Actor,
) -> Result<Outcome, AppError> {
    act(pool, psid, actor, "inbox").await
}

async fn act(pool: &SqlitePool, psid: &str, actor: &Actor, to: &str) -> Result<Outcome, AppError> {
    let page = pages::current(pool)
        .await?
        .ok_or_else(|| AppError::Invalid("No Facebook page is connected.".into()))?;
    let flow = crate::server::flows::published_flow(pool)
        .await?
        .map(|(_, f)| f)
        .ok_or_else(|| AppError::Invalid("Publish the bot's messages first.".into()))?;
    // BEGIN IMMEDIATE takes SQLite's write lock up front: a second agent's click waits here
    // (busy timeout) and then sees the first one's result, instead of failing to upgrade a
    // read snapshot that went stale.
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let c = conv::get(&mut *tx, &page.page_id, psid)
        .await?
        .ok_or(AppError::NotFound)?;
    let scope = Scope {
        page_id: &page.page_id,
        app_id: &page.app_id,
        flow: Some(&flow),
        now_ms: now() * 1000,
    };
    let cause = Cause {
        kind: "agent",
        actor: Some(&actor.name),
        detail: format!("agent {}", actor.name),
    };
    let (to_inbox, back) = flows::handover_messages(&flow);
    if to == "done" {
        let back = c.back_to_bot_message.clone();
        let back = back.as_deref().or(flows::handover_messages(&flow).1);
        engine::back_to_bot(&mut tx, &scope, &flow, &c, back, &cause).await?;
    } else {
        engine::hand_to_inbox(&mut tx, &scope, &flow, &c, to_inbox, back, &cause).await?;
    }
    let after = conv::get(&mut *tx, &page.page_id, psid)
        .await?
        .ok_or(AppError::NotFound)?;
    let changed = after.state != c.state;
    tx.commit().await?;
    if !changed {
        return Ok(Outcome::AlreadyThere);
    }
    let action = if to == "done" {
        "conversation.marked_done"
    } else {
        "conversation.moved_to_inbox"
    };
    audit::record(pool, actor, action, Some(psid), None, now()).await?;
    Ok(Outcome::Changed)
}
