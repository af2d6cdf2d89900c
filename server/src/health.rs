//! `GET /healthz`: 200 with JSON when the database answers, 503 otherwise.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use app::server::AppState;
use domain::db;

pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match db::ping(&state.pool).await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({
                "status": "ok",
                "version": env!("CARGO_PKG_VERSION"),
                "database": { "status": "ok", "backend": "sqlite" },
            })),
        ),
        Err(err) => {
            tracing::error!(error = %err, "health check: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({
                    "status": "unavailable",
                    "version": env!("CARGO_PKG_VERSION"),
                    "database": { "status": "unavailable", "backend": "sqlite" },
                })),
            )
        }
    }
}
