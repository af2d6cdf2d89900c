//! The page node (`GET /me`, `GET /{page-id}`) and page-level Graph edges:
//! `messenger_profile` (GET/POST/DELETE), `subscribed_apps` and `secondary_receivers`.

use axum::http::Method;
use messenger::graph::MessengerProfile;
use messenger::limits::{
    char_len, MAX_GREETING_CHARS, MAX_PAYLOAD_CHARS, MAX_PERSISTENT_MENU_ITEMS,
};
use serde_json::{json, Value};

use super::call::{fields, wants_metadata, Call, GraphResult};
use crate::fail::GraphFail;
use crate::handle::Sandbox;
use crate::settings::app_name;

/// Webhook fields a page can subscribe an app to (ones Baton may ask for).
const KNOWN_FIELDS: &[&str] = &[
    "messages",
    "messaging_postbacks",
    "messaging_handovers",
    "standby",
    "message_echoes",
    "messaging_referrals",
    "message_deliveries",
    "message_reads",
    "message_reactions",
    "messaging_optins",
    "messaging_policy_enforcement",
    "message_edits",
    "messaging_account_linking",
    "feed",
];

/// `GET /me` / `GET /{page-id}` with a page token: `id` plus the asked `fields` (`name`,
/// `messaging_feature_status`), and `metadata.type` with `metadata=1`.
pub(super) fn page_node(sb: &Sandbox, call: &Call) -> GraphResult {
    let w = sb.lock();
    let page = &w.pages[&call.page_id];
    let mut out = json!({"id": page.settings.id});
    for f in fields(&call.query) {
        match f {
            "id" => {}
            "name" => out["name"] = json!(page.settings.name),
            "messaging_feature_status" => {
                out[f] = json!({
                    "hop_v2": true,
                    "ig_multi_app": false,
                    "msgr_multi_app": page.settings.conversation_routing,
                })
            }
            other => return Err(GraphFail::nonexisting_field(other, "Page")),
        }
    }
    if wants_metadata(&call.query) {
        out["metadata"] = json!({"type": "page"});
    }
    Ok(out)
}

/// `GET /me/secondary_receivers`: the page's secondary receiver apps.
pub(super) fn secondary_receivers(sb: &Sandbox, call: &Call) -> GraphResult {
    let w = sb.lock();
    let data: Vec<Value> = w.pages[&call.page_id]
        .settings
        .secondary_receivers
        .iter()
        .map(|id| json!({"id": id, "name": app_name(id)}))
        .collect();
    Ok(json!({ "data": data }))
}

/// Field list from `?fields=a,b` or a JSON body `{"fields": [..]}` / `{"fields": "a,b"}`.
fn field_list(call: &Call, key: &str) -> Vec<String> {
    let from_body = match call.body.get(key) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(Value::String(s)) => split(s),
        _ => Vec::new(),
    };
    if from_body.is_empty() {
        call.query.get(key).map(|s| split(s)).unwrap_or_default()
    } else {
        from_body
    }
}

fn split(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .collect()
}

pub(super) fn messenger_profile(sb: &Sandbox, call: &Call) -> GraphResult {
    match call.method {
        Method::GET => {
            let fields = field_list(call, "fields");
            if fields.is_empty() {
                return Err(GraphFail::invalid_param("The parameter fields is required"));
            }
            let w = sb.lock();
            let profile = &w.pages[&call.page_id].profile;
            let picked: serde_json::Map<String, Value> = fields
                .iter()
                .filter_map(|f| profile.get(f).map(|v| (f.clone(), v.clone())))
                .collect();
            Ok(if picked.is_empty() {
                json!({"data": []})
            } else {
                json!({"data": [picked]})
            })
        }
        Method::POST => {
            let Value::Object(update) = &call.body else {
                return Err(GraphFail::invalid_param("Body must be a JSON object"));
            };
            let typed: MessengerProfile = serde_json::from_value(call.body.clone())
                .map_err(|e| GraphFail::invalid_param(format!("Invalid profile: {e}")))?;
            check_profile(&typed)?;
            let mut w = sb.lock();
            w.changed_header = true;
            let profile = &mut w.pages.get_mut(&call.page_id).expect("token page").profile;
            let has_get_started =
                update.contains_key("get_started") || profile.contains_key("get_started");
            if update.contains_key("persistent_menu") && !has_get_started {
                return Err(GraphFail::invalid_param(
                    "You must set a Get Started button if you also wish to use persistent menu.",
                ));
            }
            for (k, v) in update {
                profile.insert(k.clone(), v.clone());
            }
            Ok(json!({"result": "success"}))
        }
        Method::DELETE => {
            let fields = field_list(call, "fields");
            if fields.is_empty() {
                return Err(GraphFail::invalid_param("The parameter fields is required"));
            }
            let mut w = sb.lock();
            w.changed_header = true;
            let profile = &mut w.pages.get_mut(&call.page_id).expect("token page").profile;
            for f in fields {
                profile.remove(&f);
            }
            Ok(json!({"result": "success"}))
        }
        _ => Err(GraphFail::unknown_path("messenger_profile")),
    }
}

fn check_profile(p: &MessengerProfile) -> Result<(), GraphFail> {
    if let Some(gs) = &p.get_started {
        if gs.payload.is_empty() || char_len(&gs.payload) > MAX_PAYLOAD_CHARS {
            return Err(GraphFail::invalid_param(
                "get_started payload must be 1-1000 characters",
            ));
        }
    }
    for g in &p.greeting {
        if char_len(&g.text) > MAX_GREETING_CHARS {
            return Err(GraphFail::invalid_param(
                "greeting text must be at most 160 characters",
            ));
        }
    }
    if !p.persistent_menu.is_empty() && !p.persistent_menu.iter().any(|m| m.locale == "default") {
        return Err(GraphFail::invalid_param(
            "persistent_menu needs a default locale",
        ));
    }
    for m in &p.persistent_menu {
        if m.call_to_actions.len() > MAX_PERSISTENT_MENU_ITEMS {
            return Err(GraphFail::invalid_param(
                "persistent_menu call_to_actions must have at most 20 items",
            ));
        }
    }
    Ok(())
}

pub(super) fn subscribed_apps(sb: &Sandbox, call: &Call) -> GraphResult {
    let app_id = sb.app_id().to_owned();
    let mut w = sb.lock();
    w.changed_header = true;
    let page = w.pages.get_mut(&call.page_id).expect("token page");
    match call.method {
        Method::GET => Ok(match &page.settings.subscribed_fields {
            Some(fields) => {
                json!({"data": [{"id": app_id, "name": "Baton", "subscribed_fields": fields}]})
            }
            None => json!({"data": []}),
        }),
        Method::POST => {
            let fields = field_list(call, "subscribed_fields");
            if fields.is_empty() {
                return Err(GraphFail::invalid_param(
                    "The parameter subscribed_fields is required",
                ));
            }
            if let Some(bad) = fields.iter().find(|f| !KNOWN_FIELDS.contains(&f.as_str())) {
                return Err(GraphFail::invalid_param(format!(
                    "Param subscribed_fields[{bad}] must be one of the supported fields"
                )));
            }
            page.settings.subscribed_fields = Some(fields);
            Ok(json!({"success": true}))
        }
        Method::DELETE => {
            page.settings.subscribed_fields = None;
            Ok(json!({"success": true}))
        }
        _ => Err(GraphFail::unknown_path("subscribed_apps")),
    }
}
