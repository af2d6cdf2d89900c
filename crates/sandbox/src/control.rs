//! JSON control API (mounted under `/_sandbox` by `Sandbox::router`): create users, act as a
//! user or Page Inbox agent, read transcripts / thread state / deliveries, drive the clock,
//! change a page's settings, verify the webhook callback.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::actors::Tap;
use crate::fail::SandboxError;
use crate::handle::Sandbox;
use crate::settings::PageUpdate;

type Res = Result<Json<Value>, SandboxError>;

pub(crate) fn router(sandbox: Sandbox) -> Router {
    Router::new()
        .route("/state", get(state))
        .route("/users", get(users).post(create_user))
        .route("/users/{psid}", get(user).delete(remove_user))
        .route("/users/{psid}/menu", post(menu))
        .route("/users/{psid}/say", post(say))
        .route("/users/{psid}/tap", post(tap))
        .route("/users/{psid}/get_started", post(get_started))
        .route("/users/{psid}/transcript", get(transcript))
        .route("/users/{psid}/thread", get(thread))
        .route("/users/{psid}/agent/say", post(agent_say))
        .route("/users/{psid}/agent/done", post(agent_done))
        .route("/users/{psid}/agent/move_to_inbox", post(agent_move))
        .route("/clock/advance", post(advance))
        .route("/callback", put(set_callback))
        .route("/settings", put(settings))
        .route("/deliveries", get(deliveries))
        .route("/settle", post(settle))
        .route("/pages/{page_id}", get(page).put(update_page))
        .route("/app/verify_webhook", post(verify_webhook))
        .with_state(sandbox)
}

fn ok(v: impl serde::Serialize) -> Res {
    Ok(Json(serde_json::to_value(v).unwrap_or_default()))
}

async fn state(State(sb): State<Sandbox>) -> Res {
    let w = sb.lock();
    let pages: Vec<Value> = w
        .pages
        .values()
        .map(|p| json!({"id": p.settings.id, "name": p.settings.name, "subscribed_fields": p.settings.subscribed_fields}))
        .collect();
    let users: Vec<_> = w.users.values().map(|u| u.user.clone()).collect();
    let takes = w.inbox_takes_directly;
    drop(w);
    ok(json!({
        "app_id": sb.app_id(),
        "pages": pages,
        "users": users,
        "callback_url": sb.callback_url(),
        "clock_offset_ms": sb.clock().offset().as_millis() as u64,
        "now_ms": sb.clock().now_ms(),
        "inbox_takes_directly": takes,
    }))
}

async fn users(State(sb): State<Sandbox>) -> Res {
    ok(sb.users())
}

/// Parses an optional JSON body: empty (or whitespace) means `T::default()`.
fn body_or_default<T: DeserializeOwned + Default>(body: &Bytes) -> Result<T, SandboxError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| SandboxError::Invalid(format!("bad JSON body: {e}")))
}

async fn create_user(State(sb): State<Sandbox>, body: Bytes) -> Res {
    ok(sb.create_user(body_or_default(&body)?)?)
}

async fn user(State(sb): State<Sandbox>, Path(psid): Path<String>) -> Res {
    ok(
        json!({"user": sb.user(&psid)?, "thread": sb.thread(&psid)?, "typing": sb.is_typing(&psid)?}),
    )
}

async fn remove_user(State(sb): State<Sandbox>, Path(psid): Path<String>) -> Res {
    ok(json!({"removed": sb.remove_user(&psid)?}))
}

#[derive(Deserialize)]
struct MenuItem {
    index: usize,
}

async fn menu(State(sb): State<Sandbox>, Path(psid): Path<String>, Json(m): Json<MenuItem>) -> Res {
    ok(json!({"mid": sb.user_taps_menu(&psid, m.index)?}))
}

#[derive(Deserialize)]
struct Text {
    text: String,
}

#[derive(Deserialize, Default)]
struct Meta {
    metadata: Option<String>,
}

async fn say(State(sb): State<Sandbox>, Path(psid): Path<String>, Json(b): Json<Text>) -> Res {
    ok(json!({"mid": sb.user_says(&psid, &b.text)?}))
}

async fn tap(State(sb): State<Sandbox>, Path(psid): Path<String>, Json(t): Json<Tap>) -> Res {
    ok(json!({"mid": sb.user_taps(&psid, &t)?}))
}

async fn get_started(State(sb): State<Sandbox>, Path(psid): Path<String>) -> Res {
    ok(json!({"mid": sb.user_get_started(&psid)?}))
}

async fn transcript(State(sb): State<Sandbox>, Path(psid): Path<String>) -> Res {
    ok(sb.transcript(&psid)?)
}

async fn thread(State(sb): State<Sandbox>, Path(psid): Path<String>) -> Res {
    ok(sb.thread(&psid)?)
}

async fn agent_say(
    State(sb): State<Sandbox>,
    Path(psid): Path<String>,
    Json(b): Json<Text>,
) -> Res {
    ok(json!({"mid": sb.agent_says(&psid, &b.text)?}))
}

async fn agent_done(State(sb): State<Sandbox>, Path(psid): Path<String>, body: Bytes) -> Res {
    let m: Meta = body_or_default(&body)?;
    sb.inbox_done(&psid, m.metadata.as_deref())?;
    ok(sb.thread(&psid)?)
}

async fn agent_move(State(sb): State<Sandbox>, Path(psid): Path<String>, body: Bytes) -> Res {
    let m: Meta = body_or_default(&body)?;
    sb.inbox_move_to_inbox(&psid, m.metadata.as_deref())?;
    ok(sb.thread(&psid)?)
}

#[derive(Deserialize)]
struct Advance {
    #[serde(default)]
    seconds: u64,
    #[serde(default)]
    hours: u64,
}

async fn advance(State(sb): State<Sandbox>, Json(a): Json<Advance>) -> Res {
    sb.advance(Duration::from_secs(a.seconds + a.hours * 3600));
    ok(json!({"now_ms": sb.clock().now_ms(), "offset_ms": sb.clock().offset().as_millis() as u64}))
}

#[derive(Deserialize)]
struct Callback {
    url: Option<String>,
}

async fn set_callback(State(sb): State<Sandbox>, Json(c): Json<Callback>) -> Res {
    if sb.callback_url_fixed() {
        return Err(SandboxError::Fixed(
            "the callback URL is fixed to this Baton's own /webhook".into(),
        ));
    }
    sb.set_callback_url(c.url);
    ok(json!({"callback_url": sb.callback_url()}))
}

#[derive(Deserialize)]
struct Settings {
    inbox_takes_directly: bool,
}

async fn settings(State(sb): State<Sandbox>, Json(s): Json<Settings>) -> Res {
    sb.set_inbox_takes_directly(s.inbox_takes_directly);
    ok(json!({"inbox_takes_directly": s.inbox_takes_directly}))
}

async fn deliveries(State(sb): State<Sandbox>) -> Res {
    ok(sb.deliveries())
}

async fn settle(State(sb): State<Sandbox>) -> Res {
    sb.settle().await;
    ok(json!({"settled": true}))
}

async fn page(State(sb): State<Sandbox>, Path(page_id): Path<String>) -> Res {
    ok(sb
        .page_settings(&page_id)
        .ok_or(SandboxError::UnknownPage(page_id))?)
}

async fn update_page(State(sb): State<Sandbox>, Path(page_id): Path<String>, body: Bytes) -> Res {
    let update: PageUpdate = body_or_default(&body)?;
    ok(sb.update_page(&page_id, update)?)
}

#[derive(Deserialize)]
struct VerifyWebhook {
    verify_token: String,
    #[serde(default)]
    callback_url: Option<String>,
}

async fn verify_webhook(State(sb): State<Sandbox>, body: Bytes) -> Res {
    let v: VerifyWebhook = serde_json::from_slice(&body)
        .map_err(|e| SandboxError::Invalid(format!("bad JSON body: {e}")))?;
    ok(sb
        .verify_webhook(&v.verify_token, v.callback_url.as_deref())
        .await?)
}
