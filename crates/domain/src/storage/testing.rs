//! Databases for tests: every test gets one of its own, on either backend, and
//! [`test_on_both_backends!`] runs a test on each. Compiled for
//! this crate's tests and, through the `testing` feature, for other crates' tests only: the
//! release binary carries none of it.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use crate::storage::backend::{Db, PG_MIGRATOR};

/// Runs each named `async fn name(db: Db)` as two tests, `sqlite::name` and `postgres::name`,
/// each on a fresh database of its own: `test_on_both_backends!(memory: a, b)` gives the
/// SQLite run an in-memory database, `disk:` a file (for tests that need several connections
/// at once). The PostgreSQL run is skipped, with a line on stderr, when no test server is
/// configured (`testing::POSTGRES_URL_VAR`; the README's test command always starts one).
#[macro_export]
#[doc(hidden)]
macro_rules! __test_on_both_backends {
    (memory: $($name:ident),* $(,)?) => {
        $crate::storage::testing::test_on_both_backends!(@with { ($crate::storage::testing::sqlite().await, ()) } $($name),*);
    };
    (disk: $($name:ident),* $(,)?) => {
        $crate::storage::testing::test_on_both_backends!(@with { $crate::storage::testing::sqlite_on_disk().await } $($name),*);
    };
    (@with $sqlite:block $($name:ident),*) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let (db, _keep) = $sqlite;
                    super::$name(db).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    if let Some(db) = $crate::storage::testing::postgres().await {
                        super::$name(db).await
                    }
                }
            )*
        }
    };
}
pub use __test_on_both_backends as test_on_both_backends;

/// The environment variable naming the PostgreSQL server the tests may use (a URL to a
/// database on it, normally `postgres`); `scripts/test.sh` starts one and sets it.
pub const POSTGRES_URL_VAR: &str = "BATON_TEST_POSTGRES_URL";

/// The PostgreSQL server the tests use, if one is configured.
pub fn postgres_url() -> Option<String> {
    std::env::var(POSTGRES_URL_VAR)
        .ok()
        .filter(|u| !u.is_empty())
}

/// A fresh, migrated SQLite database in memory.
pub async fn sqlite() -> Db {
    let db = Db::Sqlite(
        crate::storage::db::connect("sqlite::memory:")
            .await
            .unwrap(),
    );
    db.migrate().await.unwrap();
    db
}

/// A fresh, migrated SQLite database in a file of its own (for tests that need several
/// connections at once), removed with the returned guard.
pub async fn sqlite_on_disk() -> (Db, TempDir) {
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "baton-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let url = format!("sqlite://{}/baton.db", dir.display());
    let db = Db::Sqlite(crate::storage::db::connect(&url).await.unwrap());
    db.migrate().await.unwrap();
    (db, TempDir(dir))
}

/// A test database's folder, removed when dropped.
pub struct TempDir(pub std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh, migrated PostgreSQL database of its own on the test server, or `None` (with
/// a line on stderr) when no server is configured. `scripts/test.sh` always configures
/// one, so in CI these tests always run.
pub async fn postgres() -> Option<Db> {
    let Some(url) = postgres_url() else {
        eprintln!("skipped: {POSTGRES_URL_VAR} is not set (scripts/test.sh sets it)");
        return None;
    };
    Some(Db::Postgres(fresh_postgres(&url).await))
}

/// Creates a new, empty database on the server `url` points at and returns its name.
async fn create_database(url: &str) -> String {
    crate::storage::backend::create_database(url, "baton_test")
        .await
        .expect("create a test database")
        .1
}

/// A URL to a new, empty (unmigrated) database on the server `url` points at: `url` with
/// its database name replaced.
pub async fn empty_postgres_database(url: &str) -> String {
    crate::storage::backend::create_database(url, "baton_test")
        .await
        .expect("create a test database")
        .0
}

/// Creates a new database on the server `url` points at and returns a migrated pool on it.
pub async fn fresh_postgres(url: &str) -> PgPool {
    let name = create_database(url).await;
    let options = PgConnectOptions::from_str(url).unwrap().database(&name);
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .expect("connect to the test database");
    PG_MIGRATOR
        .run(&pool)
        .await
        .expect("migrate the test database");
    crate::storage::secrets::give_test_database_a_key(&pool);
    pool
}
