//! Server functions for the Settings screen.

use leptos::prelude::*;

use crate::error::AppError;

/// The page display name, or `None` when none was saved yet.
#[server(endpoint = "settings/page_name")]
pub async fn get_page_name() -> Result<Option<String>, AppError> {
    use crate::server::{repo::settings, state};
    let state = state()?;
    Ok(settings::get(&state.pool, settings::keys::PAGE_NAME).await?)
}

/// Validates and stores the page display name; returns the stored (trimmed) value.
#[server(endpoint = "settings/save_page_name")]
pub async fn save_page_name(name: String) -> Result<String, AppError> {
    use crate::model::PageName;
    use crate::server::{repo::settings, state};
    let name = PageName::parse(&name).map_err(AppError::Invalid)?;
    let state = state()?;
    settings::set(&state.pool, settings::keys::PAGE_NAME, name.as_str()).await?;
    tracing::info!("page display name changed");
    Ok(name.as_str().to_owned())
}
