//! Building the application from a `Config`: database, shared state, HTTP router, listener.
//! Tests call [`build_state`] and [`router`] to exercise exactly what `baton serve` runs.

use std::sync::{Arc, OnceLock};

use anyhow::Context;
use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tower_http::trace::TraceLayer;

use app::server::AppState;
use app::{shell, App};
use domain::backend::Db;
use domain::live::Live;
use domain::repo::{audit::Actor, pages};
use domain::runtime::{self, RuntimeConfig, Wake};
use domain::{db, sandbox_store, Clock, ServerConfig, Services};
use std::net::SocketAddr;

use crate::config::Config;
use crate::health;

/// Opens the database (SQLite or PostgreSQL, as the URL says) and applies migrations.
/// PostgreSQL takes an advisory lock while it migrates, so instances starting together apply
/// each migration once.
pub async fn open_database(config: &Config) -> anyhow::Result<Db> {
    let db = domain::backend::open(&config.database_url).await?;
    db.migrate().await?;
    domain::secrets::init_from_env()?;
    if pages::seal_stored(&db).await? {
        tracing::info!("page secrets stored before encryption are now sealed");
    }
    Ok(db)
}

/// Where the webhook's deliveries are kept: a SQLite file of their own beside the database,
/// or the PostgreSQL database itself.
pub async fn open_deliveries(db: &Db) -> anyhow::Result<db::Deliveries> {
    Ok(match db {
        Db::Sqlite(pool) => db::open_deliveries(pool).await?,
        Db::Postgres(pool) => db::Deliveries::Postgres(pool.clone()),
    })
}

/// Everything request handlers share.
pub async fn build_state(config: &Config) -> anyhow::Result<AppState> {
    let pool = open_database(config).await?;
    let mut leptos_options = get_configuration(None)
        .context("reading the Leptos site configuration")?
        .leptos_options;
    leptos_options.site_addr = config.addr;
    let deliveries = open_deliveries(&pool).await?;
    let (wake, clock) = (Wake::default(), Clock::system());
    let ingest = domain::ingest::Ingest::start(deliveries.clone(), clock.clone(), wake.clone());
    Ok(AppState {
        leptos_options,
        services: Services {
            pool,
            config: Arc::new(ServerConfig {
                graph_api_url: config.graph_api_url.clone(),
                public_url: config.public_url.clone(),
                trusted_proxies: config.trusted_proxies.clone(),
            }),
            sandbox: sandbox::Sandbox::new(sandbox::SandboxConfig::default()),
            ingest,
            deliveries,
            page: Default::default(),
            wake,
            live: Live::default(),
            clock,
            workers: runtime::Workers::default(),
        },
    })
}

/// The whole HTTP surface: health, the built-in Messenger sandbox, server functions, the
/// admin UI and static files.
pub fn router(state: AppState) -> Router {
    // Listing the routes renders the app once with leptos's process-wide "do not load
    // resources" flag set. A page rendered meanwhile on another thread (another test's
    // request) would wait forever on its resources, so the list is made once per process.
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    let routes = ROUTES.get_or_init(|| generate_route_list(App)).clone();
    let options = state.leptos_options.clone();
    let messenger_sandbox = state.sandbox.clone();
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/api/inbox/events", get(crate::live::inbox_events))
        .merge(crate::webhook::routes())
        .nest_service(
            "/sandbox",
            messenger_sandbox
                .router()
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    crate::sandbox_gate::gate,
                )),
        )
        .leptos_routes(&state, routes, move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(crate::errors::status_from_error))
        .layer(middleware::from_fn(same_origin_only))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// `BATON_AUTO_SANDBOX=1` (set by scripts/run.sh): with no page connected, connect the
/// built-in sandbox page so a new user can try everything offline. Off by default, so a
/// production server never invents a page.
fn auto_sandbox() -> bool {
    std::env::var("BATON_AUTO_SANDBOX").is_ok_and(|v| v == "1" || v == "true")
}

/// Keeps a connected sandbox page pointing at this server's own address (it is served under
/// /sandbox here), and connects it when asked to and no page is connected.
async fn prepare_sandbox_page(
    state: &AppState,
    addr: SocketAddr,
    connect_if_none: bool,
) -> anyhow::Result<()> {
    let graph = format!("http://{addr}/sandbox/v21.0");
    let system = Actor {
        user_id: None,
        name: "system".into(),
    };
    match pages::current(&state.pool).await? {
        None if connect_if_none => {
            domain::pages::connect_sandbox(&state.pool, &state.clock, &system, &graph)
                .await
                .map_err(|e| anyhow::anyhow!("connecting the sandbox page: {e}"))?;
            println!("No Facebook page is connected yet: the built-in sandbox page is ready.");
            sample_flow_if_none(state, &graph, &system).await?;
        }
        Some(page) if page.is_sandbox && page.graph_api_url.as_deref() != Some(graph.as_str()) => {
            domain::pages::connect_sandbox(&state.pool, &state.clock, &system, &graph)
                .await
                .map_err(|e| anyhow::anyhow!("updating the sandbox page: {e}"))?;
        }
        _ => {}
    }
    // The sandbox keeps its messenger profile in memory: give it the published one again
    // once this server answers (the push goes through its own /sandbox Graph API).
    if let (Some(page), Some((_, flow))) = (
        pages::current(&state.pool).await?,
        domain::flows::published_flow(&state.pool)
            .await
            .map_err(|e| anyhow::anyhow!("reading the published flow: {e}"))?,
    ) {
        if page.is_sandbox {
            let graph = domain::pages::graph_client(&page, &state.config.graph_api_url);
            tokio::spawn(async move {
                for step in domain::flows::push::push_profile(&graph, &flow).await {
                    tracing::debug!(?step, "sandbox messenger profile");
                }
            });
        }
    }
    Ok(())
}

/// On a first start with nothing written or published yet, makes the example flow (a main
/// menu and the handover kit) the draft and publishes it, so the Simulator's story runs at
/// once. The publish pushes the page settings through this server's own /sandbox, so it runs
/// once the server answers.
async fn sample_flow_if_none(state: &AppState, graph: &str, system: &Actor) -> anyhow::Result<()> {
    let pool = &state.pool;
    let nothing_yet = domain::repo::flows::draft(pool).await?.is_none()
        && domain::repo::flows::latest(pool).await?.is_none();
    if !nothing_yet {
        return Ok(());
    }
    let sample = flows::to_json(&flows::example_flow());
    domain::flows::import(pool, &state.clock, system, &sample)
        .await
        .map_err(|e| anyhow::anyhow!("preparing the example flow: {e}"))?;
    let (pool, graph, system) = (pool.clone(), graph.to_owned(), system.clone());
    let clock = state.clock.clone();
    tokio::spawn(async move {
        match domain::flows::publish(&pool, &clock, &system, &graph).await {
            Ok(_) => println!(
                "The example flow (a main menu and the handover kit) is published: open the \
                 Simulator to try it."
            ),
            Err(e) => tracing::error!(error = %e, "publishing the example flow"),
        }
    });
    Ok(())
}

/// CSRF defence in depth (cookies are already SameSite=Lax): a state-changing request that
/// says it comes from another origin is refused before it reaches a handler. Browsers say so
/// with `Origin`; when a request has none, with `Sec-Fetch-Site` (anything but `same-origin`
/// or `none`, the latter for what the user typed) or else a `Referer` from another host. A
/// request with none of the three is not from a browser page (scripts, the CLI, curl) and
/// carries no ambient cookies to abuse. The webhook is exempt: Facebook's servers post to it
/// and it is protected by its signature.
async fn same_origin_only(req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && req.uri().path() != "/webhook" {
        if let Some(why) = cross_origin(req.headers()) {
            tracing::warn!(%why, path = %req.uri().path(), "cross-origin request refused");
            return (StatusCode::FORBIDDEN, "cross-origin request refused").into_response();
        }
    }
    next.run(req).await
}

/// Why a request comes from another origin, if it does (see [`same_origin_only`]).
fn cross_origin(headers: &axum::http::HeaderMap) -> Option<String> {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let host_of = |url: &str| {
        let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
        rest.split(['/', '?', '#'])
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    let host = text(header::HOST);
    if let Some(origin) = text(header::ORIGIN) {
        let origin_host = host_of(origin);
        return (Some(origin_host.as_str()) != host).then(|| format!("origin {origin_host}"));
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return (!matches!(site, "same-origin" | "none")).then(|| format!("sec-fetch-site {site}"));
    }
    if let Some(referer) = text(header::REFERER) {
        let referer_host = host_of(referer);
        return (Some(referer_host.as_str()) != host).then(|| format!("referer {referer_host}"));
    }
    None
}

/// Nice value of the runtime workers' thread (0 is normal, 19 the lowest priority).
const WORKERS_NICE: i32 = 10;

/// Starts the runtime's workers on a thread of their own, with a tokio runtime of its own, at a
/// lower CPU priority than the web server. When the machine is busy, the kernel then runs
/// webhook acknowledgements and admin screens first, and applying events and sending replies
/// takes the CPU they leave: nothing the workers do is waited for by a person or by
/// Facebook's timeout, and what they have not done yet is safely stored. The SQLite threads
/// sqlx starts for the workers' own connections inherit the priority. If the priority cannot
/// be lowered (some containers forbid it) the workers run at normal priority.
///
/// Returns this instance's work lanes on PostgreSQL (given back at a clean shutdown).
fn spawn_workers(
    state: &AppState,
    config: RuntimeConfig,
) -> anyhow::Result<Option<domain::lanes::Lanes>> {
    let (pool, deliveries, wake, live, clock, workers) = (
        state.pool.clone(),
        state.deliveries.clone(),
        state.wake.clone(),
        state.live.clone(),
        state.clock.clone(),
        state.workers.clone(),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime workers' scheduler")?;
    let (lanes_tx, lanes_rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("baton-workers".into())
        .spawn(move || {
            // On Linux this applies to the calling thread only, and threads it starts.
            if let Err(e) = rustix::process::setpriority_process(None, WORKERS_NICE) {
                tracing::warn!(error = %e, "could not lower the workers' CPU priority");
            }
            rt.block_on(async move {
                let lanes = runtime::spawn(pool, deliveries, config, wake, live, clock, &workers);
                let _ = lanes_tx.send(lanes);
                std::future::pending::<()>().await
            })
        })
        .context("starting the runtime workers' thread")?;
    lanes_rx
        .recv()
        .context("the runtime workers' thread stopped at once")
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
    // The built-in sandbox delivers its webhooks to this server, and only here: the control
    // API cannot point it anywhere else.
    state
        .sandbox
        .set_callback_url(Some(format!("http://{addr}/webhook")));
    state.sandbox.fix_callback_url();
    let sandbox_saved = match sandbox_store::restore(&state.pool, &state.sandbox).await {
        Ok((saved, users)) => {
            if users > 0 {
                println!("The sandbox remembers {users} test user(s) from the last run.");
            }
            sandbox_store::spawn_saver(
                state.pool.clone(),
                state.clock.clone(),
                state.sandbox.clone(),
                saved.clone(),
            );
            Some(saved)
        }
        Err(e) => {
            // Nothing is overwritten: the sandbox starts empty and is not saved this run.
            tracing::error!(error = %e, "sandbox state not restored");
            eprintln!("Warning: {e}. The sandbox starts empty and is not saved this run.");
            None
        }
    };
    prepare_sandbox_page(&state, addr, auto_sandbox()).await?;
    let lanes = spawn_workers(
        &state,
        RuntimeConfig {
            graph_api_url: config.graph_api_url.clone(),
            calls_per_second: config.send_rate,
        },
    )?;
    println!("Baton is running at http://{addr}/");
    let service =
        router(state.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let live = state.live.clone();
    axum::serve(listener, service)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            // Open Inbox streams never end by themselves: end them, or the shutdown waits.
            live.close();
        })
        .await
        .context("server error")?;
    if let Some(lanes) = lanes {
        // The other instances take this one's users now instead of when the leases run out.
        match lanes.release_all().await {
            Ok(()) => tracing::info!("work lanes given back to the other instances"),
            Err(e) => {
                tracing::warn!(error = %e, "work lanes not given back; they expire in a few seconds")
            }
        }
    }
    if let Some(mut saved) = sandbox_saved {
        sandbox_store::save_if_changed(&state.pool, &state.clock, &state.sandbox, &mut saved)
            .await
            .context("saving the sandbox state")?;
    }
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
