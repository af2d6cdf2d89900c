//! SQLite's one writer at a time, taken in turns: who waits for whom when the webhook, an
//! agent and the runtime's workers all want to write (see [`WRITE_TURN`]), and the write
//! transaction that holds a turn until it ends.

use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::SqlitePool;

/// Baton's writers take turns here before they write, so that they queue in Rust instead of
/// in SQLite's busy handler (which sleeps up to 100 ms between tries). One queue per process;
/// SQLite has one writer per database anyway.
///
/// There are two kinds of writer. Foreground writers are the ones somebody waits for: webhook
/// ingest (Facebook waits for the acknowledgement), agent actions and admin saves. Background
/// writers are the runtime's workers, applying events and recording Graph calls; nobody waits
/// on any single one of their transactions. Background writers first take
/// [`BACKGROUND_TURN`], so at most one of them queues for [`WRITE_TURN`] at a time: a
/// foreground writer waits for the transaction under way and never behind a queue of worker
/// transactions. The workers do not starve: ingest commits one group at a time, and the next
/// background writer is already queued when a group's turn ends.
static WRITE_TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
static BACKGROUND_TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
/// Foreground writers waiting for [`WRITE_TURN`]; a long background transaction checks it
/// and commits early (see [`foreground_waiting`]).
static FOREGROUND_WAITING: AtomicUsize = AtomicUsize::new(0);

/// A writer's turn; it ends when this is dropped.
pub struct Turn {
    // Field order matters: the write turn is handed on (to a waiting foreground writer)
    // before the next background writer may queue for it.
    _write: tokio::sync::MutexGuard<'static, ()>,
    _background: Option<tokio::sync::MutexGuard<'static, ()>>,
}

/// Counts a foreground writer as waiting until it has its turn, or gives up waiting (a
/// cancelled request drops this too).
struct Waiting;

impl Waiting {
    fn start() -> Self {
        FOREGROUND_WAITING.fetch_add(1, Ordering::SeqCst);
        Waiting
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        FOREGROUND_WAITING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Waits for a foreground writer's turn.
pub async fn write_turn() -> Turn {
    let waiting = Waiting::start();
    let write = WRITE_TURN.lock().await;
    drop(waiting);
    Turn {
        _write: write,
        _background: None,
    }
}

/// Waits for a background writer's turn: behind the foreground writers already waiting.
pub async fn background_turn() -> Turn {
    let background = BACKGROUND_TURN.lock().await;
    let write = WRITE_TURN.lock().await;
    Turn {
        _write: write,
        _background: Some(background),
    }
}

/// Whether a foreground writer is waiting for the write turn. A background transaction that
/// holds the turn for a batch of work checks this between items and commits what it has.
pub fn foreground_waiting() -> bool {
    FOREGROUND_WAITING.load(Ordering::SeqCst) > 0
}

/// A write transaction that holds this process's write turn and SQLite's write lock from its
/// first statement (`BEGIN IMMEDIATE`), so a read-modify-write cannot fail half-way because
/// another writer got in between. Use it like the transaction (`&mut *tx` is the connection);
/// the turn ends after `commit` or when it is dropped (which rolls back).
pub struct WriteTx {
    // Field order matters: the transaction ends before the turn is handed on.
    tx: sqlx::Transaction<'static, sqlx::Sqlite>,
    /// None for a file with a writer of its own (the deliveries file).
    _turn: Option<Turn>,
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::SqliteConnection;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

/// Starts a foreground [`WriteTx`] once it is this writer's turn.
pub async fn write_tx(pool: &SqlitePool) -> Result<WriteTx, sqlx::Error> {
    begin(pool, write_turn().await).await
}

/// Starts a background [`WriteTx`] (the runtime's workers) once it is this writer's turn.
pub async fn background_write_tx(pool: &SqlitePool) -> Result<WriteTx, sqlx::Error> {
    begin(pool, background_turn().await).await
}

async fn begin(pool: &SqlitePool, turn: Turn) -> Result<WriteTx, sqlx::Error> {
    let tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    Ok(WriteTx {
        tx,
        _turn: Some(turn),
    })
}

/// A write transaction on SQLite deliveries: in a file of their own it queues only behind
/// other deliveries (SQLite's lock, with no turn of the main database); in the main database
/// it is a foreground writer like any other.
pub async fn deliveries_write_tx(
    pool: &SqlitePool,
    own_file: bool,
) -> Result<WriteTx, sqlx::Error> {
    if !own_file {
        return write_tx(pool).await;
    }
    let tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    Ok(WriteTx { tx, _turn: None })
}
