//! The two database backends behind one handle: SQLite (the default, one file beside the
//! binary) and PostgreSQL (several Baton instances on one database).
//!
//! Repositories take `impl Into<DbRef>` and run their SQL with [`on_db!`], which expands the
//! same code once per backend: the SQL text is shared (`$1` placeholders work on both), and
//! each arm is type-checked against its own driver, so there are no generic database bounds to
//! carry around. Where the SQL must differ, the function matches on the backend or picks the
//! text with [`PerBackend`]. A
//! caller that still holds a `&SqlitePool` passes it unchanged: the port to both backends
//! goes one repository at a time (docs/postgres.md lists which are done).

use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};

pub use crate::storage::db::scheme_of;
use crate::storage::db::{DbError, Deliveries, WriteTx};
pub use crate::storage::postgres::{connect_postgres, create_database, drop_database, PG_MIGRATOR};

/// A connection pool to either backend.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A borrowed [`Db`]: what repositories take (`impl Into<DbRef>` also accepts `&SqlitePool`
/// and `&PgPool`).
#[derive(Clone, Copy, Debug)]
pub enum DbRef<'a> {
    Sqlite(&'a SqlitePool),
    Postgres(&'a PgPool),
}

/// Which backend a handle is on, for the few statements whose SQL differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a database URL selects, or `None` for an unknown scheme.
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

impl DbRef<'_> {
    pub fn backend(self) -> Backend {
        match self {
            DbRef::Sqlite(_) => Backend::Sqlite,
            DbRef::Postgres(_) => Backend::Postgres,
        }
    }
}

impl<'a> From<&'a SqlitePool> for DbRef<'a> {
    fn from(pool: &'a SqlitePool) -> Self {
        DbRef::Sqlite(pool)
    }
}

impl<'a> From<&'a PgPool> for DbRef<'a> {
    fn from(pool: &'a PgPool) -> Self {
        DbRef::Postgres(pool)
    }
}

impl From<SqlitePool> for Db {
    fn from(pool: SqlitePool) -> Self {
        Db::Sqlite(pool)
    }
}

impl From<PgPool> for Db {
    fn from(pool: PgPool) -> Self {
        Db::Postgres(pool)
    }
}

impl<'a> From<&'a Db> for DbRef<'a> {
    fn from(db: &'a Db) -> Self {
        match db {
            Db::Sqlite(pool) => DbRef::Sqlite(pool),
            Db::Postgres(pool) => DbRef::Postgres(pool),
        }
    }
}

impl Db {
    /// Applies this backend's migrations.
    pub async fn migrate(&self) -> Result<(), DbError> {
        match self {
            Db::Sqlite(pool) => crate::storage::db::migrate(pool).await,
            Db::Postgres(pool) => {
                PG_MIGRATOR.run(pool).await?;
                Ok(())
            }
        }
    }

    /// The SQLite pool, for SQLite-only code and tests (`None` on PostgreSQL).
    pub fn as_sqlite(&self) -> Option<&SqlitePool> {
        match self {
            Db::Sqlite(pool) => Some(pool),
            Db::Postgres(_) => None,
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

impl Deliveries {
    /// Where the deliveries are, as repositories take it.
    pub fn db(&self) -> DbRef<'_> {
        match self {
            Deliveries::Sqlite { pool, .. } => pool.into(),
            Deliveries::Postgres(pool) => pool.into(),
        }
    }
}

/// Where one statement runs: a pool or a connection (often a caller's transaction) of either
/// backend. What repository functions take when a caller may run them inside its own
/// transaction; `on_exec!` runs a statement on it. A function that runs several statements
/// takes `Exec` once and passes `exec.reborrow()` to each.
#[derive(Debug)]
pub enum Exec<'c> {
    SqlitePool(&'c SqlitePool),
    PgPool(&'c PgPool),
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl Exec<'_> {
    pub fn backend(&self) -> Backend {
        match self {
            Exec::SqlitePool(_) | Exec::Sqlite(_) => Backend::Sqlite,
            Exec::PgPool(_) | Exec::Postgres(_) => Backend::Postgres,
        }
    }

    /// The same place for one more statement.
    pub fn reborrow(&mut self) -> Exec<'_> {
        match self {
            Exec::SqlitePool(pool) => Exec::SqlitePool(pool),
            Exec::PgPool(pool) => Exec::PgPool(pool),
            Exec::Sqlite(conn) => Exec::Sqlite(conn),
            Exec::Postgres(conn) => Exec::Postgres(conn),
        }
    }
}

impl<'c> From<&'c SqlitePool> for Exec<'c> {
    fn from(pool: &'c SqlitePool) -> Self {
        Exec::SqlitePool(pool)
    }
}

impl<'c> From<&'c PgPool> for Exec<'c> {
    fn from(pool: &'c PgPool) -> Self {
        Exec::PgPool(pool)
    }
}

impl<'c> From<&'c Db> for Exec<'c> {
    fn from(db: &'c Db) -> Self {
        DbRef::from(db).into()
    }
}

impl<'c> From<DbRef<'c>> for Exec<'c> {
    fn from(db: DbRef<'c>) -> Self {
        match db {
            DbRef::Sqlite(pool) => Exec::SqlitePool(pool),
            DbRef::Postgres(pool) => Exec::PgPool(pool),
        }
    }
}

impl<'c> From<&'c mut SqliteConnection> for Exec<'c> {
    fn from(conn: &'c mut SqliteConnection) -> Self {
        Exec::Sqlite(conn)
    }
}

impl<'c> From<&'c mut PgConnection> for Exec<'c> {
    fn from(conn: &'c mut PgConnection) -> Self {
        Exec::Postgres(conn)
    }
}

impl<'c> From<&'c mut PoolConnection<Sqlite>> for Exec<'c> {
    fn from(conn: &'c mut PoolConnection<Sqlite>) -> Self {
        Exec::Sqlite(conn)
    }
}

impl<'c> From<&'c mut PoolConnection<Postgres>> for Exec<'c> {
    fn from(conn: &'c mut PoolConnection<Postgres>) -> Self {
        Exec::Postgres(conn)
    }
}

impl<'c> From<&'c mut WriteTx> for Exec<'c> {
    fn from(tx: &'c mut WriteTx) -> Self {
        Exec::Sqlite(tx)
    }
}

impl<'c, 't> From<&'c mut Transaction<'t, Sqlite>> for Exec<'c> {
    fn from(tx: &'c mut Transaction<'t, Sqlite>) -> Self {
        Exec::Sqlite(tx)
    }
}

impl<'c, 't> From<&'c mut Transaction<'t, Postgres>> for Exec<'c> {
    fn from(tx: &'c mut Transaction<'t, Postgres>) -> Self {
        Exec::Postgres(tx)
    }
}

/// A write transaction on either backend. On SQLite it holds this process's write turn
/// (`db::WriteTx`): [`Tx::foreground`] for what a person or a webhook waits for,
/// [`Tx::background`] for the workers. PostgreSQL has row locks and no turns: both are a
/// plain transaction. `tx.exec()` is where its statements run.
pub enum Tx {
    Sqlite(crate::storage::db::WriteTx),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub async fn foreground<'a>(db: impl Into<DbRef<'a>>) -> Result<Tx, sqlx::Error> {
        Ok(match db.into() {
            DbRef::Sqlite(pool) => Tx::Sqlite(crate::storage::db::write_tx(pool).await?),
            DbRef::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    pub async fn background<'a>(db: impl Into<DbRef<'a>>) -> Result<Tx, sqlx::Error> {
        Ok(match db.into() {
            DbRef::Sqlite(pool) => Tx::Sqlite(crate::storage::db::background_write_tx(pool).await?),
            DbRef::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    pub fn exec(&mut self) -> Exec<'_> {
        match self {
            Tx::Sqlite(tx) => tx.into(),
            Tx::Postgres(tx) => tx.into(),
        }
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.rollback().await,
            Tx::Postgres(tx) => tx.rollback().await,
        }
    }

    /// Opens a savepoint: what follows can be undone alone ([`Tx::rollback_to_savepoint`])
    /// or kept ([`Tx::release_savepoint`]). One at a time; the same SQL on both backends.
    pub async fn savepoint(&mut self) -> Result<(), sqlx::Error> {
        self.run("SAVEPOINT one_step").await
    }

    pub async fn release_savepoint(&mut self) -> Result<(), sqlx::Error> {
        self.run("RELEASE SAVEPOINT one_step").await
    }

    /// Undoes everything since [`Tx::savepoint`] and closes the savepoint.
    pub async fn rollback_to_savepoint(&mut self) -> Result<(), sqlx::Error> {
        self.run("ROLLBACK TO SAVEPOINT one_step").await?;
        self.release_savepoint().await
    }

    async fn run(&mut self, sql: &'static str) -> Result<(), sqlx::Error> {
        on_exec!(self.exec(), c => sqlx::query(sql).execute(c).await.map(|_| ()))
    }
}

/// Whether `e` says nothing about the work itself, only that the database could not do it
/// just now, so the same work done again may well succeed: a deadlock or serialization
/// failure (PostgreSQL rolls back one of two transactions that wait on each other), a busy or
/// locked SQLite file, a server shutting down, or a lost connection. Such an error must not
/// mark an event as failed: the round is applied again.
pub fn is_transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let Some(code) = db.code() else {
                return false;
            };
            if db
                .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                .is_some()
            {
                // serialization_failure, deadlock_detected, lock_not_available, the server
                // shutting down or starting, connection exceptions (08xxx).
                matches!(
                    code.as_ref(),
                    "40001" | "40P01" | "55P03" | "57P01" | "57P02" | "57P03"
                ) || code.starts_with("08")
            } else {
                // SQLite: SQLITE_BUSY and SQLITE_LOCKED, with their extended codes.
                code.parse::<i32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6))
            }
        }
        _ => false,
    }
}

/// A statement whose SQL differs between the backends (for example SQLite's scalar
/// `MAX(a, b)` against PostgreSQL's `GREATEST(a, b)`); both texts are constants, so each
/// backend's prepared-statement cache sees one text.
#[derive(Debug, Clone, Copy)]
pub struct PerBackend {
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

impl PerBackend {
    pub fn get(&self, backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => self.sqlite,
            Backend::Postgres => self.postgres,
        }
    }
}

/// Runs one statement, `$body`, with `$c` bound to the executor behind `$exec` (anything
/// `Into<Exec>`): the body is compiled for each kind of executor, so it must use `$c` once
/// and give the same type in every arm (see `on_db!`).
#[macro_export]
#[doc(hidden)]
macro_rules! __on_exec {
    ($exec:expr, $c:ident => $body:expr) => {
        match ::std::convert::Into::<$crate::storage::backend::Exec>::into($exec) {
            $crate::storage::backend::Exec::SqlitePool($c) => $body,
            $crate::storage::backend::Exec::PgPool($c) => $body,
            $crate::storage::backend::Exec::Sqlite($c) => $body,
            $crate::storage::backend::Exec::Postgres($c) => $body,
        }
    };
}

/// Runs `$body` with `$pool` bound to the pool behind `$db` (anything `Into<DbRef>`): the
/// body is compiled once for SQLite and once for PostgreSQL, so both arms must produce the
/// same type (an `execute` ends in `.map(|r| r.rows_affected())`, as the drivers' query
/// results differ).
#[macro_export]
#[doc(hidden)]
macro_rules! __on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match ::std::convert::Into::<$crate::storage::backend::DbRef>::into($db) {
            $crate::storage::backend::DbRef::Sqlite($pool) => $body,
            $crate::storage::backend::DbRef::Postgres($pool) => $body,
        }
    };
}

/// [`on_exec!`] and [`on_db!`] by their module path: `use crate::storage::backend::on_db;`.
pub use __on_db as on_db;
pub use __on_exec as on_exec;

/// Opens the database a URL names: `sqlite:` (created if missing) or `postgres://`.
/// Migrations are not applied here (see [`Db::migrate`]).
pub async fn open(url: &str) -> Result<Db, DbError> {
    match Backend::of_url(url) {
        Some(Backend::Sqlite) => Ok(Db::Sqlite(crate::storage::db::connect(url).await?)),
        Some(Backend::Postgres) => Ok(Db::Postgres(connect_postgres(url).await?)),
        None => Err(DbError::UnsupportedUrl(scheme_of(url))),
    }
}

#[cfg(test)]
mod tests {
    use super::{is_transient, Db};
    use crate::storage::testing;
    use sqlx::ConnectOptions;

    /// A SQLite file another connection holds the write lock of answers SQLITE_BUSY (once its
    /// wait runs out): transient. A constraint violation is the work's own fault: not.
    #[tokio::test]
    async fn busy_sqlite_is_transient_and_a_constraint_is_not() {
        let (db, _dir) = testing::sqlite_on_disk().await;
        let Db::Sqlite(pool) = &db else {
            unreachable!()
        };
        let mut holder = pool.acquire().await.unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut *holder)
            .await
            .unwrap();
        let file = pool.connect_options().get_filename().to_owned();
        let mut impatient = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(file)
            .busy_timeout(std::time::Duration::ZERO)
            .connect()
            .await
            .unwrap();
        let busy =
            sqlx::query("INSERT INTO settings (key, value, updated_at) VALUES ('a', 'b', 0)")
                .execute(&mut impatient)
                .await
                .unwrap_err();
        assert!(is_transient(&busy), "{busy:?}");
        sqlx::query("ROLLBACK").execute(&mut *holder).await.unwrap();
        let twice = "INSERT INTO settings (key, value, updated_at) VALUES ('k', 'v', 0)";
        sqlx::query(twice).execute(pool).await.unwrap();
        let duplicate = sqlx::query(twice).execute(pool).await.unwrap_err();
        assert!(!is_transient(&duplicate), "{duplicate:?}");
    }

    /// PostgreSQL: a deadlock's victim and a serialization failure are transient; a
    /// constraint violation or a syntax error is not.
    #[tokio::test]
    async fn postgres_deadlocks_are_transient_and_mistakes_are_not() {
        let Some(Db::Postgres(pool)) = testing::postgres().await else {
            return;
        };
        let raise = |code: &str| {
            format!("DO $$ BEGIN RAISE EXCEPTION 'staged' USING ERRCODE = '{code}'; END $$")
        };
        for (code, transient) in [
            ("40P01", true),
            ("40001", true),
            ("23505", false),
            ("42601", false),
        ] {
            let e = sqlx::raw_sql(&raise(code))
                .execute(&pool)
                .await
                .unwrap_err();
            assert_eq!(is_transient(&e), transient, "{code}: {e:?}");
        }
    }
}
