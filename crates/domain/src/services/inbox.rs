//! The agent inbox's read side, shared by the server functions: one page of a list and one
//! conversation's detail, mapped from repository rows to the view types in the `model` crate.
//! The actions (Mark as done, Move to inbox) are in `runtime::agent`.

use crate::clock::Clock;
use crate::storage::backend::DbRef;

use crate::storage::repo::conversations::{self as conv, ConversationRow};
use crate::storage::repo::inbox::{self, ListQuery};
use crate::storage::repo::outbox::Kind;
use crate::storage::repo::pages;
use model::AppError;
use model::{
    display_name, ConversationDetail, ConversationPage, ConversationSummary, FailedSend,
    InboxCounts, InboxCursor, InboxList, ReplyRule, TranscriptLine, WINDOW_MS,
};

/// Rows per page of a list.
pub const PAGE_SIZE: i64 = 50;

/// One page of `list` (`page_size` rows; the screens use [`PAGE_SIZE`]), filtered by
/// `search`, starting after `cursor` (`None` = first page).
pub async fn list_page<'a>(
    pool: impl Into<DbRef<'a>>,
    clock: &Clock,
    list: InboxList,
    search: &str,
    cursor: Option<&InboxCursor>,
    page_size: i64,
) -> Result<ConversationPage, AppError> {
    let pool = pool.into();
    let now_ms = clock.now_ms();
    let Some(page) = pages::current(pool).await? else {
        return Ok(ConversationPage {
            connected: false,
            items: Vec::new(),
            next_cursor: None,
            counts: InboxCounts::default(),
            now_ms,
        });
    };
    let query = ListQuery {
        page_id: &page.page_id,
        state: list.state(),
        search,
        after: cursor.map(|c| (c.last_activity_ms, c.psid.as_str())),
        // One extra row says whether there is a next page.
        limit: page_size + 1,
        index_max_hits: None,
    };
    let mut rows = inbox::list(pool, &query).await?;
    let more = rows.len() as i64 > page_size;
    rows.truncate(page_size as usize);
    let next_cursor = more
        .then(|| rows.last())
        .flatten()
        .map(|r| InboxCursor {
            last_activity_ms: r.last_activity_ms,
            psid: r.psid.clone(),
        })
        .map(|c| c.encode());
    let (inbox_n, done_n, all_n) = inbox::counts(pool, &page.page_id).await?;
    Ok(ConversationPage {
        connected: true,
        items: rows.iter().map(summary).collect(),
        next_cursor,
        counts: InboxCounts {
            inbox: inbox_n,
            done: done_n,
            all: all_n,
        },
        now_ms,
    })
}

/// Everything the conversation view shows; `NotFound` for an unknown user.
pub async fn detail<'a>(
    pool: impl Into<DbRef<'a>>,
    clock: &Clock,
    psid: &str,
) -> Result<ConversationDetail, AppError> {
    let pool = pool.into();
    let now = clock.now_ms();
    let page = pages::current(pool).await?.ok_or(AppError::NotFound)?;
    let row = conv::get(pool, &page.page_id, psid)
        .await?
        .ok_or(AppError::NotFound)?;
    let transcript = conv::transcript(pool, &page.page_id, psid)
        .await?
        .into_iter()
        .map(|t| TranscriptLine {
            who: t.who,
            text: t.text,
            at_ms: t.at_ms,
            author: t.author,
        })
        .collect();
    let ledger = conv::ledger(pool, &page.page_id, psid).await?;
    let failed_sends = inbox::failed_sends(pool, &page.page_id, psid)
        .await?
        .into_iter()
        .map(|f| FailedSend {
            at_ms: f.at_ms,
            what: kind_words(f.kind).to_owned(),
            text: f.transcript_text,
            reason: f
                .error_reason
                .unwrap_or_else(|| "The platform refused the call.".to_owned()),
        })
        .collect();
    Ok(ConversationDetail {
        summary: summary(&row),
        profile_pic: row.profile_pic.clone(),
        thread_owner: row.thread_owner,
        window_closes_ms: row.last_user_message_ms.map(|ms| ms + WINDOW_MS),
        transcript,
        ledger,
        failed_sends,
        reply: ReplyRule::for_conversation(row.thread_owner, row.last_user_message_ms, now),
        now_ms: now,
    })
}

fn summary(row: &ConversationRow) -> ConversationSummary {
    ConversationSummary {
        psid: row.psid.clone(),
        name: display_name(row.first_name.as_deref(), row.last_name.as_deref()),
        state: row.state,
        last_text: row.last_text.clone(),
        last_activity_ms: row.last_activity_ms,
    }
}

/// An outbox kind in words.
fn kind_words(kind: Kind) -> &'static str {
    match kind {
        Kind::Message => "Message",
        Kind::Typing => "Typing indicator",
        Kind::Pass => "Handing over to the Page Inbox",
        Kind::Take => "Taking the conversation back",
        Kind::Profile => "Reading the user's profile",
    }
}
