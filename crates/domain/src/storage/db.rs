//! Opening the database: SQLite file (created with its folder on first run) in WAL mode, and
//! applying the migrations that ship inside the binary.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

/// Migrations for the SQLite backend, embedded at compile time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

/// Migrations for the deliveries file beside a SQLite database (see [`open_deliveries`]).
pub static DELIVERIES_MIGRATOR: sqlx::migrate::Migrator =
    sqlx::migrate!("../../migrations/sqlite-deliveries");

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// Holds the URL's scheme only: the rest may carry a password.
    #[error("unsupported database URL scheme {0:?}: Baton supports sqlite: URLs (for example sqlite://data/baton.db) and postgres:// URLs")]
    UnsupportedUrl(String),
    #[error("could not create the database {path}: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("could not open the database: {0}")]
    Open(#[source] sqlx::Error),
    #[error("could not apply database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// The part of a URL before `://` (or `:`), so that an error never repeats a password.
pub fn scheme_of(url: &str) -> String {
    url.split("://")
        .next()
        .and_then(|s| s.split(':').next())
        .unwrap_or_default()
        .chars()
        .take(32)
        .collect()
}

/// Opens (creating if needed) the SQLite database at `url` (`backend::open` opens either
/// backend).
pub async fn connect(url: &str) -> Result<SqlitePool, DbError> {
    if !url.starts_with("sqlite:") {
        return Err(DbError::UnsupportedUrl(scheme_of(url)));
    }
    let options = SqliteConnectOptions::from_str(url)
        .map_err(DbError::Open)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // Every commit reaches the disk before it returns: a webhook is acknowledged only
        // once its delivery would survive a power cut, and nothing an admin saved is lost.
        // Group commit (`ingest`) shares each fsync between deliveries; the runtime's own
        // bookkeeping uses `relaxed_twin` instead.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    let file = options.get_filename();
    let in_memory = file == Path::new(":memory:") || file.as_os_str().is_empty();
    // `sqlite::memory:` reaches here as sqlx's shared-cache name for it: no file to create
    // (its connections share one database, so the pool keeps its usual size).
    if !is_memory_name(file) {
        create_private(file).map_err(|source| DbError::CreateDir {
            path: file.display().to_string(),
            source,
        })?;
    }
    SqlitePoolOptions::new()
        // Every connection to `:memory:` is its own database, so tests get exactly one.
        .max_connections(if in_memory { 1 } else { 8 })
        .connect_with(options)
        .await
        .map_err(DbError::Open)
}

/// Whether `file` is the name sqlx gives an in-memory database (`sqlite::memory:` becomes
/// the shared-cache URI `file:sqlx-in-memory-N`): nothing on disk belongs to it.
pub fn is_memory_name(file: &Path) -> bool {
    file == Path::new(":memory:")
        || file.as_os_str().is_empty()
        || file
            .to_str()
            .is_some_and(|f| f.starts_with("file:sqlx-in-memory-"))
}

/// A small second pool on the same database file whose commits do not wait for the disk
/// (`synchronous = NORMAL`), for the runtime's own bookkeeping: applying events and
/// recording finished calls. Losing its last commits to a power cut is harmless: events go
/// back to pending and are applied again (their effects were lost with them), and a call
/// whose record was lost is resolved by its echo. What must not be lost never goes through
/// it: deliveries are stored through the main pool (acknowledged after the fsync), and the
/// outbox claims its calls through the main pool too, so that commit's fsync makes every
/// row it sends (and the events behind them) durable before any Graph call is made. A
/// database in memory has no second connection to the same data: the main pool is returned.
pub fn relaxed_twin(pool: &SqlitePool) -> SqlitePool {
    twin(pool, SqliteSynchronous::Normal)
}

/// A small second pool on the same database file with the same durability, whose connections
/// are opened when first used (so by the thread that uses them first: the runtime's workers
/// use it so that the SQLite threads sqlx starts for them share the workers' lower CPU
/// priority). A database in memory has no second connection to the same data: the main
/// pool is returned.
pub fn durable_twin(pool: &SqlitePool) -> SqlitePool {
    twin(pool, SqliteSynchronous::Full)
}

fn twin(pool: &SqlitePool, synchronous: SqliteSynchronous) -> SqlitePool {
    let options = pool.connect_options();
    if is_memory_name(options.get_filename()) {
        return pool.clone();
    }
    let options = (*options).clone().synchronous(synchronous);
    SqlitePoolOptions::new()
        .max_connections(2)
        .connect_lazy_with(options)
}

/// Where webhook deliveries and their events are stored.
///
/// A database on disk keeps them in a file of its own beside it (`baton.db` →
/// `baton.deliveries.db`), written only by the webhook's ingest. SQLite has one writer per
/// file, so this is what lets a webhook be acknowledged without waiting for whatever
/// transaction the runtime has open on the main database: measured before the split, that
/// wait was most of the acknowledgement's time (2 ms at the median, 8 ms at p99, against
/// 0.5 ms for the commit's fsync). The runtime reads events from here and records what it
/// applied in the main database (`repo::webhook_events` explains the cursor). A database in
/// memory has no file beside it: its own tables are used, and ingest takes the main write turn.
///
/// On PostgreSQL the deliveries are tables of the one database, written by every instance's
/// ingest at once.
#[derive(Clone, Debug)]
pub enum Deliveries {
    Sqlite {
        pool: SqlitePool,
        /// True when `pool` is a file of its own (nothing else writes to it).
        own_file: bool,
    },
    Postgres(sqlx::PgPool),
}

impl Deliveries {
    /// The main database's own tables: for databases in memory, and tests that want one file.
    pub fn in_main(pool: &SqlitePool) -> Deliveries {
        Deliveries::Sqlite {
            pool: pool.clone(),
            own_file: false,
        }
    }

    /// The SQLite pool holding the deliveries (`None` on PostgreSQL).
    pub fn sqlite(&self) -> Option<&SqlitePool> {
        match self {
            Deliveries::Sqlite { pool, .. } => Some(pool),
            Deliveries::Postgres(_) => None,
        }
    }

    /// Whether the deliveries are a SQLite file of their own.
    pub fn own_file(&self) -> bool {
        matches!(self, Deliveries::Sqlite { own_file: true, .. })
    }

    pub async fn close(&self) {
        match self {
            Deliveries::Sqlite { pool, .. } => pool.close().await,
            Deliveries::Postgres(pool) => pool.close().await,
        }
    }
}

/// The deliveries file that belongs to a database file.
pub fn deliveries_path(file: &Path) -> std::path::PathBuf {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "baton".into());
    file.with_file_name(format!("{stem}.deliveries.db"))
}

/// Opens (creating and migrating if needed) the deliveries file of `main`, which must be
/// migrated already. Deliveries stored in the main database by an older Baton are moved into
/// it, ids and statuses kept, so that nothing acknowledged is left behind.
pub async fn open_deliveries(main: &SqlitePool) -> Result<Deliveries, DbError> {
    let file = main.connect_options().get_filename().to_owned();
    if is_memory_name(&file) {
        return Ok(Deliveries::in_main(main));
    }
    let path = deliveries_path(&file);
    create_private(&path).map_err(|source| DbError::CreateDir {
        path: path.display().to_string(),
        source,
    })?;
    let options = (*main.connect_options()).clone().filename(&path);
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options.clone())
        .await
        .map_err(DbError::Open)?;
    DELIVERIES_MIGRATOR.run(&pool).await?;
    move_legacy_deliveries(main, &options, &file)
        .await
        .map_err(DbError::Open)?;
    // A deliveries file behind the main database's cursor (deleted, or restored from an
    // older copy) would number new events as ones already applied, and they would never be
    // answered: the cursor comes back to the last event the file holds.
    let (last,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM webhook_events")
        .fetch_one(&pool)
        .await
        .map_err(DbError::Open)?;
    let moved = sqlx::query(
        "UPDATE event_progress SET applied_through = $1 WHERE id = 1 AND applied_through > $1",
    )
    .bind(last)
    .execute(main)
    .await
    .map_err(DbError::Open)?;
    if moved.rows_affected() > 0 {
        tracing::warn!(
            file = %path.display(),
            "the deliveries file holds fewer events than the database has applied; \
             events that arrive now are numbered after the ones it holds"
        );
    }
    Ok(Deliveries::Sqlite {
        pool,
        own_file: true,
    })
}

/// Moves deliveries kept in the main database (Baton before the deliveries file) into the
/// deliveries file. Copy first, then delete: a crash in between copies again next time,
/// and rows already copied are skipped by id.
async fn move_legacy_deliveries(
    main: &SqlitePool,
    deliveries: &SqliteConnectOptions,
    main_file: &Path,
) -> Result<(), sqlx::Error> {
    use sqlx::ConnectOptions;
    let (any,): (bool,) = sqlx::query_as("SELECT EXISTS (SELECT 1 FROM webhook_deliveries)")
        .fetch_one(main)
        .await?;
    if !any {
        return Ok(());
    }
    let mut conn = deliveries.connect().await?;
    sqlx::query("ATTACH DATABASE $1 AS legacy")
        .bind(main_file.to_string_lossy().into_owned())
        .execute(&mut conn)
        .await?;
    let mut tx = sqlx::Connection::begin(&mut conn).await?;
    sqlx::query(
        "INSERT OR IGNORE INTO main.webhook_deliveries
             (id, received_at, object, body, events, duplicates)
         SELECT id, received_at, object, body, events, duplicates
         FROM legacy.webhook_deliveries",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT OR IGNORE INTO main.webhook_events
             (id, dedupe_key, delivery_id, page_id, channel, kind, sender_id, recipient_id,
              timestamp_ms, payload, status, received_at, processed_at, error)
         SELECT id, dedupe_key, delivery_id, page_id, channel, kind, sender_id, recipient_id,
              timestamp_ms, payload, status, received_at, processed_at, error
         FROM legacy.webhook_events",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    sqlx::query("DETACH DATABASE legacy")
        .execute(&mut conn)
        .await?;
    let mut tx = write_tx(main).await?;
    sqlx::query("DELETE FROM webhook_events")
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM webhook_deliveries")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!("webhook deliveries moved into their own file");
    Ok(())
}

/// Creates the database's folder (0700) and an empty database file (0600) when they are
/// missing, so the page token and app secret inside are readable by Baton's user only.
/// SQLite gives its -wal and -shm files the database file's permissions. Existing folders and
/// files keep theirs (an admin may have chosen otherwise).
fn create_private(file: &Path) -> std::io::Result<()> {
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(dir)?;
        }
    }
    if !file.exists() {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(file) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

pub use super::turns::{
    background_turn, background_write_tx, deliveries_write_tx, foreground_waiting, write_turn,
    write_tx, Turn, WriteTx,
};

/// Applies every pending migration.
pub async fn migrate(pool: &SqlitePool) -> Result<(), DbError> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn creates_the_folder_and_file_and_migrates() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/nested/baton.db", dir.path().display());
        let pool = connect(&url).await.unwrap();
        migrate(&pool).await.unwrap();
        // Running migrations twice is a no-op.
        migrate(&pool).await.unwrap();
        assert!(dir.path().join("nested/baton.db").exists());
        let mode: (String,) = sqlx::query_as("PRAGMA journal_mode")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(mode.0, "wal");
        // 2 = FULL: a commit is on disk before the webhook is acknowledged.
        let (sync,): (i64,) = sqlx::query_as("PRAGMA synchronous")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(sync, 2);
    }

    #[tokio::test]
    async fn the_runtimes_twin_pool_skips_the_fsync_and_sees_the_same_data() {
        let dir = tempfile::tempdir().unwrap();
        let pool = connect(&format!("sqlite://{}/b.db", dir.path().display()))
            .await
            .unwrap();
        migrate(&pool).await.unwrap();
        let twin = relaxed_twin(&pool);
        let sync = |p: SqlitePool| async move {
            let (n,): (i64,) = sqlx::query_as("PRAGMA synchronous")
                .fetch_one(&p)
                .await
                .unwrap();
            n
        };
        assert_eq!((sync(pool.clone()).await, sync(twin.clone()).await), (2, 1));
        sqlx::query("INSERT INTO settings (key, value, updated_at) VALUES ('k', 'v', 0)")
            .execute(&twin)
            .await
            .unwrap();
        let (v,): (String,) = sqlx::query_as("SELECT value FROM settings WHERE key = 'k'")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(v, "v");
        // In memory there is no second connection to the same data: the same pool.
        let memory = connect("sqlite::memory:").await.unwrap();
        migrate(&memory).await.unwrap();
        sqlx::query("INSERT INTO settings (key, value, updated_at) VALUES ('m', 'v', 0)")
            .execute(&relaxed_twin(&memory))
            .await
            .unwrap();
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM settings WHERE key = 'm'")
            .fetch_one(&memory)
            .await
            .unwrap();
        assert_eq!(n, 1);
    }

    #[tokio::test]
    async fn a_foreground_writer_goes_before_queued_background_writers() {
        let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let first = background_turn().await;
        let mut tasks = tokio::task::JoinSet::new();
        for name in ["background 1", "background 2"] {
            let order = order.clone();
            tasks.spawn(async move {
                let _turn = background_turn().await;
                order.lock().unwrap().push(name);
            });
        }
        // Let both background writers queue before the foreground writer arrives.
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        let order_f = order.clone();
        tasks.spawn(async move {
            let _turn = write_turn().await;
            order_f.lock().unwrap().push("foreground");
        });
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        // (Other tests in this binary may be writing too; this one's writer is waiting.)
        assert!(foreground_waiting());
        drop(first);
        while tasks.join_next().await.is_some() {}
        assert_eq!(order.lock().unwrap()[0], "foreground");
    }

    #[tokio::test]
    async fn rejects_other_backends_with_a_clear_message() {
        let err = connect("mysql://localhost/x").await.unwrap_err();
        assert!(err.to_string().contains("sqlite:"), "{err}");
    }
}
