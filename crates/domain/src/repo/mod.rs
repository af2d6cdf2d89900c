//! Repositories: every SQL query Baton runs lives under this module, one file per domain,
//! taking a pool and returning domain types. Keep SQL portable (the PostgreSQL backend reuses it).

pub mod audit;
pub mod conversations;
pub mod draft_trials;
pub mod flows;
pub mod inbox;
pub mod login_limits;
pub mod outbox;
pub mod pages;
pub mod sandbox_state;
pub mod sessions;
pub mod settings;
pub mod setup;
pub mod users;
pub mod webhook_events;

/// Runs a multi-row INSERT of `rows` rows built with a `QueryBuilder`. sqlx keeps a prepared
/// statement per distinct text and connection; a statement whose length follows its row count
/// is kept only for one row (the common case of most callers), so that hundreds of sizes do
/// not pile up in the cache.
pub(crate) async fn insert_rows(
    mut insert: sqlx::QueryBuilder<'_, sqlx::Sqlite>,
    rows: usize,
    conn: &mut sqlx::SqliteConnection,
) -> Result<(), sqlx::Error> {
    insert.build().persistent(rows == 1).execute(conn).await?;
    Ok(())
}
