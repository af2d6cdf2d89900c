//! The Messenger webhook. `GET /webhook` answers Facebook's verification handshake with the
//! connected page's verify token. `POST /webhook` checks X-Hub-Signature-256 over the raw
//! bytes with the page's app secret, stores the delivery and each of its events durably
//! (deduplicated), and only then answers 200; the runtime worker processes stored events
//! later. Answers: 403 bad/missing signature or no page connected, 400 not JSON, 413 over
//! 1 MiB, 503 when storing fails (Facebook retries); never 500 for bad input.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use subtle::ConstantTimeEq;
use tracing::Instrument;

use app::server::AppState;
use domain::repo::webhook_events::{NewDelivery, NewEvent};
use domain::repo::{pages, setup};
use messenger::signature;
use messenger::webhook::{self, Channel, Event, EventKind};

/// Largest delivery accepted; Facebook's batches are far smaller.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/webhook", get(verify).post(receive))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

#[derive(Debug, Deserialize)]
struct Handshake {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

fn plain(status: StatusCode, text: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text.to_owned(),
    )
        .into_response()
}

async fn verify(State(state): State<AppState>, Query(q): Query<Handshake>) -> Response {
    let page = match pages::current(&state.pool).await {
        Ok(page) => page,
        Err(err) => {
            tracing::error!(error = %err, "webhook verification: database unavailable");
            return plain(StatusCode::SERVICE_UNAVAILABLE, "database unavailable");
        }
    };
    let token_ok = match (&page, &q.verify_token) {
        (Some(page), Some(given)) => bool::from(
            page.verify_token
                .expose()
                .as_bytes()
                .ct_eq(given.as_bytes()),
        ),
        _ => false,
    };
    let accepted = matches!(
        (q.mode.as_deref(), token_ok, &q.challenge),
        (Some("subscribe"), true, Some(_))
    );
    // The setup wizard's "waiting for Facebook's verification" light reads these times.
    if page.is_some() {
        if let Err(err) = setup::record_handshake(&state.pool, accepted, state.clock.now()).await {
            tracing::warn!(error = %err, "webhook handshake not recorded");
        }
    }
    match (accepted, q.challenge) {
        (true, Some(challenge)) => {
            tracing::info!("webhook verified by Facebook");
            plain(StatusCode::OK, &challenge)
        }
        _ => {
            tracing::warn!("webhook verification refused (wrong mode, token or no page)");
            plain(StatusCode::FORBIDDEN, "verification failed")
        }
    }
}

/// One delivery's span: its id (known once stored) and page. The events it carries get spans
/// of their own naming this delivery id, and their Graph calls name the event id, so
/// `RUST_LOG=server=debug,domain=debug` follows one message from here to the Graph API
/// (docs/architecture.md, "Following one message").
async fn receive(state: State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let span = tracing::debug_span!(
        "delivery",
        delivery = tracing::field::Empty,
        page = tracing::field::Empty,
        bytes = body.len(),
    );
    receive_in(state, headers, body).instrument(span).await
}

async fn receive_in(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let span = tracing::Span::current();
    let page = match state.page.current(&state.pool).await {
        Ok(Some(page)) => page,
        Ok(None) => return plain(StatusCode::FORBIDDEN, "no page is connected"),
        Err(err) => {
            tracing::error!(error = %err, "webhook: database unavailable");
            return plain(StatusCode::SERVICE_UNAVAILABLE, "try again later");
        }
    };
    let given = headers
        .get(signature::HEADER_SHA256)
        .and_then(|v| v.to_str().ok());
    span.record("page", tracing::field::display(&page.page_id));
    if let Err(err) = signature::verify(page.app_secret.expose().as_bytes(), &body, given) {
        tracing::warn!(reason = %err, "webhook delivery refused");
        return plain(StatusCode::FORBIDDEN, "invalid signature");
    }
    let envelope = match webhook::parse(&body) {
        Ok(envelope) => envelope,
        Err(err) => {
            tracing::warn!(reason = %err, "webhook delivery is not JSON");
            return plain(StatusCode::BAD_REQUEST, "body is not a JSON object");
        }
    };
    // Only Messenger events of the connected page are answered. An Instagram delivery to the
    // same app, or an entry for another page of the app, is kept as ignored: answering it
    // would use the connected page's token for someone else's conversation.
    let messenger = envelope.object == "page";
    let events: Vec<NewEvent> = envelope
        .events()
        .map(|(page_id, channel, event)| {
            let ours = messenger && page_id == page.page_id;
            new_event(page_id, channel, event, ours)
        })
        .collect();
    // The body passed the signature check and parsed as JSON, so it is UTF-8.
    let delivery = NewDelivery {
        object: Some(envelope.object.clone()),
        body: String::from_utf8_lossy(&body).into_owned(),
        events,
    };
    match state.ingest.store(delivery).await {
        Ok(stored) => {
            span.record("delivery", stored.delivery_id);
            tracing::debug!(
                new = stored.new_events,
                duplicates = stored.duplicates,
                "webhook delivery stored"
            );
            plain(StatusCode::OK, "EVENT_RECEIVED")
        }
        Err(err) => {
            tracing::error!(error = %err, "webhook delivery could not be stored; Facebook will retry");
            plain(StatusCode::SERVICE_UNAVAILABLE, "try again later")
        }
    }
}

fn new_event(page_id: &str, channel: Channel, event: &Event, ours: bool) -> NewEvent {
    NewEvent {
        dedupe_key: event.dedupe_key(),
        page_id: page_id.to_owned(),
        channel: channel.as_str(),
        kind: event.kind.name().to_owned(),
        sender_id: event.sender.clone(),
        recipient_id: event.recipient.clone(),
        timestamp_ms: event.timestamp,
        payload: event.raw.to_string(),
        actionable: ours && is_actionable(&event.kind),
    }
}

/// Kinds the runtime acts on or records in transcripts; the rest are stored as ignored.
fn is_actionable(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Message(_)
            | EventKind::Echo(_)
            | EventKind::Postback(_)
            | EventKind::Referral(_)
            | EventKind::PassThreadControl(_)
            | EventKind::TakeThreadControl(_)
            | EventKind::RequestThreadControl(_)
            | EventKind::AppRoles(_)
    )
}
