//! Who an access token belongs to (a page, the sandbox user, an expired session, nobody),
//! the user token's own `GET /me`, and `GET /debug_token` (§8 of the platform doc).

use std::collections::HashMap;

use axum::http::Method;
use serde_json::{json, Value};

use super::call::{fields, wants_metadata, GraphResult};
use crate::config::{
    DEFAULT_SCOPES, EXPIRED_TOKEN, SANDBOX_USER_ID, SANDBOX_USER_NAME, USER_TOKEN,
};
use crate::fail::{session_expired_text, GraphFail, SESSION_EXPIRED_AT};
use crate::handle::Sandbox;

/// Lifetime the sandbox gives [`USER_TOKEN`] in `debug_token` (a long-lived user token).
const USER_TOKEN_DAYS: i64 = 60;

/// A usable token's holder.
pub(super) enum Holder {
    /// A page token (its page id).
    Page(String),
    /// [`USER_TOKEN`].
    User,
}

/// Classifies the access token of a Graph call: unknown tokens get Meta's invalid-token
/// error, expired ones (a page's with `token_expired`, or [`EXPIRED_TOKEN`]) 190/463.
pub(super) fn holder(sb: &Sandbox, token: &str) -> Result<Holder, GraphFail> {
    let now = sb.clock().now_ms();
    match token {
        EXPIRED_TOKEN => return Err(GraphFail::session_expired(now)),
        USER_TOKEN => return Ok(Holder::User),
        _ => {}
    }
    let w = sb.lock();
    match w.page_by_token(token) {
        Some(p) if p.settings.token_expired => Err(GraphFail::session_expired(now)),
        Some(p) => Ok(Holder::Page(p.settings.id.clone())),
        None => Err(GraphFail::invalid_token()),
    }
}

/// A call made with [`USER_TOKEN`]: only the user's own node answers (`id`, `name`); page
/// edges and page fields need a page token (code 210).
pub(super) fn user_call(
    segs: &[&str],
    method: &Method,
    query: &HashMap<String, String>,
) -> GraphResult {
    match segs {
        [node] if *method == Method::GET && (*node == "me" || *node == SANDBOX_USER_ID) => {
            let mut out = json!({"id": SANDBOX_USER_ID});
            for f in fields(query) {
                match f {
                    "id" => {}
                    "name" => out["name"] = json!(SANDBOX_USER_NAME),
                    // A page field asked with a user token: a page token is needed.
                    "messaging_feature_status" => return Err(GraphFail::page_token_required()),
                    other => return Err(GraphFail::nonexisting_field(other, "User")),
                }
            }
            if wants_metadata(query) {
                out["metadata"] = json!({"type": "user"});
            }
            Ok(out)
        }
        _ => Err(GraphFail::page_token_required()),
    }
}

/// Checks the app token `<app id>|<app secret>` of a `debug_token` call.
fn check_app_token(sb: &Sandbox, access_token: &str) -> Result<(), GraphFail> {
    match access_token.split_once('|') {
        Some((id, secret)) if id == sb.app_id() => {
            if secret == sb.inner.app_secret.expose() {
                Ok(())
            } else {
                Err(GraphFail::bad_client_secret())
            }
        }
        _ => Err(GraphFail::bad_app_token()),
    }
}

/// `GET /debug_token?input_token=T&access_token=<app id>|<app secret>`: `{"data": {...}}`.
pub(super) fn debug_token(
    sb: &Sandbox,
    method: &Method,
    access_token: &str,
    query: &HashMap<String, String>,
) -> GraphResult {
    if *method != Method::GET {
        return Err(GraphFail::unknown_path("debug_token"));
    }
    check_app_token(sb, access_token)?;
    let input = query
        .get("input_token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| GraphFail::invalid_param("The parameter input_token is required"))?;
    let now_ms = sb.clock().now_ms();
    let app = json!({"app_id": sb.app_id(), "application": sb.app_name()});
    let expired_error =
        json!({"code": 190, "subcode": 463, "message": session_expired_text(now_ms)});
    let w = sb.lock();
    let data = match input.as_str() {
        USER_TOKEN => json!({
            "type": "USER",
            "is_valid": true,
            "expires_at": now_ms / 1000 + USER_TOKEN_DAYS * 86_400,
            "scopes": ["pages_show_list"],
            "user_id": SANDBOX_USER_ID,
        }),
        EXPIRED_TOKEN => json!({
            "type": "PAGE",
            "is_valid": false,
            "expires_at": SESSION_EXPIRED_AT,
            "scopes": DEFAULT_SCOPES,
            "profile_id": w.first_page,
            "user_id": SANDBOX_USER_ID,
            "error": expired_error,
        }),
        token => match w.page_by_token(token) {
            Some(page) => {
                let mut d = json!({
                    "type": "PAGE",
                    "is_valid": !page.settings.token_expired,
                    "expires_at": if page.settings.token_expired { SESSION_EXPIRED_AT } else { 0 },
                    "scopes": page.settings.scopes,
                    "profile_id": page.settings.id,
                    "user_id": SANDBOX_USER_ID,
                });
                if page.settings.token_expired {
                    d["error"] = expired_error;
                }
                d
            }
            None => {
                return Ok(json!({"data": {
                    "is_valid": false,
                    "error": {"code": 190, "message": "Invalid OAuth access token."},
                    "scopes": [],
                }}))
            }
        },
    };
    Ok(json!({"data": merge(app, data)}))
}

fn merge(mut base: Value, extra: Value) -> Value {
    if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
        b.extend(e);
    }
    base
}
