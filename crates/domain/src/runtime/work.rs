//! The runtime's storage seam: what the one pipeline (`events`, `workers`) asks of the
//! database, and the only place that knows how each backend answers.
//!
//! - **SQLite** is the one-lane case: one worker per database, so there is nothing to lease.
//!   Events are claimed by moving a cursor (`event_progress.applied_through`) over the
//!   deliveries file; outbox claims commit on a durable pool, results on a relaxed one.
//! - **PostgreSQL** leases lanes (`crate::storage::lanes`): this instance claims only the events and
//!   calls of the lanes it holds, each event by marking its row done, in a transaction that
//!   first checks the lanes are still its own.
//!
//! The pipeline never matches on the backend itself; what differs is here.

use std::time::Duration;

use sqlx::{PgPool, SqlitePool};

use crate::storage::backend::{DbRef, Exec, Tx};
use crate::storage::lanes::Lanes;
use crate::storage::repo::{outbox, webhook_events};

/// Where one instance's workers do their work.
#[derive(Clone, Debug)]
pub enum Work {
    Sqlite {
        /// Where events are applied and call results recorded.
        main: SqlitePool,
        /// Where outbox claims commit, durably, before any call is made.
        claim: SqlitePool,
        /// The deliveries and their events (a file of their own beside `main` on disk).
        store: SqlitePool,
    },
    Postgres {
        pool: PgPool,
        /// This instance's leases; `None` for one instance alone (tests, the CLI), which
        /// works on every lane without checking.
        lanes: Option<Lanes>,
        /// The lanes held now (every lane when `lanes` is `None`).
        held: Vec<i64>,
    },
}

/// Where a round claims and records its calls.
#[derive(Clone, Copy)]
pub struct Round<'a> {
    /// Claims go here; on SQLite their commit reaches the disk before any call is made.
    pub claim: DbRef<'a>,
    /// Results go here (on SQLite, `db::relaxed_twin`).
    pub record: DbRef<'a>,
    /// On PostgreSQL, this instance's work lanes and those it holds: only their rows are
    /// claimed, in a transaction that checks it still holds them (`None`: every row, for one
    /// instance alone and tests).
    pub lanes: Option<(&'a crate::storage::lanes::Lanes, &'a [i64])>,
}

/// Events read for one batch, in arrival order.
pub struct Pending {
    /// SQLite: the cursor the batch starts after.
    after: i64,
    /// Each event with its lane (0 on SQLite).
    pub rows: Vec<(i64, webhook_events::EventRow)>,
}

impl Pending {
    /// The id the SQLite cursor moves to once the whole batch is applied.
    fn through(&self) -> i64 {
        self.rows.last().map_or(self.after, |(_, row)| row.id)
    }
}

impl Work {
    /// One instance alone on `db`: every event and call, without leases (tests, the CLI).
    pub fn alone(
        db: DbRef<'_>,
        store: &crate::storage::db::Deliveries,
    ) -> Result<Work, sqlx::Error> {
        match db {
            DbRef::Sqlite(pool) => Ok(Work::Sqlite {
                main: pool.clone(),
                claim: pool.clone(),
                store: store
                    .sqlite()
                    .ok_or_else(|| {
                        sqlx::Error::Configuration(
                            "SQLite's event worker needs SQLite deliveries".into(),
                        )
                    })?
                    .clone(),
            }),
            DbRef::Postgres(pool) => Ok(Work::Postgres {
                pool: pool.clone(),
                lanes: None,
                held: (0..crate::storage::lanes::LANES).collect(),
            }),
        }
    }

    /// Where batch reads (the page, the flow) and the health report look.
    pub fn db(&self) -> DbRef<'_> {
        match self {
            Work::Sqlite { main, .. } => main.into(),
            Work::Postgres { pool, .. } => pool.into(),
        }
    }

    /// Events per batch: on SQLite each batch is a commit, kept short so that a webhook
    /// waiting for the write turn is not held up; PostgreSQL has row locks and no turn.
    pub fn batch_size(&self) -> usize {
        match self {
            Work::Sqlite { .. } => 100,
            Work::Postgres { .. } => 500,
        }
    }

    /// A label for log lines and spans.
    pub fn lanes_label(&self) -> &'static str {
        match self {
            Work::Sqlite { .. } => "sqlite",
            Work::Postgres { lanes: None, .. } => "all",
            Work::Postgres { .. } => "leased",
        }
    }

    /// The oldest `limit` events waiting to be applied.
    pub async fn pending(&self, limit: usize) -> Result<Pending, sqlx::Error> {
        match self {
            Work::Sqlite { main, store, .. } => {
                let after = webhook_events::applied_through(main).await?;
                let rows = webhook_events::pending(store, after, limit as i64).await?;
                Ok(Pending {
                    after,
                    rows: rows.into_iter().map(|r| (0, r)).collect(),
                })
            }
            Work::Postgres { pool, held, .. } => Ok(Pending {
                after: 0,
                rows: webhook_events::pending_in_lanes(pool, held, limit as i64).await?,
            }),
        }
    }

    /// Opens the transaction that applies `pending` and claims its events in it. Returns the
    /// ids claimed (sorted): only those are this transaction's to apply. None are claimed when
    /// another worker moved the SQLite cursor meanwhile, or when this instance no longer holds
    /// the events' lanes.
    pub async fn begin(&self, pending: &Pending, now: i64) -> Result<(Tx, Vec<i64>), sqlx::Error> {
        match self {
            Work::Sqlite { main, .. } => {
                let mut tx = crate::storage::db::background_write_tx(main).await?;
                let ids = if webhook_events::advance(&mut tx, pending.after, pending.through(), now)
                    .await?
                {
                    pending.rows.iter().map(|(_, r)| r.id).collect()
                } else {
                    Vec::new()
                };
                Ok((Tx::Sqlite(tx), ids))
            }
            Work::Postgres { pool, lanes, .. } => {
                let mut wanted: Vec<i64> = pending.rows.iter().map(|(lane, _)| *lane).collect();
                wanted.sort_unstable();
                wanted.dedup();
                let (mut tx, held) = match lanes {
                    Some(lanes) => lanes.begin_on_lanes(&wanted).await?,
                    None => (pool.begin().await?, wanted),
                };
                let ids: Vec<i64> = pending
                    .rows
                    .iter()
                    .filter(|(lane, _)| held.binary_search(lane).is_ok())
                    .map(|(_, row)| row.id)
                    .collect();
                let claimed = webhook_events::claim_done(&mut tx, &ids, now).await?;
                Ok((Tx::Postgres(tx), claimed))
            }
        }
    }

    /// Whether a batch that claimed nothing still moved the work on (another SQLite worker
    /// moved the cursor: read again), rather than finding it is not this instance's.
    pub fn none_claimed_means_read_again(&self) -> bool {
        matches!(self, Work::Sqlite { .. })
    }

    /// Records, in the batch's transaction, that a claimed event could not be applied.
    pub async fn fail(
        &self,
        conn: Exec<'_>,
        id: i64,
        error: &str,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        webhook_events::fail_claimed(conn, id, error, now).await
    }

    /// Whether a batch that has held the write turn for `held` should commit what it has and
    /// let a waiting writer (a webhook, an agent's click) go first. Only SQLite has a turn.
    pub fn should_hand_over(&self, held: Duration) -> bool {
        matches!(self, Work::Sqlite { .. })
            && held >= HAND_OVER_AFTER
            && crate::storage::db::foreground_waiting()
    }

    /// Hands the events of `pending` after `last` back (SQLite: the cursor stops at `last`),
    /// so the next batch starts with them. Returns how many went back.
    pub async fn give_back(
        &self,
        tx: &mut Tx,
        pending: &Pending,
        last: i64,
        now: i64,
    ) -> Result<usize, sqlx::Error> {
        let Tx::Sqlite(tx) = tx else {
            return Ok(0);
        };
        webhook_events::advance(tx, pending.through(), last, now).await?;
        Ok(pending.rows.iter().filter(|(_, r)| r.id > last).count())
    }

    /// Where this round's outbox claims and results go.
    pub fn round(&self) -> Round<'_> {
        match self {
            Work::Sqlite { main, claim, .. } => Round {
                claim: claim.into(),
                record: main.into(),
                lanes: None,
            },
            Work::Postgres { pool, lanes, held } => Round {
                claim: pool.into(),
                record: pool.into(),
                lanes: lanes.as_ref().map(|l| (l, held.as_slice())),
            },
        }
    }

    /// Whether calls left "sending" when the outbox worker starts are this process's own,
    /// left by a crash or a panic: on SQLite there is no other sender. On PostgreSQL they
    /// may be another instance's in flight; those of a lane this instance takes over are
    /// put back by the lane refresher instead.
    pub fn in_flight_is_ours_at_start(&self) -> bool {
        matches!(self, Work::Sqlite { .. })
    }

    /// Puts the calls this instance had started and not finished (a crash, a failed round, a
    /// lane taken over) back to pending; messages first wait for their echo until
    /// `messages_at_ms`, which marks them done if they did arrive.
    pub async fn requeue_in_flight(&self, messages_at_ms: i64) -> Result<u64, sqlx::Error> {
        match self {
            Work::Sqlite { claim, .. } => outbox::requeue_in_flight(claim, messages_at_ms).await,
            Work::Postgres {
                pool, held, lanes, ..
            } => match lanes {
                Some(_) => outbox::requeue_in_flight_in_lanes(pool, messages_at_ms, held).await,
                None => outbox::requeue_in_flight(pool, messages_at_ms).await,
            },
        }
    }
}

/// How long a batch's transaction may keep a webhook waiting: once a foreground writer (a
/// webhook's deliveries, an agent's click) waits for SQLite's write turn and the batch has
/// held it this long, the events applied so far are committed and the rest go back to
/// pending, first in line for the next transaction. Short enough for a webhook to be
/// acknowledged within a few milliseconds; long enough that under a steady stream of
/// deliveries each transaction still applies a group of events.
const HAND_OVER_AFTER: Duration = Duration::from_millis(2);
