//! The session check for plain HTTP routes (the live-updates stream, the sandbox control
//! API); server functions use `Ctx::require` in the app crate, with the same answers.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use app::error::AppError;
use app::model::Permission;
use app::server::AppState;
use domain::auth::{token_from_headers, token_hash};
use domain::repo::{sessions, users::UserRow};

use crate::errors::refuse;

/// The signed-in user if their role has `permission`; else the response to send: 401 when
/// nobody is signed in, 403 when the role does not allow it, 503 when the database is down.
pub async fn require(
    state: &AppState,
    headers: &HeaderMap,
    permission: Permission,
) -> Result<UserRow, Response> {
    let user = match token_from_headers(headers) {
        Some(token) => {
            sessions::user_for(&state.pool, &token_hash(&token), state.clock.now()).await
        }
        None => Ok(None),
    };
    match user {
        Ok(Some(user)) if user.role().can(permission) => Ok(user),
        Ok(Some(_)) => Err(refuse(AppError::Forbidden)),
        Ok(None) => Err(refuse(AppError::Unauthorized)),
        Err(err) => {
            tracing::error!(error = %err, "session check: database unavailable");
            Err(StatusCode::SERVICE_UNAVAILABLE.into_response())
        }
    }
}
