//! The connected Facebook Page: at most one row; connecting a page replaces the previous one.
//! Tokens and secrets are stored sealed (`crate::storage::secrets`) and come back opened,
//! wrapped in [`Secret`] (Debug prints `***`).

use messenger::Secret;

use crate::storage::backend::on_db;
use crate::storage::backend::DbRef;
use crate::storage::secrets;

/// The connected page, secrets included (server-side only: never log it field by field,
/// never send it to the browser).
#[derive(Debug, Clone)]
pub struct PageRow {
    pub page_id: String,
    pub name: String,
    pub access_token: Secret,
    pub app_secret: Secret,
    pub verify_token: Secret,
    pub app_id: String,
    /// Graph API base URL override (the sandbox page); `None` = the configured one.
    pub graph_api_url: Option<String>,
    pub is_sandbox: bool,
    /// Unix seconds.
    pub connected_at: i64,
}

impl PageRow {
    /// The Graph API client for this page, on a shared connection pool (see
    /// `GraphClient::sharing`): the page's own Graph base if it has one, else `default_base`.
    pub fn graph_client(
        &self,
        default_base: &str,
        http: messenger::graph::HttpClient,
    ) -> messenger::GraphClient {
        let base = self.graph_api_url.as_deref().unwrap_or(default_base);
        messenger::GraphClient::sharing(http, base, self.access_token.clone())
            .with_app_secret(&self.app_secret)
    }
}

#[derive(sqlx::FromRow)]
struct Raw {
    page_id: String,
    name: String,
    access_token: String,
    app_secret: String,
    verify_token: String,
    app_id: String,
    graph_api_url: Option<String>,
    is_sandbox: bool,
    connected_at: i64,
}

impl Raw {
    /// Opens the sealed secrets (see `crate::storage::secrets`).
    fn open(self, pool: DbRef<'_>) -> Result<PageRow, sqlx::Error> {
        let open = |v: &str| {
            secrets::open(pool, v)
                .map(Secret::new)
                .map_err(secrets::db_error)
        };
        Ok(PageRow {
            access_token: open(&self.access_token)?,
            app_secret: open(&self.app_secret)?,
            verify_token: open(&self.verify_token)?,
            page_id: self.page_id,
            name: self.name,
            app_id: self.app_id,
            graph_api_url: self.graph_api_url,
            is_sandbox: self.is_sandbox,
            connected_at: self.connected_at,
        })
    }
}

/// Bumped whenever this process connects or forgets a page, so [`PageCache`]s refetch.
static GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn changed() {
    GENERATION.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
}

/// How long a [`PageCache`] trusts its copy when nothing in this process changed the page
/// (another process, `baton page connect`, may have).
const CACHE_FOR: std::time::Duration = std::time::Duration::from_secs(1);

/// The connected page for the webhook, which needs it (app secret, page id) on every
/// delivery: read from the database and unsealed at most once a second, and at once after
/// this process connects or forgets a page.
#[derive(Clone, Default)]
pub struct PageCache {
    #[allow(clippy::type_complexity)]
    slot: std::sync::Arc<std::sync::Mutex<Option<(u64, std::time::Instant, Option<PageRow>)>>>,
}

impl PageCache {
    pub async fn current<'a>(
        &self,
        pool: impl Into<DbRef<'a>>,
    ) -> Result<Option<PageRow>, sqlx::Error> {
        let generation = GENERATION.load(std::sync::atomic::Ordering::Acquire);
        if let Some((seen, at, page)) = self.slot.lock().unwrap().as_ref() {
            if *seen == generation && at.elapsed() < CACHE_FOR {
                return Ok(page.clone());
            }
        }
        let page = current(pool).await?;
        *self.slot.lock().unwrap() = Some((generation, std::time::Instant::now(), page.clone()));
        Ok(page)
    }
}

/// The connected page, if any.
pub async fn current<'a>(db: impl Into<DbRef<'a>>) -> Result<Option<PageRow>, sqlx::Error> {
    let db = db.into();
    let raw: Option<Raw> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT page_id, name, access_token, app_secret, verify_token, app_id, graph_api_url,
                    is_sandbox, connected_at
             FROM pages ORDER BY connected_at DESC LIMIT 1",
        )
        .fetch_optional(pool)
        .await
    })?;
    raw.map(|r| r.open(db)).transpose()
}

/// Seals secrets stored before encryption existed (run at start-up; a no-op afterwards).
pub async fn seal_stored<'a>(db: impl Into<DbRef<'a>>) -> Result<bool, sqlx::Error> {
    let pool = db.into();
    let raw: Option<(String, String, String)> = on_db!(pool, pool => {
        sqlx::query_as(
            "SELECT access_token, app_secret, verify_token FROM pages
             ORDER BY connected_at DESC LIMIT 1",
        )
        .fetch_optional(pool)
        .await
    })?;
    let Some((a, b, c)) = raw else {
        return Ok(false);
    };
    if [a, b, c].iter().all(|v| secrets::is_sealed(v)) {
        return Ok(false);
    }
    match current(pool).await? {
        Some(page) => connect(pool, &page).await.map(|()| true),
        None => Ok(false),
    }
}

/// Forgets the connected page and its secrets.
pub async fn disconnect<'a>(db: impl Into<DbRef<'a>>) -> Result<(), sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query("DELETE FROM pages")
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    changed();
    Ok(())
}

/// Stores `page` as the connected page, replacing any other (one transaction).
pub async fn connect<'a>(db: impl Into<DbRef<'a>>, page: &PageRow) -> Result<(), sqlx::Error> {
    let db = db.into();
    let seal = |v: &Secret| secrets::seal(db, v.expose()).map_err(secrets::db_error);
    let (access_token, app_secret, verify_token) = (
        seal(&page.access_token)?,
        seal(&page.app_secret)?,
        seal(&page.verify_token)?,
    );
    on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query("DELETE FROM pages").execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO pages (page_id, name, access_token, app_secret, verify_token, app_id,
                                graph_api_url, is_sandbox, connected_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&page.page_id)
        .bind(&page.name)
        .bind(&access_token)
        .bind(&app_secret)
        .bind(&verify_token)
        .bind(&page.app_id)
        .bind(&page.graph_api_url)
        .bind(page.is_sandbox)
        .bind(page.connected_at)
        .execute(&mut *tx)
        .await?;
        // A page connected for the first time tells its users they talk to a bot; one
        // connected before keeps what its admins chose.
        sqlx::query(
            "INSERT INTO page_settings (page_id, bot_disclosure) VALUES ($1, $2)
             ON CONFLICT (page_id) DO NOTHING",
        )
        .bind(&page.page_id)
        .bind(model::DEFAULT_BOT_DISCLOSURE)
        .execute(&mut *tx)
        .await?;
        // A new connection (or a new token) ends a pause for a refused token; the waiting
        // calls go out at their next attempt, within a minute.
        sqlx::query("DELETE FROM settings WHERE key = $1")
            .bind(super::settings::keys::TOKEN_PROBLEM)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    });
    changed();
    Ok(())
}

/// The line telling `page_id`'s users they talk to an automated assistant (`None`: off).
pub async fn bot_disclosure<'a>(
    db: impl Into<DbRef<'a>>,
    page_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(Option<String>,)> = on_db!(db.into(), pool => {
        sqlx::query_as("SELECT bot_disclosure FROM page_settings WHERE page_id = $1")
            .bind(page_id)
            .fetch_optional(pool)
            .await
    })?;
    Ok(row.and_then(|r| r.0))
}

/// Turns the bot disclosure on with `text`, or off with `None`.
pub async fn set_bot_disclosure<'a>(
    db: impl Into<DbRef<'a>>,
    page_id: &str,
    text: Option<&str>,
) -> Result<(), sqlx::Error> {
    on_db!(db.into(), pool => {
        sqlx::query(
            "INSERT INTO page_settings (page_id, bot_disclosure) VALUES ($1, $2)
             ON CONFLICT (page_id) DO UPDATE SET bot_disclosure = excluded.bot_disclosure",
        )
        .bind(page_id)
        .bind(text)
        .execute(pool)
        .await
        .map(|_| ())
    })
}
