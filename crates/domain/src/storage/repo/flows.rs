//! Flows: the one draft row and the numbered published versions (flow JSON as text). On both
//! backends (see `backend`).

use crate::storage::backend::on_db;
use crate::storage::backend::DbRef;

use model::{PushStatus, VersionInfo};

/// The stored draft.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DraftRow {
    pub flow_json: String,
    pub updated_at: i64,
    pub updated_by: String,
    /// Counts every write to the draft (see [`save_draft_at`]).
    pub revision: i64,
}

/// A published version including its flow JSON.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VersionRow {
    pub number: i64,
    pub flow_json: String,
    pub published_at: i64,
    pub published_by: String,
    pub summary: String,
    pub rolled_back_from: Option<i64>,
    pub push_status: String,
    pub push_outcome: Option<String>,
}

impl VersionRow {
    pub fn info(&self) -> VersionInfo {
        VersionInfo {
            number: self.number,
            published_at: self.published_at,
            published_by: self.published_by.clone(),
            summary: self.summary.clone(),
            rolled_back_from: self.rolled_back_from,
            push_status: PushStatus::parse(&self.push_status),
            push_outcome: self.push_outcome.clone(),
        }
    }
}

/// A version about to be written by [`insert_version`].
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    pub flow_json: &'a str,
    pub published_at: i64,
    pub published_by: &'a str,
    pub summary: &'a str,
    pub rolled_back_from: Option<i64>,
    /// Also make this flow the draft (rollback), in the same transaction.
    pub also_draft: bool,
}

const VERSION_COLUMNS: &str = "number, flow_json, published_at, published_by, summary, \
     rolled_back_from, push_status, push_outcome";

pub async fn draft<'a>(db: impl Into<DbRef<'a>>) -> Result<Option<DraftRow>, sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query_as(
            "SELECT flow_json, updated_at, updated_by, revision FROM flow_draft WHERE id = 1",
        )
        .fetch_optional(pool)
        .await
    })
}

/// Replaces the draft, whatever its revision (CLI import, the plain save server function).
pub async fn save_draft<'a>(
    db: impl Into<DbRef<'a>>,
    flow_json: &str,
    by: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query(UPSERT_DRAFT)
            .bind(flow_json)
            .bind(now)
            .bind(by)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Writes the draft whatever its revision: $1 flow JSON, $2 time, $3 by whom.
const UPSERT_DRAFT: &str =
    "INSERT INTO flow_draft (id, flow_json, updated_at, updated_by, revision)
     VALUES (1, $1, $2, $3, 1)
     ON CONFLICT (id) DO UPDATE SET flow_json = excluded.flow_json,
         updated_at = excluded.updated_at, updated_by = excluded.updated_by,
         revision = flow_draft.revision + 1";

/// Replaces the draft only if its revision is still `expected` (0: no draft saved yet), in one
/// statement, so of two editors saving from the same revision exactly one wins. Returns the
/// new revision, or `None` when the draft changed meanwhile (nothing is written then).
pub async fn save_draft_at<'a>(
    db: impl Into<DbRef<'a>>,
    expected: i64,
    flow_json: &str,
    by: &str,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let sql = if expected == 0 {
        "INSERT INTO flow_draft (id, flow_json, updated_at, updated_by, revision)
         VALUES (1, $1, $2, $3, 1) ON CONFLICT (id) DO NOTHING RETURNING revision"
    } else {
        "UPDATE flow_draft SET flow_json = $1, updated_at = $2, updated_by = $3,
             revision = revision + 1
         WHERE id = 1 AND revision = $4 RETURNING revision"
    };
    // The INSERT form has three parameters: PostgreSQL refuses a fourth.
    let row: Option<(i64,)> = on_db!(db, pool => {
        let query = sqlx::query_as(sql).bind(flow_json).bind(now).bind(by);
        let query = if expected == 0 {
            query
        } else {
            query.bind(expected)
        };
        query.fetch_optional(pool).await?
    });
    Ok(row.map(|(r,)| r))
}

/// The newest version (the live one), if any.
pub async fn latest<'a>(db: impl Into<DbRef<'a>>) -> Result<Option<VersionRow>, sqlx::Error> {
    let sql = format!("SELECT {VERSION_COLUMNS} FROM flow_versions ORDER BY number DESC LIMIT 1");
    on_db!(db, pool => sqlx::query_as(&sql).fetch_optional(pool).await)
}

pub async fn version<'a>(
    db: impl Into<DbRef<'a>>,
    number: i64,
) -> Result<Option<VersionRow>, sqlx::Error> {
    let sql = format!("SELECT {VERSION_COLUMNS} FROM flow_versions WHERE number = $1");
    on_db!(db, pool => sqlx::query_as(&sql).bind(number).fetch_optional(pool).await)
}

/// Every version, newest first, without their flows.
pub async fn list<'a>(db: impl Into<DbRef<'a>>) -> Result<Vec<VersionInfo>, sqlx::Error> {
    let rows: Vec<VersionRow> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT number, '' AS flow_json, published_at, published_by, summary,
                    rolled_back_from, push_status, push_outcome
             FROM flow_versions ORDER BY number DESC",
        )
        .fetch_all(pool)
        .await
    })?;
    Ok(rows.iter().map(VersionRow::info).collect())
}

/// Writes the version after `expected_latest` (1 when `None`) in one transaction, and the
/// draft too when `also_draft`. `Ok(None)` when another version was written meanwhile (the
/// caller's summary would be wrong): nothing is written then. The transaction starts with
/// its write, so SQLite takes the write lock at once (waiting on `busy_timeout`) instead of
/// failing with "database is locked" when it upgrades a read. On PostgreSQL two instances
/// publishing at once compute the same number: the second waits for the first to commit and
/// then fails the primary key, which is the same "written meanwhile" answer.
pub async fn insert_version<'a>(
    db: impl Into<DbRef<'a>>,
    expected_latest: Option<i64>,
    new: &NewVersion<'_>,
) -> Result<Option<i64>, sqlx::Error> {
    on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let inserted: Result<(i64,), sqlx::Error> = sqlx::query_as(
            "INSERT INTO flow_versions
                 (number, flow_json, published_at, published_by, summary, rolled_back_from)
             SELECT COALESCE(MAX(number), 0) + 1, $1, $2, $3, $4, $5 FROM flow_versions
             RETURNING number",
        )
        .bind(new.flow_json)
        .bind(new.published_at)
        .bind(new.published_by)
        .bind(new.summary)
        .bind(new.rolled_back_from)
        .fetch_one(&mut *tx)
        .await;
        let number = match inserted {
            Ok((number,)) => number,
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Ok(None),
            Err(e) => return Err(e),
        };
        if number != expected_latest.unwrap_or(0) + 1 {
            // Dropping the transaction rolls the insert back.
            return Ok(None);
        }
        if new.also_draft {
            sqlx::query(UPSERT_DRAFT)
                .bind(new.flow_json)
                .bind(new.published_at)
                .bind(new.published_by)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Some(number))
    })
}

/// Records how the messenger profile push of version `number` went.
pub async fn set_push_outcome<'a>(
    db: impl Into<DbRef<'a>>,
    number: i64,
    status: PushStatus,
    outcome: Option<&str>,
) -> Result<(), sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query(
            "UPDATE flow_versions SET push_status = $1, push_outcome = $2 WHERE number = $3",
        )
        .bind(status.as_str())
        .bind(outcome)
        .bind(number)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Why a stored flow could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A stored flow (the draft or a version) is not valid JSON any more (logged).
    #[error("the stored {0} cannot be read (see the log)")]
    Unreadable(&'static str),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// A stored flow's JSON as a flow; `what` names it in the log when it does not decode.
pub fn decode(json: &str, what: &'static str) -> Result<flows::Flow, ReadError> {
    serde_json::from_str(json).map_err(|e| {
        tracing::error!(error = %e, what, "stored flow JSON does not decode");
        ReadError::Unreadable(what)
    })
}

/// The newest published version: its number and its flow (`None` before the first publish).
pub async fn published<'a>(
    db: impl Into<DbRef<'a>>,
) -> Result<Option<(i64, flows::Flow)>, ReadError> {
    match latest(db).await? {
        Some(row) => Ok(Some((row.number, decode(&row.flow_json, "version")?))),
        None => Ok(None),
    }
}

/// The editor's draft as a flow (an empty flow before anything was saved).
pub async fn draft_flow<'a>(db: impl Into<DbRef<'a>>) -> Result<flows::Flow, ReadError> {
    match draft(db).await? {
        Some(row) => decode(&row.flow_json, "draft"),
        None => Ok(flows::Flow::default()),
    }
}
