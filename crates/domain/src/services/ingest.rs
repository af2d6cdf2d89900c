//! Webhook ingest with group commit. Each webhook request hands its delivery to one committer
//! task and waits; the committer stores every delivery that arrived while the previous commit
//! ran in a single transaction, then answers them all. A delivery is acknowledged only after
//! its transaction is committed (and, with `synchronous = FULL`, on disk), yet the cost of a
//! commit is shared by however many deliveries arrived meanwhile: at a high rate one commit
//! carries hundreds, at a low rate each goes alone with no added wait.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::clock::Clock;
use crate::runtime::Wake;
use crate::storage::db::Deliveries;
use crate::storage::repo::webhook_events::{self, NewDelivery, Stored};

/// Most deliveries in one transaction.
const MAX_GROUP: usize = 512;
/// Deliveries waiting for the committer before new requests are told to retry (503).
const QUEUE: usize = 8192;

type Reply = oneshot::Sender<Result<Stored, IngestError>>;

/// Why a delivery was not stored; the webhook answers 503 and Facebook retries.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IngestError {
    #[error("database error: {0}")]
    Database(Arc<sqlx::Error>),
    #[error("too many deliveries are waiting to be stored")]
    Busy,
    #[error("the ingest task has stopped")]
    Stopped,
}

/// The handle webhook requests use. Cloning shares the committer.
#[derive(Clone)]
pub struct Ingest {
    queue: mpsc::Sender<(NewDelivery, Reply)>,
}

impl Ingest {
    /// Starts the committer task on the current runtime.
    pub fn start(store: Deliveries, clock: Clock, wake: Wake) -> Ingest {
        let (queue, rx) = mpsc::channel(QUEUE);
        tokio::spawn(commit_loop(store, clock, wake, rx));
        Ingest { queue }
    }

    /// Stores `delivery`, returning once it is committed.
    pub async fn store(&self, delivery: NewDelivery) -> Result<Stored, IngestError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .try_send((delivery, reply))
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => IngestError::Busy,
                mpsc::error::TrySendError::Closed(_) => IngestError::Stopped,
            })?;
        answer.await.map_err(|_| IngestError::Stopped)?
    }
}

async fn commit_loop(
    store: Deliveries,
    clock: Clock,
    wake: Wake,
    mut rx: mpsc::Receiver<(NewDelivery, Reply)>,
) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while rx.recv_many(&mut group, MAX_GROUP).await > 0 {
        let (deliveries, replies): (Vec<NewDelivery>, Vec<Reply>) = group.drain(..).unzip();
        match webhook_events::store_deliveries(&store, &deliveries, clock.now()).await {
            Ok(stored) => {
                wake.wake_events();
                for (reply, stored) in replies.into_iter().zip(stored) {
                    let _ = reply.send(Ok(stored));
                }
            }
            Err(err) => {
                let err = Arc::new(err);
                for reply in replies {
                    let _ = reply.send(Err(IngestError::Database(err.clone())));
                }
            }
        }
    }
}
