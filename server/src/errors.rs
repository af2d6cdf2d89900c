//! Where an `AppError` becomes an HTTP status, for every server function and plain route.
//!
//! Server functions answer any `Err` with 500 and the error as JSON; [`status_from_error`]
//! replaces that 500 with the status the error stands for ([`AppError::status`]), so no
//! server function sets a status itself. Plain routes (the live-updates stream) answer with
//! [`refuse`], the same status and the same words.

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::error::AppError;

/// Error bodies are a few hundred bytes; anything larger is not an `AppError`.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The answer for `err` on a plain route: its status and its text.
pub fn refuse(err: AppError) -> Response {
    (status_of(&err), err.to_string()).into_response()
}

fn status_of(err: &AppError) -> StatusCode {
    StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Middleware: a server function's 500 whose body is an `AppError` gets that error's status.
pub async fn status_from_error(req: Request, next: Next) -> Response {
    let server_fn = req.uri().path().starts_with("/api/");
    let response = next.run(req).await;
    if !server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BODY).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "response too large").into_response();
    };
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = status_of(&err);
    }
    Response::from_parts(parts, Body::from(bytes))
}
