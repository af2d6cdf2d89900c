//! Flow operations shared by the server functions and the `baton flows` CLI: import/export of
//! flow files, the draft, publishing numbered versions (and pushing the messenger profile),
//! rollback, and the published flow the runtime runs. Publishes and imports are audited.
//!
//! Publish semantics: the draft must have no errors. The version is written first (one
//! transaction) and is live for the bot at once; then, when a page is connected, the
//! messenger profile is pushed step by step. A failed step does not undo the version: the
//! failure is stored on the version (`push_status = failed`, one line per step) and reported
//! (the CLI exits non-zero), and publishing or rolling back again re-pushes.

pub mod push;

use crate::clock::Clock;
use crate::storage::backend::DbRef;
use flows::{describe_changes, parse_flow, summarize_changes, to_json, validate, Flow, Problem};

use super::pages;
use crate::storage::repo::audit::{self, Actor};
use crate::storage::repo::flows::{self as repo, NewVersion};
use model::AppError;
use model::{EditorState, LiveVersion, PublishReport, PushStatus, SavedDraft, VersionInfo};

pub use push::{failure_text, menu, push_profile};

/// Summary of version 1.
pub const FIRST_VERSION: &str = "first version";

/// Why a flow operation failed.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// The flow has errors (each displays as `path: message`); nothing was changed.
    #[error("{}", lines(.0))]
    Problems(Vec<Problem>),
    /// Refused for another reason (a stored flow that cannot be read, a draft changed by
    /// someone else); the error says which.
    #[error(transparent)]
    App(#[from] AppError),
    /// A stored flow (the draft or a version) is not valid JSON any more.
    #[error("the stored {0} cannot be read (see the log)")]
    Unreadable(&'static str),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl From<repo::ReadError> for FlowError {
    fn from(err: repo::ReadError) -> Self {
        match err {
            repo::ReadError::Unreadable(what) => FlowError::Unreadable(what),
            repo::ReadError::Database(e) => FlowError::Database(e),
        }
    }
}

/// Server functions answer problems as one `Invalid` text, one problem per line.
impl From<FlowError> for AppError {
    fn from(err: FlowError) -> Self {
        match err {
            FlowError::Problems(p) => AppError::Invalid(lines(&p)),
            FlowError::App(e) => e,
            FlowError::Unreadable(_) => AppError::Internal,
            FlowError::Database(e) => e.into(),
        }
    }
}

fn lines(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(Problem::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A successful import: the new draft and its warnings (advice, never blocking).
#[derive(Debug, Clone)]
pub struct Imported {
    pub flow: Flow,
    pub warnings: Vec<Problem>,
}

/// Reads a flow file into the draft. Any error: nothing changes, every problem is returned.
pub async fn import<'a>(
    pool: impl Into<DbRef<'a>>,
    clock: &Clock,
    actor: &Actor,
    json: &str,
) -> Result<Imported, FlowError> {
    let pool = pool.into();
    let flow = parse_flow(json).map_err(FlowError::Problems)?;
    let at = clock.now();
    repo::save_draft(pool, &to_json(&flow), &actor.name, at).await?;
    let detail = format!("{} messages", flow.messages.len());
    audit::record(pool, actor, "flows.imported", None, Some(&detail), at).await?;
    let warnings = validate(&flow);
    Ok(Imported { flow, warnings })
}

/// The draft (`Flow::default()` when nothing was saved yet). It may have errors.
pub async fn draft<'a>(pool: impl Into<DbRef<'a>>) -> Result<Flow, FlowError> {
    Ok(repo::draft_flow(pool).await?)
}

/// The draft as a canonical flow file.
pub async fn export<'a>(pool: impl Into<DbRef<'a>>) -> Result<String, FlowError> {
    let pool = pool.into();
    Ok(to_json(&draft(pool).await?))
}

/// Saves the editor's draft. Unlike import, a draft may break rules while it is edited (a
/// deleted message leaves references to flag); it must only be a well-formed flow. Returns
/// every problem of the saved draft (errors and warnings); publishing refuses errors.
pub async fn save_draft<'a>(
    pool: impl Into<DbRef<'a>>,
    clock: &Clock,
    actor: &Actor,
    json: &str,
) -> Result<Vec<Problem>, FlowError> {
    let pool = pool.into();
    let flow = well_formed(json)?;
    repo::save_draft(pool, &to_json(&flow), &actor.name, clock.now()).await?;
    Ok(validate(&flow))
}

/// Every problem of the stored draft (errors and warnings).
pub async fn check_draft<'a>(pool: impl Into<DbRef<'a>>) -> Result<Vec<Problem>, AppError> {
    let pool = pool.into();
    Ok(validate(&draft(pool).await?))
}

/// Every published version, newest first.
pub async fn versions<'a>(pool: impl Into<DbRef<'a>>) -> Result<Vec<VersionInfo>, FlowError> {
    let pool = pool.into();
    Ok(repo::list(pool).await?)
}

/// The live flow for the runtime: the newest version and its number.
pub async fn published_flow<'a>(
    pool: impl Into<DbRef<'a>>,
) -> Result<Option<(i64, Flow)>, FlowError> {
    Ok(repo::published(pool).await?)
}

/// Publishes the draft as the next version, then pushes the messenger profile to the
/// connected page (Graph base: the page's own, else `graph_base`). See the module docs.
pub async fn publish<'a>(
    pool: impl Into<DbRef<'a>>,
    clock: &Clock,
    actor: &Actor,
    graph_base: &str,
) -> Result<PublishReport, FlowError> {
    let pool = pool.into();
    if repo::draft(pool).await?.is_none() {
        return Err(AppError::Invalid(
            "There is no draft to publish yet: import a flow file (baton flows import FILE) \
             or edit the flow first."
                .into(),
        )
        .into());
    }
    let flow = draft(pool).await?;
    write_version(pool, clock, actor, &flow, None, graph_base).await
}

/// Publishes the flow of version `number` again as a new version (`rolled_back_from`), makes
/// it the draft too, and pushes its messenger profile.
pub async fn rollback<'a>(
    pool: impl Into<DbRef<'a>>,
    clock: &Clock,
    actor: &Actor,
    number: i64,
    graph_base: &str,
) -> Result<PublishReport, FlowError> {
    let pool = pool.into();
    let Some(old) = repo::version(pool, number).await? else {
        let latest = repo::latest(pool).await?.map(|v| v.number);
        let hint = match latest {
            Some(n) => format!("versions go from 1 to {n}"),
            None => "nothing was published yet".into(),
        };
        return Err(AppError::Invalid(format!("There is no version {number} ({hint}).")).into());
    };
    let flow = decode(&old.flow_json, "version")?;
    write_version(pool, clock, actor, &flow, Some(number), graph_base).await
}

async fn write_version<'a>(
    pool: impl Into<DbRef<'a>>,
    clock: &Clock,
    actor: &Actor,
    flow: &Flow,
    rolled_back_from: Option<i64>,
    graph_base: &str,
) -> Result<PublishReport, FlowError> {
    let pool = pool.into();
    let errors: Vec<Problem> = validate(flow)
        .into_iter()
        .filter(|p| p.is_error())
        .collect();
    if !errors.is_empty() {
        return Err(FlowError::Problems(errors));
    }
    let previous = repo::latest(pool).await?;
    let summary = match &previous {
        Some(prev) => summarize_changes(&decode(&prev.flow_json, "version")?, flow),
        None => FIRST_VERSION.to_owned(),
    };
    let at = clock.now();
    let json = to_json(flow);
    let new = NewVersion {
        flow_json: &json,
        published_at: at,
        published_by: &actor.name,
        summary: &summary,
        rolled_back_from,
        also_draft: rolled_back_from.is_some(),
    };
    let number = repo::insert_version(pool, previous.map(|p| p.number), &new)
        .await?
        .ok_or_else(|| {
            AppError::Invalid(
                "Another publish finished at the same moment; nothing was written. Publish \
                 again."
                    .into(),
            )
        })?;
    let (action, detail) = match rolled_back_from {
        Some(n) => (
            "flows.rolled_back",
            format!("flow of version {n}: {summary}"),
        ),
        None => ("flows.published", summary.clone()),
    };
    let target = format!("version {number}");
    audit::record(pool, actor, action, Some(&target), Some(&detail), at).await?;

    let (status, steps, page) = match crate::storage::repo::pages::current(pool).await? {
        None => (PushStatus::Skipped, Vec::new(), None),
        Some(page) => {
            let client = pages::graph_client(&page, graph_base);
            let steps = push_profile(&client, flow).await;
            let status = if steps.iter().all(|s| s.ok) {
                PushStatus::Pushed
            } else {
                PushStatus::Failed
            };
            (
                status,
                steps,
                Some(format!("{} ({})", page.name, page.page_id)),
            )
        }
    };
    let outcome = match &page {
        None => "not pushed: no page is connected".to_owned(),
        Some(_) => lines_of(&steps),
    };
    repo::set_push_outcome(pool, number, status, Some(&outcome)).await?;
    let version = repo::version(pool, number)
        .await?
        .ok_or(AppError::Internal)?
        .info();
    Ok(PublishReport {
        version,
        page,
        steps,
    })
}

fn lines_of(steps: &[model::PushStep]) -> String {
    steps
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Stored flow JSON back into a flow (stored text is always `to_json` output).
fn decode(json: &str, what: &'static str) -> Result<Flow, FlowError> {
    Ok(repo::decode(json, what)?)
}

// ---------------------------------------------------------------- the Messages editor

// What the Messages editor needs beyond the CLI's operations: the draft with its revision and
// the live version in one read, saves that refuse to overwrite someone else's newer draft,
// Push changes of exactly the revision the editor showed, and a readable diff of a version.

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
