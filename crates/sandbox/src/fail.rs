//! Meta-shaped failures (`{"error":{message,type,code,error_subcode,fbtrace_id}}`) the
//! emulator answers with, and the sandbox's own error type for actor calls.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::clock::pacific_time;

/// When every expired sandbox token expired (unix seconds): Tuesday, 01-Dec-26 10:00:00 PST.
pub(crate) const SESSION_EXPIRED_AT: i64 = 1_796_148_000;

/// Meta's words for an expired session at sandbox time `now_ms`.
pub(crate) fn session_expired_text(now_ms: i64) -> String {
    format!(
        "Session has expired on {}. The current time is {}.",
        pacific_time(SESSION_EXPIRED_AT),
        pacific_time(now_ms.div_euclid(1000))
    )
}

/// A Graph API error as Meta would send it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (code {code}, subcode {subcode:?})")]
pub struct GraphFail {
    pub status: u16,
    pub code: i64,
    pub subcode: Option<i64>,
    pub message: String,
    pub error_type: &'static str,
}

impl GraphFail {
    pub(crate) fn new(
        status: u16,
        code: i64,
        subcode: Option<i64>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code,
            subcode,
            message: message.into(),
            error_type: "OAuthException",
        }
    }

    /// 190 (no subcode): missing or unknown access token.
    pub fn invalid_token() -> Self {
        Self::new(
            401,
            190,
            None,
            "Invalid OAuth access token - Cannot parse access token",
        )
    }

    /// 190/463 (HTTP 400): the token's session has expired (`now_ms`: sandbox time).
    pub fn session_expired(now_ms: i64) -> Self {
        Self::new(
            400,
            190,
            Some(463),
            format!(
                "Error validating access token: {}",
                session_expired_text(now_ms)
            ),
        )
    }

    /// 210: a user token was used where a page token is needed.
    pub fn page_token_required() -> Self {
        Self::new(
            400,
            210,
            None,
            "(#210) A page access token is required to request this resource.",
        )
    }

    /// 200 (HTTP 403): the page token lacks `scope`.
    pub fn missing_permission(scope: &str) -> Self {
        Self::permission(&format!("Requires {scope} permission to manage the object"))
    }

    /// 190 on `debug_token`: the app token has the right app id but the wrong secret.
    pub fn bad_client_secret() -> Self {
        Self::new(400, 190, None, "Error validating client secret.")
    }

    /// 190 on `debug_token`: the access token is not this app's `<app id>|<app secret>`.
    pub fn bad_app_token() -> Self {
        Self::new(400, 190, None, "Invalid OAuth access token signature.")
    }

    /// 100: a `fields=` entry the node does not have.
    pub fn nonexisting_field(field: &str, node_type: &str) -> Self {
        Self::invalid_param(format!(
            "Tried accessing nonexisting field ({field}) on node type ({node_type})"
        ))
    }

    /// 100: invalid parameter.
    pub fn invalid_param(message: impl std::fmt::Display) -> Self {
        Self::new(400, 100, None, format!("(#100) {message}"))
    }

    /// 100/2018001: no matching user.
    pub fn unknown_recipient() -> Self {
        Self::new(400, 100, Some(2018001), "(#100) No matching user found")
    }

    /// 100/33: object does not exist (GET of an unknown id).
    pub fn unknown_object(id: &str) -> Self {
        Self::new(
            400,
            100,
            Some(33),
            format!("Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."),
        )
    }

    /// 10/2018300: another app controls the thread.
    pub fn not_owner_send() -> Self {
        Self::new(
            400,
            10,
            Some(2018300),
            "(#10) Message failed to send because another app is controlling this thread now.",
        )
    }

    /// 10/2018278: outside the messaging window.
    pub fn outside_window() -> Self {
        Self::new(400, 10, Some(2018278), "(#10) This message is sent outside of allowed window. Learn more about the new policy here: https://developers.facebook.com/docs/messenger-platform/policy-overview")
    }

    /// Code 10 with a descriptive handover message (codes unconfirmed upstream).
    pub fn handover(message: &str) -> Self {
        Self::new(400, 10, None, format!("(#10) {message}"))
    }

    /// 200: permission error (e.g. a page id that is not the token's page).
    pub fn permission(message: &str) -> Self {
        Self::new(403, 200, None, format!("(#200) {message}"))
    }

    /// 404-ish unknown path (Meta answers 400 code 100 for unknown edges).
    pub fn unknown_path(path: &str) -> Self {
        Self::new(400, 100, None, format!("Unknown path components: /{path}"))
    }

    /// The JSON envelope body.
    pub fn body(&self) -> serde_json::Value {
        let mut error = json!({
            "message": self.message,
            "type": self.error_type,
            "code": self.code,
            "fbtrace_id": "SandboxTrace",
        });
        if let Some(sub) = self.subcode {
            error["error_subcode"] = json!(sub);
        }
        json!({ "error": error })
    }
}

impl IntoResponse for GraphFail {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        (status, Json(self.body())).into_response()
    }
}

/// Errors of the sandbox's actor / control operations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SandboxError {
    #[error("unknown user {0}")]
    UnknownUser(String),
    #[error("unknown page {0}")]
    UnknownPage(String),
    #[error("no button or quick reply matches: {0}")]
    NoSuchButton(String),
    #[error("{0}")]
    Invalid(String),
    /// The host fixed this setting (for example the callback URL inside `baton serve`).
    #[error("{0}")]
    Fixed(String),
    /// The platform refused the action (same rules as for Baton's Graph calls).
    #[error("refused by the platform: {0}")]
    Refused(GraphFail),
}

impl IntoResponse for SandboxError {
    fn into_response(self) -> Response {
        let status = match &self {
            SandboxError::UnknownUser(_) | SandboxError::UnknownPage(_) => StatusCode::NOT_FOUND,
            SandboxError::Refused(_) => StatusCode::CONFLICT,
            SandboxError::Fixed(_) => StatusCode::FORBIDDEN,
            _ => StatusCode::BAD_REQUEST,
        };
        let mut body = json!({ "error": self.to_string() });
        if let SandboxError::Refused(f) = &self {
            body["graph_error"] = f.body()["error"].clone();
        }
        (status, Json(body)).into_response()
    }
}
