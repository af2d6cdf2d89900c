//! `GET /api/inbox/events`: server-sent events for open inbox screens. Each `change` event
//! carries the PSID of a conversation that changed; `resync` asks the browser to reload
//! everything (it fell behind). Only signed-in users whose role works the inbox may listen.
//! Browsers' EventSource reconnects by itself after a network loss. A stream ends when its
//! session does (sign-out, expiry, the user disabled or moved to a role without the inbox),
//! checked every few seconds, and a user may hold a few streams at once (browser tabs), not
//! an unbounded number.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast::error::RecvError;

use app::model::Permission;
use app::server::AppState;
use domain::auth::{token_from_headers, token_hash};
use domain::live::{StreamSlot, MAX_STREAMS_PER_USER};
use domain::repo::sessions;

use crate::session::require;

pub async fn inbox_events(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let user = match require(&state, &headers, Permission::WorkInbox).await {
        Ok(user) => user,
        Err(refused) => return refused,
    };
    let Some(slot) = state.live.open_stream(user.id) else {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "You have the Inbox open in {MAX_STREAMS_PER_USER} windows already; close one."
            ),
        )
            .into_response();
    };
    let token_hash = token_from_headers(&headers)
        .map(|t| token_hash(&t))
        .unwrap_or_default();
    let watch = Watch {
        rx: state.live.subscribe(),
        live: state.live.clone(),
        check: tokio::time::interval_at(tokio::time::Instant::now() + SESSION_CHECK, SESSION_CHECK),
        pool: state.pool.clone(),
        clock: state.clock.clone(),
        token_hash,
        _slot: slot,
    };
    Sse::new(changes(watch))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// How often an open stream checks that its session still lets it listen.
pub const SESSION_CHECK: Duration = Duration::from_secs(5);

/// What an open stream holds: its notifications, the session check and its place.
struct Watch {
    rx: tokio::sync::broadcast::Receiver<String>,
    live: domain::live::Live,
    check: tokio::time::Interval,
    pool: domain::backend::Db,
    clock: domain::Clock,
    token_hash: String,
    _slot: StreamSlot,
}

/// Still signed in, enabled (sessions of disabled users are deleted) and allowed to listen.
async fn still_allowed(w: &Watch) -> bool {
    match sessions::user_for(&w.pool, &w.token_hash, w.clock.now()).await {
        Ok(Some(user)) => user.role().can(Permission::WorkInbox),
        Ok(None) => false,
        // A database hiccup does not end the stream; the next check decides.
        Err(_) => true,
    }
}

/// The notifications as SSE events; ends when the session ends (sign-out, expiry, the user
/// disabled or their role changed), checked every [`SESSION_CHECK`], or when the server
/// shuts down.
fn changes(watch: Watch) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(watch, |mut w| async move {
        loop {
            let event = tokio::select! {
                received = w.rx.recv() => match received {
                    Ok(psid) => Event::default().event("change").data(psid),
                    Err(RecvError::Lagged(_)) => Event::default().event("resync").data(""),
                    Err(RecvError::Closed) => return None,
                },
                _ = w.check.tick() => {
                    if still_allowed(&w).await {
                        continue;
                    }
                    return None;
                }
                // The server is stopping; the browser reconnects to another instance or
                // once this one is back.
                () = w.live.closed() => return None,
            };
            return Some((Ok(event), w));
        }
    })
}
