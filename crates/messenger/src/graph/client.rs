//! `GraphClient`: the reqwest implementation of [`GraphApi`] (page token as `access_token`,
//! optional `appsecret_proof`, a timeout on every call, JSON bodies).

use std::time::Duration;

use async_trait::async_trait;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use super::api::{AppInfo, GraphApi, PageInfo, SubscribedApp, UserProfile};
use super::profile::{MessengerProfile, ProfileField};
use super::token::{FeatureStatus, TokenDebug, TokenOwner};
use super::token_parse::{parse_feature_status, parse_token_debug, parse_token_owner};
use crate::error::GraphError;
use crate::secret::Secret;
use crate::send::{SendRequest, SendResponse};
use crate::signature::hmac_sha256_hex;

/// Default Graph base URL (pinned version).
pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com/v21.0";
/// Default per-call timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Graph API client for one page. Debug output never shows the token or secret.
#[derive(Debug, Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    base_url: String,
    token: Secret,
    appsecret_proof: Option<Secret>,
    timeout: Duration,
}

impl GraphClient {
    /// A client for `base_url` (e.g. [`DEFAULT_BASE_URL`] or the sandbox's
    /// `http://127.0.0.1:PORT/sandbox/graph/v21.0`) with a page access token.
    pub fn new(base_url: impl Into<String>, page_token: Secret) -> Self {
        Self::sharing(reqwest::Client::new(), base_url, page_token)
    }

    /// Like [`GraphClient::new`], on `http`'s connection pool. A reqwest client is costly to
    /// build (its TLS setup) and keeps its connections open between calls: whoever makes calls
    /// all day (the outbox sender) keeps one and shares it, instead of opening new
    /// connections for every round of calls.
    pub fn sharing(http: reqwest::Client, base_url: impl Into<String>, page_token: Secret) -> Self {
        Self {
            http,
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            token: page_token,
            appsecret_proof: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Adds `appsecret_proof` (hex HMAC-SHA256 of the token keyed with the app secret).
    pub fn with_app_secret(mut self, app_secret: &Secret) -> Self {
        let proof = hmac_sha256_hex(
            app_secret.expose().as_bytes(),
            self.token.expose().as_bytes(),
        );
        self.appsecret_proof = Some(Secret::new(proof));
        self
    }

    /// Per-call timeout (default 10 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The base URL calls go to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `DELETE /{page-id}/subscribed_apps`.
    pub async fn unsubscribe_app(&self, page_id: &str) -> Result<(), GraphError> {
        let v: Value = self
            .call(
                Method::DELETE,
                page_id_path(page_id, "subscribed_apps"),
                &[],
                None,
            )
            .await?;
        expect_success(&v, "unsubscribe_app")
    }

    /// A call with the page token (and `appsecret_proof` when configured).
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: String,
        query: &[(&str, String)],
        body: Option<Value>,
    ) -> Result<T, GraphError> {
        self.call_as(Auth::Page, method, path, query, body).await
    }

    /// `POST /me/{edge}` with a JSON body (the thread-control calls, the messenger profile).
    async fn post_me(&self, edge: &str, body: Value) -> Result<Value, GraphError> {
        self.call(Method::POST, format!("me/{edge}"), &[], Some(body))
            .await
    }

    /// A thread-control call (`POST /me/{edge}`) that answers `{"success": true}`.
    async fn thread_control(&self, edge: &str, body: Value) -> Result<(), GraphError> {
        let v = self.post_me(edge, body).await?;
        expect_success(&v, edge)
    }

    async fn call_as<T: DeserializeOwned>(
        &self,
        auth: Auth<'_>,
        method: Method,
        path: String,
        query: &[(&str, String)],
        body: Option<Value>,
    ) -> Result<T, GraphError> {
        let url = format!("{}/{}", self.base_url, path);
        let mut req = self.http.request(method, url).timeout(self.timeout);
        match auth {
            Auth::Page => {
                req = req.query(&[("access_token", self.token.expose())]);
                if let Some(proof) = &self.appsecret_proof {
                    req = req.query(&[("appsecret_proof", proof.expose())]);
                }
            }
            Auth::App { app_id, app_secret } => {
                let app_token = Secret::new(format!("{app_id}|{}", app_secret.expose()));
                req = req.query(&[("access_token", app_token.expose())]);
            }
        }
        if !query.is_empty() {
            req = req.query(query);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.map_err(transport_error)?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(transport_error)?;
        if !(200..300).contains(&status) {
            return Err(GraphError::from_response(status, &bytes));
        }
        serde_json::from_slice(&bytes).map_err(|e| GraphError::Decode(e.to_string()))
    }
}

/// Which access token a call carries.
enum Auth<'a> {
    /// The page token, plus `appsecret_proof` when the client has one.
    Page,
    /// The app token `<app_id>|<app_secret>` (used by `debug_token`), without a proof.
    App {
        app_id: &'a str,
        app_secret: &'a Secret,
    },
}

fn transport_error(e: reqwest::Error) -> GraphError {
    if e.is_timeout() {
        GraphError::Timeout
    } else {
        // without_url: the URL carries the access token.
        GraphError::Network(e.without_url().to_string())
    }
}

fn page_id_path(page_id: &str, edge: &str) -> String {
    format!("{page_id}/{edge}")
}

fn expect_success(v: &Value, call: &str) -> Result<(), GraphError> {
    let ok = v.get("success").and_then(Value::as_bool) == Some(true)
        || v.get("result").and_then(Value::as_str) == Some("success");
    if ok {
        Ok(())
    } else {
        Err(GraphError::NotSuccessful(call.to_owned()))
    }
}

/// Numeric ids go out as JSON numbers (as Meta's SDKs send them), anything else as a string.
fn app_id_json(id: &str) -> Value {
    id.parse::<u64>()
        .map(Value::from)
        .unwrap_or_else(|_| json!(id))
}

fn recipient_body(psid: &str, metadata: Option<&str>) -> Value {
    let mut body = json!({ "recipient": { "id": psid } });
    if let Some(m) = metadata {
        body["metadata"] = json!(m);
    }
    body
}

fn field_list(fields: &[ProfileField]) -> Vec<&'static str> {
    fields.iter().map(|f| f.as_str()).collect()
}

fn data_array(v: Value, call: &str) -> Result<Vec<Value>, GraphError> {
    match v.get("data") {
        Some(Value::Array(items)) => Ok(items.clone()),
        _ => Err(GraphError::Decode(format!("{call}: missing data array"))),
    }
}

fn decode<T: DeserializeOwned>(v: Value) -> Result<T, GraphError> {
    serde_json::from_value(v).map_err(|e| GraphError::Decode(e.to_string()))
}

#[async_trait]
impl GraphApi for GraphClient {
    async fn send(&self, request: &SendRequest) -> Result<SendResponse, GraphError> {
        let body = serde_json::to_value(request).map_err(|e| GraphError::Decode(e.to_string()))?;
        self.call(Method::POST, "me/messages".into(), &[], Some(body))
            .await
    }

    async fn pass_thread_control(
        &self,
        psid: &str,
        target_app_id: &str,
        metadata: Option<&str>,
    ) -> Result<(), GraphError> {
        let mut body = recipient_body(psid, None);
        body["target_app_id"] = app_id_json(target_app_id);
        if let Some(m) = metadata {
            body["metadata"] = json!(m);
        }
        self.thread_control("pass_thread_control", body).await
    }

    async fn take_thread_control(
        &self,
        psid: &str,
        metadata: Option<&str>,
    ) -> Result<(), GraphError> {
        let v = self
            .post_me("take_thread_control", recipient_body(psid, metadata))
            .await?;
        // Reference shape {"success":true}; newer guide shows {"data":[{"thread_owner":..}]}.
        if v.get("data").and_then(Value::as_array).is_some() {
            return Ok(());
        }
        expect_success(&v, "take_thread_control")
    }

    async fn request_thread_control(
        &self,
        psid: &str,
        metadata: Option<&str>,
    ) -> Result<(), GraphError> {
        self.thread_control("request_thread_control", recipient_body(psid, metadata))
            .await
    }

    async fn release_thread_control(&self, psid: &str) -> Result<(), GraphError> {
        self.thread_control("release_thread_control", recipient_body(psid, None))
            .await
    }

    async fn thread_owner(&self, psid: &str) -> Result<Option<String>, GraphError> {
        let v: Value = self
            .call(
                Method::GET,
                "me/thread_owner".into(),
                &[("recipient", psid.to_owned())],
                None,
            )
            .await?;
        let owner = data_array(v, "thread_owner")?
            .first()
            .and_then(|d| d.get("thread_owner"))
            .and_then(|o| o.get("app_id"))
            .and_then(|id| match id {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            });
        Ok(owner)
    }

    async fn secondary_receivers(&self) -> Result<Vec<AppInfo>, GraphError> {
        let v: Value = self
            .call(
                Method::GET,
                "me/secondary_receivers".into(),
                &[("fields", "id,name".to_owned())],
                None,
            )
            .await?;
        decode(Value::Array(data_array(v, "secondary_receivers")?))
    }

    async fn get_messenger_profile(&self, fields: &[ProfileField]) -> Result<Value, GraphError> {
        let v: Value = self
            .call(
                Method::GET,
                "me/messenger_profile".into(),
                &[("fields", field_list(fields).join(","))],
                None,
            )
            .await?;
        Ok(data_array(v, "messenger_profile")?
            .into_iter()
            .next()
            .unwrap_or_else(|| json!({})))
    }

    async fn set_messenger_profile(&self, profile: &MessengerProfile) -> Result<(), GraphError> {
        let body = serde_json::to_value(profile).map_err(|e| GraphError::Decode(e.to_string()))?;
        let v = self.post_me("messenger_profile", body).await?;
        expect_success(&v, "set_messenger_profile")
    }

    async fn delete_messenger_profile(&self, fields: &[ProfileField]) -> Result<(), GraphError> {
        let body = json!({ "fields": field_list(fields) });
        let v: Value = self
            .call(
                Method::DELETE,
                "me/messenger_profile".into(),
                &[],
                Some(body),
            )
            .await?;
        expect_success(&v, "delete_messenger_profile")
    }

    async fn user_profile(&self, psid: &str) -> Result<UserProfile, GraphError> {
        self.call(
            Method::GET,
            psid.to_owned(),
            &[("fields", "first_name,last_name,profile_pic".to_owned())],
            None,
        )
        .await
    }

    async fn me(&self) -> Result<PageInfo, GraphError> {
        self.call(
            Method::GET,
            "me".into(),
            &[("fields", "id,name".to_owned())],
            None,
        )
        .await
    }

    async fn subscribed_apps(&self, page_id: &str) -> Result<Vec<SubscribedApp>, GraphError> {
        let v: Value = self
            .call(
                Method::GET,
                page_id_path(page_id, "subscribed_apps"),
                &[],
                None,
            )
            .await?;
        decode(Value::Array(data_array(v, "subscribed_apps")?))
    }

    async fn subscribe_app(&self, page_id: &str, fields: &[&str]) -> Result<(), GraphError> {
        let v: Value = self
            .call(
                Method::POST,
                page_id_path(page_id, "subscribed_apps"),
                &[("subscribed_fields", fields.join(","))],
                None,
            )
            .await?;
        expect_success(&v, "subscribe_app")
    }

    async fn token_owner(&self) -> Result<TokenOwner, GraphError> {
        let v: Value = self
            .call(
                Method::GET,
                "me".into(),
                &[
                    ("fields", "id,name".to_owned()),
                    ("metadata", "1".to_owned()),
                ],
                None,
            )
            .await?;
        parse_token_owner(&v)
    }

    async fn debug_token(
        &self,
        app_id: &str,
        app_secret: &Secret,
    ) -> Result<TokenDebug, GraphError> {
        let v: Value = self
            .call_as(
                Auth::App { app_id, app_secret },
                Method::GET,
                "debug_token".into(),
                &[("input_token", self.token.expose().to_owned())],
                None,
            )
            .await?;
        parse_token_debug(&v)
    }

    async fn messaging_feature_status(&self) -> Result<FeatureStatus, GraphError> {
        let v: Value = self
            .call(
                Method::GET,
                "me".into(),
                &[("fields", "messaging_feature_status".to_owned())],
                None,
            )
            .await?;
        Ok(parse_feature_status(&v))
    }
}
