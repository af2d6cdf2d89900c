//! `GET /healthz`: 200 with JSON when the database answers, 503 otherwise. The JSON also
//! says how far behind the runtime workers are (`workers`: waiting events and calls, the
//! oldest one's wait in seconds, restarts after a panic), so a monitor can alert on lag.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use app::server::AppState;

pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    // Reading the workers' lag is also the database check.
    match state
        .workers
        .report((&state.pool).into(), &state.deliveries, &state.clock)
        .await
    {
        Ok(workers) => (
            StatusCode::OK,
            Json(json!({
                "status": "ok",
                "version": env!("CARGO_PKG_VERSION"),
                "database": { "status": "ok", "backend": "sqlite" },
                "workers": workers,
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
