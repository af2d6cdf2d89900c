//! Sandbox configuration: pages, the primary (Baton) app, webhook callback and delivery knobs.

use std::time::Duration;

use messenger::Secret;

/// A page the sandbox hosts.
#[derive(Debug, Clone)]
pub struct PageConfig {
    pub id: String,
    pub name: String,
    /// Page access token Baton must present (`access_token` or `Authorization: Bearer`).
    pub access_token: Secret,
}

/// The primary receiver app (Baton): the only app with a webhook.
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub id: String,
    pub name: String,
    /// Signs webhook deliveries (`X-Hub-Signature-256` and `X-Hub-Signature`).
    pub secret: Secret,
}

/// Webhook delivery behaviour.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// First retry delay; doubles per failed attempt up to `max_backoff`.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Attempts before a delivery is given up (recorded as failed).
    pub max_attempts: u32,
    /// Per-attempt HTTP timeout.
    pub timeout: Duration,
    /// Send `X-Hub-Signature-256` (tests may turn either header off).
    pub sign_sha256: bool,
    /// Send the legacy `X-Hub-Signature` (sha1).
    pub sign_sha1: bool,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            max_attempts: 20,
            timeout: Duration::from_secs(5),
            sign_sha256: true,
            sign_sha1: true,
        }
    }
}

/// Everything needed to build a `Sandbox`.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub pages: Vec<PageConfig>,
    pub app: AppConfig,
    /// Where webhooks go; may be set later with `Sandbox::set_callback_url`.
    pub callback_url: Option<String>,
    pub delivery: DeliveryConfig,
    /// "Move to inbox" variant: Page Inbox takes control directly (`take_thread_control` to
    /// Baton) instead of sending `request_thread_control`.
    pub inbox_takes_directly: bool,
    /// Caps on what the emulator keeps, so nobody can grow its memory without bound.
    pub limits: Limits,
}

/// Caps on the emulator's state. The oldest lines, ownership changes and finished delivery
/// records are dropped first; new test users and over-long texts are refused.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Test users in all (the control API refuses more).
    pub max_users: usize,
    /// Characters in one message a test user or Page Inbox agent types.
    pub max_text_chars: usize,
    /// Transcript lines kept per user.
    pub max_transcript_lines: usize,
    /// Thread-control changes kept per user.
    pub max_history: usize,
    /// Webhook delivery records kept (finished ones; pending ones are never dropped).
    pub max_delivery_records: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_users: 200,
            max_text_chars: 2_000,
            max_transcript_lines: 500,
            max_history: 200,
            max_delivery_records: 5_000,
        }
    }
}

/// Default page id.
pub const DEFAULT_PAGE_ID: &str = "1234567890";
/// Default page token.
pub const DEFAULT_PAGE_TOKEN: &str = "sandbox-page-token";
/// Default Baton app id.
pub const DEFAULT_APP_ID: &str = "111111111111111";
/// Default app secret.
pub const DEFAULT_APP_SECRET: &str = "sandbox-app-secret";

/// Permissions every page token starts with (the ones Baton needs, §9 of the platform doc);
/// change them per page with `Sandbox::update_page`.
pub const DEFAULT_SCOPES: &[&str] = &[
    "pages_messaging",
    "pages_manage_metadata",
    "pages_show_list",
    "pages_read_engagement",
];

/// A *user* access token (of [`SANDBOX_USER_ID`]): `GET /me` answers the user; every page
/// call with it fails with code 210 (a page token is required).
pub const USER_TOKEN: &str = "sandbox-user-token";
/// The user behind [`USER_TOKEN`].
pub const SANDBOX_USER_ID: &str = "100000000000001";
/// Name of the user behind [`USER_TOKEN`].
pub const SANDBOX_USER_NAME: &str = "Sam Sandbox";
/// A token whose session has expired: every call with it fails with code 190 / subcode 463.
pub const EXPIRED_TOKEN: &str = "sandbox-expired-token";

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            pages: vec![PageConfig {
                id: DEFAULT_PAGE_ID.into(),
                name: "Baton Demo".into(),
                access_token: Secret::new(DEFAULT_PAGE_TOKEN),
            }],
            app: AppConfig {
                id: DEFAULT_APP_ID.into(),
                name: "Baton".into(),
                secret: Secret::new(DEFAULT_APP_SECRET),
            },
            callback_url: None,
            delivery: DeliveryConfig::default(),
            inbox_takes_directly: false,
            limits: Limits::default(),
        }
    }
}

impl SandboxConfig {
    /// Default config with the given app secret and callback URL.
    pub fn new(app_secret: impl Into<String>, callback_url: Option<String>) -> Self {
        let mut c = Self::default();
        c.app.secret = Secret::new(app_secret.into());
        c.callback_url = callback_url;
        c
    }
}
