//! The runtime when the Graph API fails: 5xx and rate limits (retried with backoff until it
//! works, also through a long outage, each reply once and in every user's order), a refused
//! page token (the outbox waits and admins are told), and permanent errors (recorded with
//! their plain reason, never retried). Restarts and database failures: runtime_recovery.rs.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;

use app::model::Speaker;
use domain::repo::{conversations, outbox};
use domain::runtime;

use crate::failure_harness::{
    deliver, deliver_get_started, delivery, drain, error, fake_graph, finish, fixture, messages_to,
    setup, text_event, PAGE, SECRET, USER,
};

#[tokio::test]
async fn server_errors_and_rate_limits_are_retried_until_the_message_goes_out() {
    let (_dir, db) = crate::support::temp_db();
    let (graph, fake) = fake_graph(vec![
        (500, json!({})),
        (400, error(613, None)),
        (400, error(4, None)),
    ])
    .await;
    let (router, state) = setup(&graph, &db).await;
    deliver_get_started(&router).await;
    finish(&state, &graph).await;
    assert_eq!(fake.sent(), 4);
    let rows = messages_to(&state, USER).await;
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].status.as_str(), rows[0].attempts), ("done", 4));
    let transcript = conversations::transcript(&state.pool, PAGE, USER)
        .await
        .unwrap();
    assert_eq!(
        transcript.iter().filter(|t| t.who == Speaker::Bot).count(),
        1
    );
}

/// The outbox worker keeps its HTTP connections between rounds: a user's calls go one per
/// round, in order, and all of them travel over the first connection.
#[tokio::test]
async fn the_sender_reuses_its_connection_from_round_to_round() {
    let (_dir, db) = crate::support::temp_db();
    let (graph, fake) = fake_graph(vec![]).await;
    let (router, state) = setup(&graph, &db).await;
    let connected = fake.connections(); // publishing's own calls
    deliver_get_started(&router).await;
    // Then the same user writes: a third call for them.
    let text = fixture("webhook_message_text.json").replace("24000000000000001", USER);
    deliver(&router, text.into_bytes()).await;
    drain(&state, &graph).await;
    let rows = outbox::list_for(&state.pool, PAGE, USER).await.unwrap();
    assert!(rows.len() >= 3, "profile, welcome and answer: {rows:?}");
    assert!(rows.iter().all(|r| r.status == "done"), "{rows:?}");
    assert_eq!(
        fake.connections() - connected,
        1,
        "{} calls, one per round",
        rows.len()
    );
}

/// Facebook refuses the page token (190): queued replies are not failed for good. The outbox
/// waits (one try a minute), admins see why on every screen, and a new connection ends it:
/// the reply then goes out once.
#[tokio::test]
async fn a_refused_page_token_pauses_the_outbox_and_tells_admins() {
    use crate::support::{post_form, TestApp};
    let (graph, fake) = fake_graph(vec![(400, error(190, Some(463)))]).await;
    let app = TestApp::new().await;
    let state = &app.state;
    crate::support::connect_page(state, &graph, SECRET).await;
    crate::support::publish_kit(state, &graph).await;
    deliver_get_started(&app.router).await;
    drain(state, &graph).await;
    assert_eq!(fake.sent(), 1);
    let rows = messages_to(state, USER).await;
    assert_eq!(rows[0].status, "pending", "{rows:?}");
    assert_eq!(rows[0].error_code.as_deref(), Some("190/463"));

    // Admins are told with their session, in words, with the way out; agents are not.
    let admin = app.signed_in(app::model::Role::Admin).await;
    let (status, body) = app
        .send(post_form("/api/auth/session", "", Some(&admin)))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains("no longer accepts the page access token"),
        "{body}"
    );
    assert!(body.contains("Settings"), "{body}");

    let agent = app.signed_in(app::model::Role::Agent).await;
    let (_, body) = app
        .send(post_form("/api/auth/session", "", Some(&agent)))
        .await;
    assert!(!body.contains("page access token"), "{body}");

    // Paused: no call at all until a minute has passed.
    state.clock.advance(Duration::from_secs(30));
    drain(state, &graph).await;
    assert_eq!(fake.sent(), 1);

    // A new token is saved: the notice goes, and the reply goes out at its next try.
    crate::support::connect_page(state, &graph, SECRET).await;
    let (_, body) = app
        .send(post_form("/api/auth/session", "", Some(&admin)))
        .await;
    assert!(!body.contains("page access token"), "{body}");
    state.clock.advance(Duration::from_secs(31));
    finish(state, &graph).await;
    let rows = messages_to(state, USER).await;
    assert_eq!((rows[0].status.as_str(), rows[0].attempts), ("done", 2));
    assert_eq!(fake.sent(), 2);
}

#[tokio::test]
async fn permanent_errors_are_recorded_with_their_reason_and_not_retried() {
    let (_dir, db) = crate::support::temp_db();
    let (graph, fake) = fake_graph(vec![(400, error(551, None))]).await;
    let (router, state) = setup(&graph, &db).await;
    deliver_get_started(&router).await;
    finish(&state, &graph).await;
    assert_eq!(fake.sent(), 1);
    let rows = messages_to(&state, USER).await;
    assert_eq!(rows[0].status, "failed");
    let reason = rows[0].error_reason.clone().unwrap();
    assert!(reason.contains("can't receive messages"), "{reason}");
    let transcript = conversations::transcript(&state.pool, PAGE, USER)
        .await
        .unwrap();
    assert!(
        transcript
            .iter()
            .any(|t| t.who == Speaker::System && t.text.contains(&reason)),
        "{transcript:?}"
    );
}

/// A Graph API that is down (5xx and rate limits, alternately) for its first `outage` sends,
/// then answers and records what each user was sent, in order.
#[derive(Clone, Default)]
struct Outage {
    calls: Arc<AtomicUsize>,
    outage: usize,
    delivered: Arc<std::sync::Mutex<Vec<(String, String)>>>,
}

async fn outage_send(State(g): State<Outage>, Json(sent): Json<serde_json::Value>) -> Response {
    let n = g.calls.fetch_add(1, Ordering::SeqCst);
    if n < g.outage {
        return if n % 2 == 0 {
            (StatusCode::BAD_GATEWAY, "upstream down").into_response()
        } else {
            (StatusCode::BAD_REQUEST, Json(error(613, None))).into_response()
        };
    }
    let to = sent["recipient"]["id"].as_str().unwrap_or("").to_owned();
    g.delivered
        .lock()
        .unwrap()
        .push((to, sent["message"].to_string()));
    Json(json!({"recipient_id": "x", "message_id": format!("m_{n}")})).into_response()
}

#[tokio::test]
async fn a_graph_outage_delays_replies_but_delivers_each_once_in_every_users_order() {
    let (_dir, db) = crate::support::temp_db();
    let g = Outage {
        outage: 40,
        ..Default::default()
    };
    let app = Router::new()
        .route("/v21.0/me/messages", post(outage_send))
        .fallback(|| async { Json(json!({"success": true, "first_name": "Ana"})) })
        .with_state(g.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let graph = format!("http://{}/v21.0", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let (router, state) = setup(&graph, &db).await;

    let users: Vec<String> = (0..5).map(|u| format!("2400000000000010{u}")).collect();
    let words = ["menu", "human", "menu", "agent"];
    for (n, word) in words.iter().enumerate() {
        for user in &users {
            deliver(&router, delivery(vec![text_event(user, n as i64, word)])).await;
        }
        // Replies go out while the outage lasts, interleaved with the next messages.
        runtime::process_events(&state.pool, &state.deliveries, &state.clock, 100)
            .await
            .unwrap();
        drain(&state, &graph).await;
    }
    runtime::process_events(&state.pool, &state.deliveries, &state.clock, 100)
        .await
        .unwrap();
    finish(&state, &graph).await;

    assert!(
        g.calls.load(Ordering::SeqCst) > g.outage,
        "the outage happened"
    );
    let delivered = g.delivered.lock().unwrap().clone();
    let menu = "How can we help?";
    let human = "Click the button below to speak to a real person";
    for user in &users {
        let got: Vec<&str> = delivered
            .iter()
            .filter(|(to, _)| to == user)
            .map(|(_, m)| {
                if m.contains(menu) {
                    "menu"
                } else if m.contains(human) {
                    "human"
                } else {
                    "other"
                }
            })
            .collect();
        assert_eq!(got, ["menu", "human", "menu", "human"], "{user}");
    }
    assert_eq!(outbox::unfinished(&state.pool).await.unwrap(), 0);
}
