//! Graph API routes: one catch-all that strips an optional `vNN.N` prefix, checks the access
//! token (page, user, expired, unknown) and the page token's permissions, and dispatches on
//! (method, path) to the same rules Meta applies. The page node and page edges are in
//! `page_edges.rs`, who a token belongs to in `tokens.rs`, and the parsed call every route
//! gets in `call.rs`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Json, Router};
use messenger::limits::{char_len, MAX_HANDOVER_METADATA_CHARS};
use messenger::send::SendRequest;
use messenger::signature::hmac_sha256_hex;
use serde_json::{json, Value};

use crate::fail::GraphFail;
use crate::handle::Sandbox;

mod call;
mod page_edges;
mod tokens;

use call::{Call, GraphResult};
use tokens::Holder;

pub(crate) fn router(sandbox: Sandbox) -> Router {
    Router::new()
        .route("/{*path}", any(handle))
        .with_state(sandbox)
}

async fn handle(
    State(sb): State<Sandbox>,
    Path(path): Path<String>,
    method: Method,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    match dispatch(&sb, &path, method, &headers, query, &body) {
        Ok(v) => Json(v).into_response(),
        Err(f) => f.into_response(),
    }
}

fn is_version(s: &str) -> bool {
    s.strip_prefix('v').is_some_and(|v| {
        !v.is_empty()
            && v.split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    })
}

fn token<'a>(query: &'a HashMap<String, String>, headers: &'a HeaderMap) -> Option<&'a str> {
    query.get("access_token").map(String::as_str).or_else(|| {
        headers
            .get("authorization")
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
    })
}

fn dispatch(
    sb: &Sandbox,
    path: &str,
    method: Method,
    headers: &HeaderMap,
    query: HashMap<String, String>,
    body: &[u8],
) -> GraphResult {
    let mut segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segs.first().is_some_and(|s| is_version(s)) {
        segs.remove(0);
    }
    let token = token(&query, headers).unwrap_or_default();
    // debug_token carries the app token, not a page token.
    if segs.as_slice() == ["debug_token"] {
        return tokens::debug_token(sb, &method, token, &query);
    }
    let holder = tokens::holder(sb, token)?;
    // appsecret_proof is optional, but when sent it must match (as on Meta).
    if let Some(proof) = query.get("appsecret_proof") {
        let expected = hmac_sha256_hex(sb.inner.app_secret.expose().as_bytes(), token.as_bytes());
        if *proof != expected {
            return Err(GraphFail::invalid_param(
                "Invalid appsecret_proof provided in the API argument",
            ));
        }
    }
    let page_id = match holder {
        Holder::Page(id) => id,
        Holder::User => return tokens::user_call(&segs, &method, &query),
    };
    let body: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(body)
            .map_err(|e| GraphFail::invalid_param(format!("Invalid JSON body: {e}")))?
    };
    let call = Call {
        method,
        page_id,
        query,
        body,
    };
    let node_ok = |node: &str| node == "me" || node == call.page_id;
    match segs.as_slice() {
        [node, edge] if node_ok(node) => edge_call(sb, &call, edge, path),
        [node, _] => Err(GraphFail::permission(&format!(
            "The page access token cannot act on node {node}"
        ))),
        [node] if call.method == Method::GET && node_ok(node) => page_edges::page_node(sb, &call),
        [psid] if call.method == Method::GET => user_profile(sb, &call, psid),
        _ => Err(GraphFail::unknown_path(path)),
    }
}

/// The permission an edge needs (§9 of the platform doc).
fn required_scope(edge: &str, method: &Method) -> Option<&'static str> {
    match edge {
        "messages"
        | "pass_thread_control"
        | "take_thread_control"
        | "request_thread_control"
        | "release_thread_control"
        | "thread_owner"
        | "secondary_receivers" => Some("pages_messaging"),
        "subscribed_apps" => Some("pages_manage_metadata"),
        "messenger_profile" if *method != Method::GET => Some("pages_manage_metadata"),
        _ => None,
    }
}

fn edge_call(sb: &Sandbox, call: &Call, edge: &str, path: &str) -> GraphResult {
    if let Some(scope) = required_scope(edge, &call.method) {
        if !sb.lock().pages[&call.page_id].has_scope(scope) {
            return Err(GraphFail::missing_permission(scope));
        }
    }
    let post = call.method == Method::POST;
    let get = call.method == Method::GET;
    match edge {
        "messages" if post => send(sb, call),
        "pass_thread_control" if post => handover(sb, call, edge),
        "take_thread_control" if post => handover(sb, call, edge),
        "request_thread_control" if post => handover(sb, call, edge),
        "release_thread_control" if post => handover(sb, call, edge),
        "thread_owner" if get => thread_owner(sb, call),
        "secondary_receivers" if get => page_edges::secondary_receivers(sb, call),
        "messenger_profile" => page_edges::messenger_profile(sb, call),
        "subscribed_apps" => page_edges::subscribed_apps(sb, call),
        _ => Err(GraphFail::unknown_path(path)),
    }
}

fn send(sb: &Sandbox, call: &Call) -> GraphResult {
    if let Some(tag) = call.body.get("tag").and_then(Value::as_str) {
        if messenger::send::REMOVED_TAGS.contains(&tag) {
            return Err(GraphFail::removed_tag(tag));
        }
    }
    let req: SendRequest = serde_json::from_value(call.body.clone())
        .map_err(|e| GraphFail::invalid_param(format!("Invalid send request: {e}")))?;
    let app = sb.app_id().to_owned();
    let resp = sb.with_world(|w, now| w.send(&app, &call.page_id, &req, now))?;
    Ok(serde_json::to_value(resp).unwrap_or_default())
}

/// Reads an id given as a JSON string or number.
pub(crate) fn id_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn handover(sb: &Sandbox, call: &Call, edge: &str) -> GraphResult {
    let psid = id_of(call.body.get("recipient").and_then(|r| r.get("id")))
        .ok_or_else(|| GraphFail::invalid_param("The parameter recipient is required"))?;
    let metadata = call
        .body
        .get("metadata")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if metadata
        .as_deref()
        .is_some_and(|m| char_len(m) > MAX_HANDOVER_METADATA_CHARS)
    {
        return Err(GraphFail::invalid_param(
            "Param metadata must be at most 1000 characters",
        ));
    }
    let app = sb.app_id().to_owned();
    let page = call.page_id.clone();
    sb.with_world(|w, _| w.refuses_call(&page))?;
    match edge {
        "pass_thread_control" => {
            let target = id_of(call.body.get("target_app_id")).ok_or_else(|| {
                GraphFail::invalid_param("The parameter target_app_id is required")
            })?;
            sb.with_world(|w, now| w.pass(&app, &page, &psid, &target, metadata, now))?;
        }
        "take_thread_control" => {
            sb.with_world(|w, now| w.take(&app, &page, &psid, metadata, now))?;
        }
        "request_thread_control" => {
            sb.with_world(|w, now| w.request(&app, &page, &psid, metadata, now))?;
        }
        _ => sb.with_world(|w, now| w.release(&app, &page, &psid, now))?,
    }
    Ok(json!({"success": true}))
}

fn thread_owner(sb: &Sandbox, call: &Call) -> GraphResult {
    let psid = call
        .query
        .get("recipient")
        .ok_or_else(|| GraphFail::invalid_param("The parameter recipient is required"))?;
    let mut w = sb.lock();
    let u = w.recipient_mut(&call.page_id, psid)?;
    Ok(match &u.owner {
        Some(app) => json!({"data": [{"thread_owner": {"app_id": app}}]}),
        None => json!({"data": []}),
    })
}

fn user_profile(sb: &Sandbox, call: &Call, psid: &str) -> GraphResult {
    let w = sb.lock();
    let u = match w.users.get(psid) {
        Some(u) if u.user.page_id == call.page_id => &u.user,
        _ => return Err(GraphFail::unknown_object(psid)),
    };
    let fields = call
        .query
        .get("fields")
        .map(String::as_str)
        .unwrap_or("first_name,last_name,profile_pic");
    let mut out = json!({"id": u.psid});
    for f in fields.split(',').map(str::trim) {
        let v = match f {
            "first_name" => json!(u.first_name),
            "last_name" => json!(u.last_name),
            "name" => json!(format!("{} {}", u.first_name, u.last_name)),
            "profile_pic" => json!(u.profile_pic),
            "id" | "" => continue,
            other => {
                return Err(GraphFail::invalid_param(format!(
                    "Tried accessing nonexisting field ({other}) on node type (User)"
                )))
            }
        };
        out[f] = v;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_prefix() {
        assert!(super::is_version("v21.0"));
        assert!(super::is_version("v3"));
        assert!(!super::is_version("v"));
        assert!(!super::is_version("me"));
        assert!(!super::is_version("v21.x"));
    }
}
