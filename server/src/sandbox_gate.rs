//! The built-in sandbox as a protected mode. `/sandbox` exists only while the sandbox page is
//! the connected page (with a real page it answers 404), and its control API (`/_sandbox/...`,
//! which acts as test users and Page Inbox agents) needs a signed-in person allowed to use the
//! Simulator. Its Graph API routes need no session: they check the page token as Meta does.
//! `baton sandbox serve` runs the emulator alone, open, on its own port.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::model::Permission;
use app::server::AppState;
use domain::repo::pages;

use crate::session::require;

/// Middleware for everything under `/sandbox` (the path seen here has that prefix removed).
pub async fn gate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match pages::current(&state.pool).await {
        Ok(Some(page)) if page.is_sandbox => {}
        Ok(_) => {
            return (
                StatusCode::NOT_FOUND,
                "Not found: the built-in sandbox is off while a real Facebook page is connected.",
            )
                .into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "sandbox: database unavailable");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    if req.uri().path().starts_with("/_sandbox") {
        if let Err(refused) = require(&state, req.headers(), Permission::UseSimulator).await {
            return refused;
        }
    }
    next.run(req).await
}
