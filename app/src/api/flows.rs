//! Server functions for the flow editor: the draft, validation, publishing numbered versions
//! and rolling back. Editing needs `EditFlows`; publishing and rollback need `PublishFlows`.
//! The work happens in `domain::flows` (shared with the `baton flows` CLI).
//!
//! The Messages editor uses `load_editor`, `save_edit` (saves carry the revision they are
//! based on, so two editors cannot overwrite each other), `import_file`, `push_changes` and
//! `version_changes`; `get_draft` / `save_draft` / `publish` serve scripts and tests.

use flows::{Flow, Problem};
use leptos::prelude::*;
use model::error::AppError;
use model::{EditorState, PublishReport, SavedDraft, VersionInfo};

/// The draft flow (an empty flow when nothing was saved yet).
#[server(endpoint = "flows/get_draft")]
pub async fn get_draft() -> Result<Flow, AppError> {
    use crate::server::Ctx;
    use domain::flows;
    use model::Permission;
    let ctx = Ctx::get()?;
    ctx.require(Permission::EditFlows).await?;
    Ok(flows::draft(ctx.pool()).await?)
}

/// Saves the draft from flow JSON (the flow file format). A draft may break rules while it is
/// being edited; it only has to be a well-formed flow (else `Invalid`, one problem per line,
/// nothing saved). Returns every problem of the saved draft (errors and warnings).
#[server(endpoint = "flows/save_draft")]
pub async fn save_draft(flow: String) -> Result<Vec<Problem>, AppError> {
    use crate::server::Ctx;
    use domain::{flows, repo::audit::Actor};
    use model::Permission;
    let ctx = Ctx::get()?;
    let user = ctx.require(Permission::EditFlows).await?;
    let actor = Actor::user(user.id, &user.email);
    flows::save_draft(ctx.pool(), ctx.clock(), &actor, &flow)
        .await
        .map_err(AppError::from)
}

/// Every problem of the stored draft (errors block publishing; warnings are advice).
#[server(endpoint = "flows/validate_draft")]
pub async fn validate_draft() -> Result<Vec<Problem>, AppError> {
    use crate::server::Ctx;
    use domain::flows;
    use model::Permission;
    let ctx = Ctx::get()?;
    ctx.require(Permission::EditFlows).await?;
    flows::check_draft(ctx.pool()).await
}

/// Publishes the draft as the next version and pushes the messenger profile. A draft with
/// errors is refused (`Invalid`, one problem per line). A failed push still leaves the new
/// version live; the report says which step failed.
#[server(endpoint = "flows/publish")]
pub async fn publish() -> Result<PublishReport, AppError> {
    use crate::server::Ctx;
    use domain::{flows, repo::audit::Actor};
    use model::Permission;
    let ctx = Ctx::get()?;
    let user = ctx.require(Permission::PublishFlows).await?;
    let actor = Actor::user(user.id, &user.email);
    let graph_base = ctx.state.config.graph_api_url.clone();
    flows::publish(ctx.pool(), ctx.clock(), &actor, &graph_base)
        .await
        .map_err(AppError::from)
}

/// Published versions, newest first.
#[server(endpoint = "flows/list_versions")]
pub async fn list_versions() -> Result<Vec<VersionInfo>, AppError> {
    use crate::server::Ctx;
    use domain::flows;
    use model::Permission;
    let ctx = Ctx::get()?;
    ctx.require(Permission::EditFlows).await?;
    Ok(flows::versions(ctx.pool()).await?)
}

/// Publishes the flow of version `number` again as a new version (and makes it the draft).
#[server(endpoint = "flows/rollback")]
pub async fn rollback(number: i64) -> Result<PublishReport, AppError> {
    use crate::server::Ctx;
    use domain::{flows, repo::audit::Actor};
    use model::Permission;
    let ctx = Ctx::get()?;
    let user = ctx.require(Permission::PublishFlows).await?;
    let actor = Actor::user(user.id, &user.email);
    let graph_base = ctx.state.config.graph_api_url.clone();
    flows::rollback(ctx.pool(), ctx.clock(), &actor, number, &graph_base)
        .await
        .map_err(AppError::from)
}

/// The draft with its revision, who saved it last, the live version, and whether this user
/// may publish: everything the Messages editor opens with.
#[server(endpoint = "flows/load_editor")]
pub async fn load_editor() -> Result<EditorState, AppError> {
    use crate::server::Ctx;
    use domain::flows;
    use model::Permission;
    let ctx = Ctx::get()?;
    let user = ctx.require(Permission::EditFlows).await?;
    let can_publish = user.role().can(Permission::PublishFlows);
    flows::editor_state(ctx.pool(), can_publish).await
}

/// Saves the editor's draft if nobody saved another one since `revision` (else `Conflict`,
/// saying who did, and nothing is saved). Returns the new revision.
#[server(endpoint = "flows/save_edit")]
pub async fn save_edit(flow: String, revision: i64) -> Result<SavedDraft, AppError> {
    use crate::server::Ctx;
    use domain::{flows, repo::audit::Actor};
    use model::Permission;
    let ctx = Ctx::get()?;
    let user = ctx.require(Permission::EditFlows).await?;
    let actor = Actor::user(user.id, &user.email);
    flows::save_edit(ctx.pool(), ctx.clock(), &actor, &flow, revision)
        .await
        .map_err(AppError::from)
}

/// Reads an uploaded flow file into the draft, with the same rules as `baton flows import`:
/// any error changes nothing and lists every problem with its JSON path (one per line).
/// Returns the new editor state.
#[server(endpoint = "flows/import_file")]
pub async fn import_file(flow: String) -> Result<EditorState, AppError> {
    use crate::server::Ctx;
    use domain::{flows, repo::audit::Actor};
    use model::Permission;
    let ctx = Ctx::get()?;
    let user = ctx.require(Permission::EditFlows).await?;
    let actor = Actor::user(user.id, &user.email);
    flows::import(ctx.pool(), ctx.clock(), &actor, &flow).await?;
    let can_publish = user.role().can(Permission::PublishFlows);
    flows::editor_state(ctx.pool(), can_publish).await
}

/// Publishes the draft at `revision` (what the editor shows) as the next version and pushes
/// the messenger profile; `Conflict` when the draft changed since.
#[server(endpoint = "flows/push_changes")]
pub async fn push_changes(revision: i64) -> Result<PublishReport, AppError> {
    use crate::server::Ctx;
    use domain::{flows, repo::audit::Actor};
    use model::Permission;
    let ctx = Ctx::get()?;
    let user = ctx.require(Permission::PublishFlows).await?;
    let actor = Actor::user(user.id, &user.email);
    let graph_base = ctx.state.config.graph_api_url.clone();
    flows::push_changes(ctx.pool(), ctx.clock(), &actor, revision, &graph_base)
        .await
        .map_err(AppError::from)
}

/// What version `number` changed against the version before it, one line per change.
#[server(endpoint = "flows/version_changes")]
pub async fn version_changes(number: i64) -> Result<Vec<String>, AppError> {
    use crate::server::Ctx;
    use domain::flows;
    use model::Permission;
    let ctx = Ctx::get()?;
    ctx.require(Permission::EditFlows).await?;
    flows::version_changes(ctx.pool(), number).await
}
