//! Building the application from a `Config`: database, shared state, HTTP router, listener.
//! Tests call [`build_state`] and [`router`] to exercise exactly what `baton serve` runs.

use std::sync::Arc;

use anyhow::Context;
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sqlx::SqlitePool;
use tower_http::trace::TraceLayer;

use app::server::{db, AppState, ServerConfig};
use app::{shell, App};

use crate::config::Config;
use crate::health;

/// Opens the database and applies migrations.
pub async fn open_database(config: &Config) -> anyhow::Result<SqlitePool> {
    let pool = db::connect(&config.database_url).await?;
    db::migrate(&pool).await?;
    Ok(pool)
}

/// Everything request handlers share.
pub async fn build_state(config: &Config) -> anyhow::Result<AppState> {
    let pool = open_database(config).await?;
    let mut leptos_options = get_configuration(None)
        .context("reading the Leptos site configuration")?
        .leptos_options;
    leptos_options.site_addr = config.addr;
    Ok(AppState {
        leptos_options,
        pool,
        config: Arc::new(ServerConfig {
            graph_api_url: config.graph_api_url.clone(),
            public_url: config.public_url.clone(),
        }),
    })
}

/// The whole HTTP surface: health, server functions, the admin UI and static files.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    Router::new()
        .route("/healthz", get(health::healthz))
        .leptos_routes(&state, routes, move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Runs the server until Ctrl-C / SIGTERM.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let state = build_state(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .with_context(|| {
            format!(
                "could not listen on {} (is another server using it?)",
                config.addr
            )
        })?;
    let addr = listener.local_addr()?;
    tracing::info!(database = %config.database_url_for_display(), "database ready");
    println!("Baton is running at http://{addr}/");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("server error")?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
