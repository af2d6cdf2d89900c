//! The `GraphApi` trait, every Graph call Baton makes, and the small answers it returns
//! (apps, the page, a user's profile, a page's subscriptions). The larger ones have files of
//! their own: `profile.rs` (the messenger profile) and `token.rs` (what Meta says of a token).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::profile::{MessengerProfile, ProfileField};
use super::token::{FeatureStatus, TokenDebug, TokenOwner};
use crate::error::GraphError;
use crate::secret::Secret;
use crate::send::{SendRequest, SendResponse};

/// An app as listed by `secondary_receivers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppInfo {
    #[serde(deserialize_with = "string_id")]
    pub id: String,
    #[serde(default)]
    pub name: String,
}

/// `GET /me` with a page token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageInfo {
    #[serde(deserialize_with = "string_id")]
    pub id: String,
    #[serde(default)]
    pub name: String,
}

/// `GET /{psid}?fields=first_name,last_name,profile_pic`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserProfile {
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    /// Signed URL that expires: cache names, refetch pictures.
    #[serde(default)]
    pub profile_pic: Option<String>,
}

/// One app in `GET /{page-id}/subscribed_apps`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscribedApp {
    #[serde(deserialize_with = "string_id")]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub subscribed_fields: Vec<String>,
}

/// Webhook fields Baton subscribes a page to (§2.5).
pub const BATON_SUBSCRIBED_FIELDS: &[&str] = &[
    "messages",
    "messaging_postbacks",
    "messaging_handovers",
    "standby",
    "message_echoes",
    "messaging_referrals",
];

/// Every Graph API call Baton makes, behind a trait so tests use the sandbox or a fake.
/// Calls act on the page of the configured page access token (`me`).
#[async_trait]
pub trait GraphApi: Send + Sync {
    /// `POST /me/messages`.
    async fn send(&self, request: &SendRequest) -> Result<SendResponse, GraphError>;
    /// `POST /me/pass_thread_control` (current owner only).
    async fn pass_thread_control(
        &self,
        psid: &str,
        target_app_id: &str,
        metadata: Option<&str>,
    ) -> Result<(), GraphError>;
    /// `POST /me/take_thread_control` (primary receiver / default app).
    async fn take_thread_control(
        &self,
        psid: &str,
        metadata: Option<&str>,
    ) -> Result<(), GraphError>;
    /// `POST /me/request_thread_control` (non-owner asks the owner).
    async fn request_thread_control(
        &self,
        psid: &str,
        metadata: Option<&str>,
    ) -> Result<(), GraphError>;
    /// `POST /me/release_thread_control` (current owner only).
    async fn release_thread_control(&self, psid: &str) -> Result<(), GraphError>;
    /// `GET /me/thread_owner?recipient=PSID`: owner app id, `None` when idle.
    async fn thread_owner(&self, psid: &str) -> Result<Option<String>, GraphError>;
    /// `GET /me/secondary_receivers?fields=id,name`.
    async fn secondary_receivers(&self) -> Result<Vec<AppInfo>, GraphError>;
    /// `GET /me/messenger_profile?fields=...`: the first `data` object (`{}` when unset).
    async fn get_messenger_profile(
        &self,
        fields: &[ProfileField],
    ) -> Result<serde_json::Value, GraphError>;
    /// `POST /me/messenger_profile` (sets/merges the given fields).
    async fn set_messenger_profile(&self, profile: &MessengerProfile) -> Result<(), GraphError>;
    /// `DELETE /me/messenger_profile` with `{"fields": [...]}`.
    async fn delete_messenger_profile(&self, fields: &[ProfileField]) -> Result<(), GraphError>;
    /// `GET /{psid}?fields=first_name,last_name,profile_pic`.
    async fn user_profile(&self, psid: &str) -> Result<UserProfile, GraphError>;
    /// `GET /me?fields=id,name`: the page behind the token.
    async fn me(&self) -> Result<PageInfo, GraphError>;
    /// `GET /{page-id}/subscribed_apps`.
    async fn subscribed_apps(&self, page_id: &str) -> Result<Vec<SubscribedApp>, GraphError>;
    /// `POST /{page-id}/subscribed_apps?subscribed_fields=a,b,...`.
    async fn subscribe_app(&self, page_id: &str, fields: &[&str]) -> Result<(), GraphError>;
    /// `GET /me?fields=id,name&metadata=1`: who the token belongs to (page, user, ...).
    async fn token_owner(&self) -> Result<TokenOwner, GraphError>;
    /// `GET /debug_token?input_token=<page token>&access_token=<app_id>|<app_secret>`: Meta's
    /// view of the page token (validity, expiry, scopes). Sent with the app token and without
    /// `appsecret_proof`; the app secret never appears in an error.
    async fn debug_token(
        &self,
        app_id: &str,
        app_secret: &Secret,
    ) -> Result<TokenDebug, GraphError>;
    /// `GET /me?fields=messaging_feature_status`: the page's messaging feature flags (§6).
    async fn messaging_feature_status(&self) -> Result<FeatureStatus, GraphError>;
}

fn string_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    match v {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected an id, got {other}"
        ))),
    }
}
