//! The connected Facebook Page: at most one row; connecting a page replaces the previous one.
//! Tokens and secrets come back wrapped in [`Secret`] (Debug prints `***`).

use messenger::Secret;
use sqlx::SqlitePool;

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

impl From<Raw> for PageRow {
    fn from(r: Raw) -> Self {
        PageRow {
            page_id: r.page_id,
            name: r.name,
            access_token: Secret::new(r.access_token),
            app_secret: Secret::new(r.app_secret),
            verify_token: Secret::new(r.verify_token),
            app_id: r.app_id,
            graph_api_url: r.graph_api_url,
            is_sandbox: r.is_sandbox,
            connected_at: r.connected_at,
        }
    }
}

/// The connected page, if any.
pub async fn current(pool: &SqlitePool) -> Result<Option<PageRow>, sqlx::Error> {
    let raw: Option<Raw> = sqlx::query_as(
        "SELECT page_id, name, access_token, app_secret, verify_token, app_id, graph_api_url,
                is_sandbox, connected_at
         FROM pages ORDER BY connected_at DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await?;
    Ok(raw.map(PageRow::from))
}

/// Forgets the connected page and its secrets.
pub async fn disconnect(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM pages").execute(pool).await?;
    Ok(())
}

/// Stores `page` as the connected page, replacing any other (one transaction).
pub async fn connect(pool: &SqlitePool, page: &PageRow) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM pages").execute(&mut *tx).await?;
    sqlx::query(
        "INSERT INTO pages (page_id, name, access_token, app_secret, verify_token, app_id,
                            graph_api_url, is_sandbox, connected_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&page.page_id)
    .bind(&page.name)
    .bind(page.access_token.expose())
    .bind(page.app_secret.expose())
    .bind(page.verify_token.expose())
    .bind(&page.app_id)
    .bind(&page.graph_api_url)
    .bind(page.is_sandbox)
    .bind(page.connected_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}
