//! What the Messages editor needs beyond the CLI's operations: the draft with its revision and
//! the live version in one read, saves that refuse to overwrite someone else's newer draft,
//! Push changes of exactly the revision the editor showed, and a readable diff of a version.

use crate::clock::Clock;
use crate::storage::backend::DbRef;
use flows::{describe_changes, parse_flow, to_json, Flow};

use super::{decode, publish, FlowError};
use crate::storage::repo::audit::Actor;
use crate::storage::repo::flows as repo;
use model::AppError;
use model::{EditorState, LiveVersion, PublishReport, SavedDraft};

/// The draft, its revision, who saved it last, and the live version.
pub async fn editor_state<'a>(
    pool: impl Into<DbRef<'a>>,
    can_publish: bool,
) -> Result<EditorState, AppError> {
    let pool = pool.into();
    let row = repo::draft(pool).await?;
    let draft = match &row {
        Some(row) => decode(&row.flow_json, "draft")?,
        None => Flow::default(),
    };
    let live = match repo::latest(pool).await? {
        Some(v) => Some(LiveVersion {
            number: v.number,
            flow: decode(&v.flow_json, "version")?,
        }),
        None => None,
    };
    Ok(EditorState {
        draft,
        revision: row.as_ref().map_or(0, |r| r.revision),
        saved_by: row.as_ref().map(|r| r.updated_by.clone()),
        saved_at: row.as_ref().map(|r| r.updated_at),
        live,
        can_publish,
    })
}

/// Saves the editor's draft if the stored draft is still at `revision`. A draft may break
/// rules while it is edited; it must only be a well-formed flow. Someone else's newer save
/// gives `AppError::Conflict` naming them, and nothing is written.
pub async fn save_edit<'a>(
    pool: impl Into<DbRef<'a>>,
    clock: &Clock,
    actor: &Actor,
    json: &str,
    revision: i64,
) -> Result<SavedDraft, FlowError> {
    let pool = pool.into();
    let flow = well_formed(json)?;
    match repo::save_draft_at(pool, revision, &to_json(&flow), &actor.name, clock.now()).await? {
        Some(revision) => Ok(SavedDraft { revision }),
        None => Err(conflict(pool).await?.into()),
    }
}

/// Publishes the draft, but only the revision the editor showed (and checked); a draft
/// changed by someone else meanwhile is not published behind the editor's back.
pub async fn push_changes<'a>(
    pool: impl Into<DbRef<'a>>,
    clock: &Clock,
    actor: &Actor,
    revision: i64,
    graph_base: &str,
) -> Result<PublishReport, FlowError> {
    let pool = pool.into();
    let current = repo::draft(pool).await?.map_or(0, |r| r.revision);
    if current != revision {
        return Err(conflict(pool).await?.into());
    }
    publish(pool, clock, actor, graph_base).await
}

/// What changed in version `number` against the version before it, line by line.
pub async fn version_changes<'a>(
    pool: impl Into<DbRef<'a>>,
    number: i64,
) -> Result<Vec<String>, AppError> {
    let pool = pool.into();
    let Some(this) = repo::version(pool, number).await? else {
        return Err(AppError::NotFound);
    };
    let this = decode(&this.flow_json, "version")?;
    let before = match number > 1 {
        true => match repo::version(pool, number - 1).await? {
            Some(v) => decode(&v.flow_json, "version")?,
            None => Flow::default(),
        },
        false => Flow::default(),
    };
    Ok(describe_changes(&before, &this))
}

/// A draft only has to be a well-formed flow (rules are checked on publish); otherwise the
/// parse problems are the error.
pub(super) fn well_formed(json: &str) -> Result<Flow, FlowError> {
    match parse_flow(json) {
        Ok(flow) => Ok(flow),
        Err(problems) => {
            serde_json::from_str::<Flow>(json).map_err(|_| FlowError::Problems(problems))
        }
    }
}

/// The conflict error: who saved the draft last, and when.
async fn conflict<'a>(pool: impl Into<DbRef<'a>>) -> Result<AppError, AppError> {
    let pool = pool.into();
    let who = match repo::draft(pool).await? {
        Some(row) => format!(
            "{} saved the draft at {} UTC",
            row.updated_by,
            model::format_time(row.updated_at)
        ),
        None => "Someone else changed the draft".to_owned(),
    };
    Ok(AppError::Conflict(format!(
        "{who}, after you opened it. Load their version to go on editing."
    )))
}
