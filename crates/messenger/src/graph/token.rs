//! What the setup wizard asks about the token and the page (§8 and §6 of the platform doc):
//! who the token belongs to, Meta's `debug_token` view of it, and the page's messaging
//! feature flags. Parsing is lenient: missing fields become `None` / defaults.

use serde::{Deserialize, Serialize};

/// What kind of object a token speaks for (`metadata.type` of `GET /me?metadata=1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenKind {
    Page,
    User,
    /// Any other type as Meta spelled it; `"unknown"` when Meta did not say.
    Other(String),
}

/// `GET /me?fields=id,name&metadata=1`: who the token belongs to (`metadata.type`: "page" /
/// "user", case-insensitive; missing → `Other("unknown")`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenOwner {
    pub id: String,
    pub name: String,
    pub kind: TokenKind,
}

/// `GET /debug_token?input_token=<this client's page token>&access_token=<app_id>|<app_secret>`
/// (the `data` object). Sent without `appsecret_proof` (the access token is the app token).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TokenDebug {
    pub app_id: Option<String>,
    /// `"PAGE"`, `"USER"`, ...
    pub kind: Option<String>,
    pub is_valid: bool,
    /// Unix seconds; `0` = never expires.
    pub expires_at: Option<i64>,
    pub scopes: Vec<String>,
    /// The page id for a page token.
    pub profile_id: Option<String>,
    pub error: Option<TokenDebugError>,
}

/// Why `debug_token` says a token is not valid (`data.error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenDebugError {
    pub code: i64,
    pub subcode: Option<i64>,
    pub message: String,
}

/// `GET /me?fields=messaging_feature_status`:
/// `{"messaging_feature_status": {"hop_v2": bool, "ig_multi_app": bool, "msgr_multi_app": bool}}`.
/// Missing object or fields → `None`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FeatureStatus {
    pub hop_v2: Option<bool>,
    pub msgr_multi_app: Option<bool>,
}
