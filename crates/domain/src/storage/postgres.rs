//! PostgreSQL connections: a pool for one instance among several on the same server, and
//! the throwaway databases tests and the bench create and drop. The migrations are those of
//! `migrations/postgres/`.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool};

use crate::storage::db::DbError;

/// Migrations for the PostgreSQL backend, embedded at compile time. sqlx takes a PostgreSQL
/// advisory lock while it applies them, so instances starting together (or `baton migrate`
/// run beside running instances) apply each migration once.
pub static PG_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// A pool on a PostgreSQL database. Several Baton instances share it, so each keeps a
/// modest number of connections (PostgreSQL's default limit is 100 in all).
pub async fn connect_postgres(url: &str) -> Result<PgPool, DbError> {
    let options = PgConnectOptions::from_str(url).map_err(DbError::Open)?;
    // One plain connection first: a wrong host, password or database name gets its own
    // error at once, where the pool would retry until its timeout and then only say it
    // timed out.
    sqlx::Connection::close(
        <PgConnection as sqlx::Connection>::connect_with(&options)
            .await
            .map_err(DbError::Open)?,
    )
    .await
    .map_err(DbError::Open)?;
    PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(DbError::Open)
}

/// Creates a new, empty database named `{prefix}_{process}_{n}_{nanos}` on the PostgreSQL
/// server `url` points at; returns `url` with its database name replaced, and the name. For
/// tests and the bench, which drop it afterwards ([`drop_database`]).
pub async fn create_database(url: &str, prefix: &str) -> Result<(String, String), DbError> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let admin = connect_postgres(url).await?;
    let name = format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    );
    // The name is made of letters, digits and underscores only: no quoting needed.
    let created = sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await;
    admin.close().await;
    created.map_err(DbError::Open)?;
    Ok((with_database(url, &name), name))
}

/// Drops the database `name` (made by [`create_database`]) on the server `url` points at,
/// closing its connections first.
pub async fn drop_database(url: &str, name: &str) -> Result<(), DbError> {
    let admin = connect_postgres(url).await?;
    let dropped = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&admin)
        .await;
    admin.close().await;
    dropped.map_err(DbError::Open)?;
    Ok(())
}

/// `url` naming the database `name` instead: the path after the host is replaced, the query
/// (`?host=/run/postgresql` for a unix socket, say) is kept.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let authority_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|i| start + i))
        .unwrap_or(base.len());
    let mut out = format!("{}/{name}", &base[..authority_end]);
    if !query.is_empty() {
        out.push('?');
        out.push_str(query);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn a_url_names_another_database_and_keeps_its_options() {
        assert_eq!(
            with_database(
                "postgres://u:p@db.example:5433/baton?sslmode=require",
                "b_1"
            ),
            "postgres://u:p@db.example:5433/b_1?sslmode=require"
        );
        assert_eq!(
            with_database(
                "postgres://baton@localhost/postgres?host=/tmp/pg&port=55432",
                "b_2"
            ),
            "postgres://baton@localhost/b_2?host=/tmp/pg&port=55432"
        );
        assert_eq!(
            with_database("postgresql://db.example", "b_3"),
            "postgresql://db.example/b_3"
        );
    }
}
