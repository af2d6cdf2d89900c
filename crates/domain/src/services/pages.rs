//! Connecting the Facebook Page (shared by `baton page connect|sandbox` and the setup wizard):
//! input checks, a cheap `GET /me` check of the token, the built-in sandbox page, and the
//! Graph client for the connected page. Every connection is audited.

use crate::clock::Clock;
use std::time::Duration;

use crate::storage::backend::DbRef;
use messenger::{GraphApi, GraphClient, Secret};

use super::auth::new_token;
use crate::storage::repo::audit::{self, Actor};
use crate::storage::repo::pages::{self, PageRow};
use model::AppError;

/// How long the `GET /me` check may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// Why connecting a page was refused or failed. The CLI prints it as it is; server functions
/// answer with the matching `AppError`.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// An input breaks a rule, or Facebook refused the token; the text says what to do.
    #[error("{0}")]
    Invalid(String),
    #[error("the sandbox has no page configured")]
    NoSandboxPage,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl From<PageError> for AppError {
    fn from(err: PageError) -> Self {
        match err {
            PageError::Invalid(why) => AppError::Invalid(why),
            PageError::NoSandboxPage => {
                tracing::error!("the sandbox configuration has no page");
                AppError::Internal
            }
            PageError::Database(e) => e.into(),
        }
    }
}

/// What an admin gives to connect a real page.
#[derive(Debug, Clone)]
pub struct PageInput {
    pub page_id: String,
    pub access_token: Secret,
    pub app_secret: Secret,
    pub verify_token: Secret,
    pub app_id: String,
}

/// The stored page and anything the admin should know (e.g. the token could not be checked).
#[derive(Debug, Clone)]
pub struct Connected {
    pub page: PageRow,
    pub notes: Vec<String>,
}

/// A Graph client for `page`: its own base URL (sandbox) or `default_base`, its token, and
/// `appsecret_proof` from its app secret.
pub fn graph_client(page: &PageRow, default_base: &str) -> GraphClient {
    graph_client_sharing(page, default_base, messenger::graph::HttpClient::new())
}

/// [`graph_client`] on a shared connection pool (see `GraphClient::sharing`).
pub fn graph_client_sharing(
    page: &PageRow,
    default_base: &str,
    http: messenger::graph::HttpClient,
) -> GraphClient {
    page.graph_client(default_base, http)
}

/// The connected page, if any.
pub async fn connected<'a>(pool: impl Into<DbRef<'a>>) -> Result<Option<PageRow>, PageError> {
    let pool = pool.into();
    Ok(pages::current(pool).await?)
}

fn required(name: &str, value: &str) -> Result<(), PageError> {
    if value.trim().is_empty() {
        Err(PageError::Invalid(format!("{name} must not be empty.")))
    } else if value.chars().any(char::is_whitespace) {
        Err(PageError::Invalid(format!(
            "{name} must not contain spaces."
        )))
    } else {
        Ok(())
    }
}

fn digits(name: &str, value: &str) -> Result<(), PageError> {
    required(name, value)?;
    if value.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(PageError::Invalid(format!(
            "{name} must be a number such as 1234567890 (got {value:?})."
        )))
    }
}

/// Checks the input, asks Facebook (`GET /me` at `graph_base`) whose token it is, and stores
/// the page. Refused when Facebook answers with a permanent error (bad token, wrong app
/// secret, ...) or the token belongs to another page; stored with a note when Facebook cannot
/// be reached right now (timeouts, network, 5xx, rate limits).
pub async fn connect<'a>(
    pool: impl Into<DbRef<'a>>,
    clock: &Clock,
    actor: &Actor,
    input: PageInput,
    graph_base: &str,
) -> Result<Connected, PageError> {
    let pool = pool.into();
    digits("The page id", &input.page_id)?;
    digits("The app id", &input.app_id)?;
    required("The access token", input.access_token.expose())?;
    required("The app secret", input.app_secret.expose())?;
    required("The verify token", input.verify_token.expose())?;

    let client = GraphClient::new(graph_base, input.access_token.clone())
        .with_app_secret(&input.app_secret)
        .with_timeout(CHECK_TIMEOUT);
    let mut notes = Vec::new();
    let name = match client.me().await {
        Ok(me) if me.id == input.page_id => {
            notes.push(format!(
                "Facebook confirms the token belongs to page {} ({}).",
                me.id, me.name
            ));
            me.name
        }
        Ok(me) => {
            return Err(PageError::Invalid(format!(
                "The access token belongs to page {} ({}), not to page {}. Use that page's id \
                 or an access token of page {}.",
                me.id, me.name, input.page_id, input.page_id
            )))
        }
        Err(e) if !e.is_retryable() => {
            return Err(PageError::Invalid(format!(
                "Facebook refused the page access token or app secret: {}. Nothing was stored. \
                 (Details: {e})",
                e.plain_message()
            )))
        }
        Err(e) => {
            notes.push(format!(
                "Could not check the token with Facebook right now ({e}); the page is stored \
                 anyway. Check it again from the setup wizard."
            ));
            input.page_id.clone()
        }
    };
    let page = PageRow {
        page_id: input.page_id,
        name,
        access_token: input.access_token,
        app_secret: input.app_secret,
        verify_token: input.verify_token,
        app_id: input.app_id,
        graph_api_url: None,
        is_sandbox: false,
        connected_at: clock.now(),
    };
    store(pool, actor, &page).await?;
    Ok(Connected { page, notes })
}

/// Connects the built-in sandbox page (`sandbox::SandboxConfig::default()`: its page, token,
/// app id and app secret; no remote check), whose Graph API is at `graph_api_url`
/// (`http://ADDR/sandbox/v21.0` under `baton serve`), with a new random verify token.
pub async fn connect_sandbox<'a>(
    pool: impl Into<DbRef<'a>>,
    clock: &Clock,
    actor: &Actor,
    graph_api_url: &str,
) -> Result<PageRow, PageError> {
    let pool = pool.into();
    let config = sandbox::SandboxConfig::default();
    let sandbox_page = config.pages.first().ok_or(PageError::NoSandboxPage)?;
    let page = PageRow {
        page_id: sandbox_page.id.clone(),
        name: sandbox_page.name.clone(),
        access_token: sandbox_page.access_token.clone(),
        app_secret: config.app.secret.clone(),
        verify_token: Secret::new(&new_token()[..32]),
        app_id: config.app.id.clone(),
        graph_api_url: Some(graph_api_url.trim_end_matches('/').to_owned()),
        is_sandbox: true,
        connected_at: clock.now(),
    };
    store(pool, actor, &page).await?;
    Ok(page)
}

async fn store<'a>(
    pool: impl Into<DbRef<'a>>,
    actor: &Actor,
    page: &PageRow,
) -> Result<(), PageError> {
    let pool = pool.into();
    pages::connect(pool, page).await?;
    let detail = if page.is_sandbox {
        format!("{} (sandbox)", page.name)
    } else {
        page.name.clone()
    };
    audit::record(
        pool,
        actor,
        "page.connected",
        Some(&page.page_id),
        Some(&detail),
        page.connected_at,
    )
    .await?;
    Ok(())
}

/// The connected page's bot disclosure (off, or on with its words).
pub async fn bot_disclosure<'a>(
    pool: impl Into<DbRef<'a>>,
) -> Result<Option<model::BotDisclosure>, PageError> {
    let pool = pool.into();
    let Some(page) = pages::current(pool).await? else {
        return Ok(None);
    };
    let text = pages::bot_disclosure(pool, &page.page_id).await?;
    Ok(Some(model::BotDisclosure {
        on: text.is_some(),
        text: text.unwrap_or_else(|| model::DEFAULT_BOT_DISCLOSURE.to_owned()),
    }))
}

/// Turns the connected page's bot disclosure on (with `text`) or off; audited.
pub async fn set_bot_disclosure<'a>(
    pool: impl Into<DbRef<'a>>,
    clock: &Clock,
    actor: &Actor,
    on: bool,
    text: &str,
) -> Result<model::BotDisclosure, PageError> {
    let pool = pool.into();
    let words = model::BotDisclosure::parse(on, text).map_err(PageError::Invalid)?;
    let page = pages::current(pool)
        .await?
        .ok_or_else(|| PageError::Invalid("No Facebook page is connected.".into()))?;
    pages::set_bot_disclosure(pool, &page.page_id, words.as_deref()).await?;
    audit::record(
        pool,
        actor,
        "settings.changed",
        Some("bot disclosure"),
        Some(words.as_deref().unwrap_or("off")),
        clock.now(),
    )
    .await?;
    Ok(model::BotDisclosure {
        on: words.is_some(),
        text: words.unwrap_or_else(|| model::DEFAULT_BOT_DISCLOSURE.to_owned()),
    })
}
