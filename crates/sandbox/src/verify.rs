//! Webhook verification like the App Dashboard's "Verify and save" (§2.1 of the platform
//! doc): a `GET <callback>?hub.mode=subscribe&hub.verify_token=..&hub.challenge=..` that must
//! answer 200 with exactly the challenge.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::fail::SandboxError;
use crate::handle::Sandbox;

/// How long the callback has to answer.
const VERIFY_TIMEOUT: Duration = Duration::from_secs(5);
/// Bytes of the answer read; a longer body cannot be the challenge anyway.
const MAX_ANSWER_BYTES: usize = 1024;

/// The outcome of a verification request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookCheck {
    /// The callback answered 200 with exactly the challenge.
    pub verified: bool,
    /// The HTTP status, `None` when the callback could not be reached.
    pub status: Option<u16>,
    /// What happened, in plain words.
    pub message: String,
}

impl WebhookCheck {
    fn answered(status: u16, message: impl Into<String>) -> Self {
        Self {
            verified: false,
            status: Some(status),
            message: message.into(),
        }
    }
}

/// A random challenge of 10 digits.
fn challenge() -> String {
    let mut h = RandomState::new().build_hasher();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    h.write_u128(nanos);
    (1_000_000_000 + h.finish() % 9_000_000_000).to_string()
}

impl Sandbox {
    /// Sends Meta's verification request to the callback and reports the outcome. The
    /// callback is `callback_url` when given and the callback is not fixed
    /// ([`Sandbox::callback_url_fixed`]), otherwise the configured one. The configured
    /// callback is not changed.
    pub async fn verify_webhook(
        &self,
        verify_token: &str,
        callback_url: Option<&str>,
    ) -> Result<WebhookCheck, SandboxError> {
        let given = callback_url
            .map(str::trim)
            .filter(|u| !u.is_empty() && !self.callback_url_fixed());
        let url = match given {
            Some(u) => u.to_owned(),
            None => self.callback_url().ok_or_else(|| {
                SandboxError::Invalid("no callback URL is set; give one to verify".into())
            })?,
        };
        let url = reqwest::Url::parse(&url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| {
                SandboxError::Invalid(format!("the callback URL {url} is not an http(s) URL"))
            })?;
        let http = reqwest::Client::builder()
            .timeout(VERIFY_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| SandboxError::Invalid(format!("could not prepare the request: {e}")))?;
        let challenge = challenge();
        let sent = http
            .get(url)
            .query(&[
                ("hub.mode", "subscribe"),
                ("hub.verify_token", verify_token),
                ("hub.challenge", challenge.as_str()),
            ])
            .send()
            .await;
        let mut resp = match sent {
            Ok(r) => r,
            Err(e) => {
                let why = if e.is_timeout() {
                    format!("no answer within {} seconds", VERIFY_TIMEOUT.as_secs())
                } else {
                    e.without_url().to_string()
                };
                return Ok(WebhookCheck {
                    verified: false,
                    status: None,
                    message: format!("could not connect: {why}"),
                });
            }
        };
        let status = resp.status().as_u16();
        if status == 403 {
            return Ok(WebhookCheck::answered(
                status,
                "HTTP 403: the verify token did not match",
            ));
        }
        if status != 200 {
            return Ok(WebhookCheck::answered(
                status,
                format!("HTTP {status}: the callback must answer 200 with the hub.challenge value"),
            ));
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) if body.len() <= MAX_ANSWER_BYTES => body.extend_from_slice(&chunk),
                Ok(_) => break,
                Err(e) => {
                    return Ok(WebhookCheck::answered(
                        status,
                        format!("could not read the answer: {}", e.without_url()),
                    ))
                }
            }
        }
        if body == challenge.as_bytes() {
            Ok(WebhookCheck {
                verified: true,
                status: Some(status),
                message: "verified: the callback answered with the challenge".into(),
            })
        } else {
            Ok(WebhookCheck::answered(
                status,
                "wrong answer: the callback answered 200 but its body was not exactly the hub.challenge value",
            ))
        }
    }
}
