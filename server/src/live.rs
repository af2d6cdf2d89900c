//! `GET /api/inbox/events`: server-sent events for open inbox screens. Each `change` event
//! carries the PSID of a conversation that changed; `resync` asks the browser to reload
//! everything (it fell behind). Only signed-in users whose role works the inbox may listen.
//! Browsers' EventSource reconnects by itself after a network loss.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast::error::RecvError;

use app::model::Permission;
use app::server::AppState;

use crate::session::require;

pub async fn inbox_events(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(refused) = require(&state, &headers, Permission::WorkInbox).await {
        return refused;
    }
    Sse::new(changes(state.live.subscribe()))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

fn changes(
    rx: tokio::sync::broadcast::Receiver<String>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(rx, |mut rx| async move {
        let event = match rx.recv().await {
            Ok(psid) => Event::default().event("change").data(psid),
            Err(RecvError::Lagged(_)) => Event::default().event("resync").data(""),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(event), rx))
    })
}
