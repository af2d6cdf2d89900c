//! The state every request handler and server function shares, provided to server functions
//! through Leptos context by the router (`leptos_routes` puts the router state in context).

use axum::extract::FromRef;
use domain::Services;
use leptos::prelude::*;
use model::error::AppError;

/// The domain's services plus what the Leptos router needs. Derefs to [`Services`], so
/// `state.pool` and `&state` (where `&Services` is wanted) read naturally.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub services: Services,
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.services
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The shared state, for use inside server functions.
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        let uri = use_context::<axum::http::request::Parts>().map(|p| p.uri.to_string());
        tracing::error!(?uri, "AppState missing from the server function context");
        AppError::Internal
    })
}
