//! `GraphError`: every way a Graph API call can fail, classified by `(code, subcode)` into an
//! [`ErrorKind`] with a retry decision and a plain-language message (§10 of the platform doc).

use serde::Deserialize;

/// Meta's error envelope body: `{"error": {message, type, code, error_subcode, ...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiError {
    #[serde(default)]
    pub message: String,
    #[serde(rename = "type", default)]
    pub error_type: Option<String>,
    #[serde(default)]
    pub code: i64,
    #[serde(default)]
    pub error_subcode: Option<i64>,
    #[serde(default)]
    pub fbtrace_id: Option<String>,
    #[serde(default)]
    pub is_transient: Option<bool>,
    #[serde(default)]
    pub error_user_title: Option<String>,
    #[serde(default)]
    pub error_user_msg: Option<String>,
}

#[derive(Deserialize)]
struct Envelope {
    error: ApiError,
}

impl ApiError {
    /// Parses an envelope body; `None` when the body is not Meta's error envelope.
    pub fn from_body(body: &[u8]) -> Option<Self> {
        serde_json::from_slice::<Envelope>(body)
            .ok()
            .map(|e| e.error)
    }
}

/// A failed Graph call. Messages never contain tokens or secrets (URLs are stripped).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// Meta answered with its error envelope.
    #[error("Graph API error (HTTP {status}, code {}, subcode {:?}): {}", .error.code, .error.error_subcode, .error.message)]
    Api { status: u16, error: Box<ApiError> },
    /// No answer within the configured timeout.
    #[error("Graph API call timed out")]
    Timeout,
    /// Connection / TLS / DNS failure.
    #[error("could not reach the Graph API: {0}")]
    Network(String),
    /// Non-success HTTP status without an error envelope (5xx is retryable).
    #[error("Graph API answered HTTP {status} without an error body")]
    Status { status: u16, body: String },
    /// Success status but a body we could not read.
    #[error("could not decode the Graph API response: {0}")]
    Decode(String),
    /// Success status but `{"success": false}` (or no success marker).
    #[error("Graph API call reported no success: {0}")]
    NotSuccessful(String),
}

/// What a failure means for Baton.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// 190: token invalid / expired / revoked → mark the page disconnected.
    TokenExpired,
    /// 10/2018278 (and 10/2018065): outside the 24 h window.
    OutsideWindow,
    /// 10/2018108: not allowed by messaging policy.
    PolicyBlocked,
    /// 10/2018300: another app (a human agent) controls the thread.
    NotThreadOwner,
    /// Handover call refused (not owner / not secondary / bad target): resync `thread_owner`.
    HandoverRefused,
    /// 10 (no subcode), 200: permission missing.
    PermissionMissing,
    /// 200/2018028, 2018027, 2018021: app not approved for public messaging.
    NotApprovedForPublic,
    /// 551, 200/1545041: person unavailable.
    UserUnavailable,
    /// 100: invalid parameter.
    InvalidParameter,
    /// 100/2018001: no matching user.
    UnknownRecipient,
    /// 100/2018109: attachment too large.
    AttachmentTooLarge,
    /// 4, 17, 32, 613, 80006 (and 429): rate limited.
    RateLimited,
    /// 1, 2, 1200, 5xx, timeouts, network errors.
    Transient,
    /// 27: page routing (Conversation Routing) prevents take_thread_control.
    RoutingPrevents,
    /// "(#10) Handover Protocol APIs disabled for this page" (any code): the page's routing
    /// settings refuse thread-control calls.
    HandoverDisabled,
    /// 10/1893063: Facebook restricted the page from messaging for a while.
    PageRestricted,
    /// The `HUMAN_AGENT` tag refused: the app lacks Meta's Human Agent permission.
    HumanAgentNotApproved,
    /// 100 naming `thread_control`: the page does not take a handover inside a message (the
    /// older Handover Protocol settings); hand over with the separate call instead.
    ThreadControlUnsupported,
    /// Anything else.
    Other,
}

impl ErrorKind {
    /// Classifies Meta's `(code, subcode)`, falling back to `code` (§10). `message` only
    /// distinguishes handover refusals, whose codes Meta does not document.
    pub fn from_code(code: i64, subcode: Option<i64>, message: &str) -> Self {
        use ErrorKind::*;
        let text = message.to_ascii_lowercase();
        match (code, subcode) {
            (190, _) => TokenExpired,
            _ if text.contains("handover protocol") && text.contains("disabled") => {
                HandoverDisabled
            }
            (10, Some(1893063)) => PageRestricted,
            (10 | 100 | 200, _) if text.contains("human_agent") || text.contains("human agent") => {
                HumanAgentNotApproved
            }
            (100, _) if text.contains("thread_control") => ThreadControlUnsupported,
            (10, Some(2018278 | 2018065)) => OutsideWindow,
            (10, Some(2018108)) => PolicyBlocked,
            (10, Some(2018300)) => NotThreadOwner,
            (200, Some(2018028 | 2018027 | 2018021)) => NotApprovedForPublic,
            (200, Some(1545041)) | (551, _) => UserUnavailable,
            (100, Some(2018001)) => UnknownRecipient,
            (100, Some(2018109)) => AttachmentTooLarge,
            (10 | 100, _) if is_handover_message(message) => HandoverRefused,
            (10 | 200, _) => PermissionMissing,
            (100, _) => InvalidParameter,
            (4 | 17 | 32 | 613 | 80006, _) => RateLimited,
            (1 | 2 | 1200, _) => Transient,
            (27, _) => RoutingPrevents,
            _ => Other,
        }
    }

    /// Plain-language text for admins (§10 "Baton message" column).
    pub fn plain_message(self) -> &'static str {
        use ErrorKind::*;
        match self {
            TokenExpired => "Facebook connection expired — reconnect the page",
            OutsideWindow => "More than 24 h since the customer's last message; wait for them to write (or use human-agent reply)",
            PolicyBlocked => "Not allowed by messaging policy",
            NotThreadOwner => "The conversation is with a human agent",
            HandoverRefused => "Conversation is controlled by another app (check Page routing settings)",
            PermissionMissing => "Baton lacks permission on this page",
            NotApprovedForPublic => "App not approved for public messaging",
            UserUnavailable => "This person can't receive messages right now",
            InvalidParameter => "Message rejected: invalid content",
            UnknownRecipient => "Unknown recipient",
            AttachmentTooLarge => "Attachment too large",
            RateLimited => "Facebook is rate-limiting; retrying",
            Transient => "Temporary Facebook error; retrying",
            RoutingPrevents => "Page routing settings prevent Baton from taking the conversation",
            HandoverDisabled => "The page's routing settings refuse handovers (\"Handover Protocol APIs disabled\"): make Baton's app the default app for Messenger and keep Page Inbox connected",
            PageRestricted => "Facebook has temporarily restricted this page from sending messages",
            HumanAgentNotApproved => "This app does not have Meta's Human Agent permission, so replies more than 24 h after the customer's last message are refused (request it in App Review)",
            ThreadControlUnsupported => "This page does not accept a handover inside a message; Baton hands over with a separate call",
            Other => "Facebook returned an unexpected error",
        }
    }
}

impl ErrorKind {
    /// Whether a handover call (or a message carrying one) refused with this error was
    /// refused because of who holds the thread or the page's routing settings, as opposed to
    /// the message itself. Such a refusal will not change by retrying.
    pub fn refuses_handover(self) -> bool {
        use ErrorKind::*;
        matches!(
            self,
            HandoverRefused
                | HandoverDisabled
                | RoutingPrevents
                | PageRestricted
                | NotThreadOwner
                | PermissionMissing
        )
    }
}

fn is_handover_message(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("thread control") || m.contains("thread owner") || m.contains("target app")
}

impl GraphError {
    /// Builds the error for a non-success HTTP response.
    pub fn from_response(status: u16, body: &[u8]) -> Self {
        match ApiError::from_body(body) {
            Some(error) => GraphError::Api {
                status,
                error: Box::new(error),
            },
            None => GraphError::Status {
                status,
                body: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
            },
        }
    }

    /// Classification (see [`ErrorKind::from_code`]).
    pub fn kind(&self) -> ErrorKind {
        match self {
            GraphError::Api { error, .. } => {
                ErrorKind::from_code(error.code, error.error_subcode, &error.message)
            }
            GraphError::Timeout | GraphError::Network(_) => ErrorKind::Transient,
            GraphError::Status { status: 429, .. } => ErrorKind::RateLimited,
            GraphError::Status { status, .. } if *status >= 500 => ErrorKind::Transient,
            GraphError::Status { .. } | GraphError::Decode(_) | GraphError::NotSuccessful(_) => {
                ErrorKind::Other
            }
        }
    }

    /// Whether retrying later (with backoff) can help: rate limits, transient codes, HTTP 5xx
    /// and 429, timeouts, network errors, and unclassified API errors Meta marks
    /// `is_transient`. Never token, permission, window, ownership or parameter errors.
    pub fn is_retryable(&self) -> bool {
        match self.kind() {
            ErrorKind::RateLimited | ErrorKind::Transient => true,
            ErrorKind::Other => {
                matches!(self, GraphError::Api { error, .. } if error.is_transient == Some(true))
            }
            _ => false,
        }
    }

    /// Plain-language text for admins.
    pub fn plain_message(&self) -> &'static str {
        self.kind().plain_message()
    }

    /// Meta's `(code, subcode)` when the error came from the envelope.
    pub fn code(&self) -> Option<(i64, Option<i64>)> {
        match self {
            GraphError::Api { error, .. } => Some((error.code, error.error_subcode)),
            _ => None,
        }
    }
}
