//! Several `baton serve` processes on one PostgreSQL database, behind a round-robin "load
//! balancer" (the load sends each delivery to the next instance, and a retry to the one
//! after). One instance is killed with SIGKILL mid-burst: every acknowledged message is still
//! answered exactly once and in each user's order, by the instances left, once the dead
//! one's work lanes run out. Then an agent's live Inbox stream on instance A shows a Mark as
//! done clicked on instance B, and a clean stop of A gives its lanes to B at once.
//!
//! Needs `BATON_TEST_POSTGRES_URL` (scripts/test.sh starts a throwaway server); without it
//! the test says `skipped:` and passes.

use std::path::Path;
use std::time::Duration;

use server::bench::sink::Sink;
use server::bench::target::{owned_by, prepare_database_at, Target, PAGE_ID};

use crate::under_load::{steady_load, until_replies_flow};

/// The key every instance seals and opens the page secrets with (BATON_SECRET_KEY).
const SECRET_KEY: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_answer_every_message_once_in_order_when_one_dies() {
    let Some(server) = domain::testing::postgres_url() else {
        eprintln!("skipped: {} is not set", domain::testing::POSTGRES_URL_VAR);
        return;
    };
    let db_url = domain::testing::empty_postgres_database(&server).await;
    let exe = Path::new(env!("CARGO_BIN_EXE_baton"));
    let dir = tempfile::tempdir().unwrap();
    // Each send is answered 100 ms after it arrives, so calls are in flight at the kill, and
    // echoed to the instances as Messenger does.
    let sink = Sink::start_with(Duration::from_millis(100)).await.unwrap();
    prepare_database_at(&db_url, &sink.graph_url, Some(SECRET_KEY))
        .await
        .unwrap();
    let mut instances = Vec::new();
    for i in 0..3 {
        let log = dir.path().join(format!("baton-{i}.log"));
        let target = Target::serve(
            exe,
            &db_url,
            &sink.graph_url,
            &log,
            None,
            100_000,
            &[("BATON_SECRET_KEY", SECRET_KEY)],
        )
        .await
        .unwrap();
        instances.push(target);
    }
    let urls: Vec<String> = instances.iter().map(|t| t.webhook_url.clone()).collect();
    let pids: Vec<u32> = instances.iter().map(|t| t.pid).collect();
    sink.echo_to_any(&urls);
    // The first instance took every lane; the others get their share within a refresh or
    // two. Start once each holds a third, so the one killed has work to lose.
    let pool = sqlx::PgPool::connect(&db_url).await.unwrap();
    server::bench::target::wait_for_lanes(&pool, &pids)
        .await
        .unwrap();

    let driver = steady_load("three", urls, pids, &sink);
    // Kill the second instance once replies flow, at a moment it has calls in flight (rows
    // it claimed, and not yet recorded, while the sink holds each call for 100 ms).
    let started = until_replies_flow(&sink, 150).await;
    let victim = instances[1].pid;
    loop {
        // The owners of the lanes with a call in flight.
        let owners: Vec<Option<String>> = sqlx::query_scalar(
            "SELECT l.owner FROM outbox o JOIN work_lanes l ON l.lane = o.lane
             WHERE o.status = 'sending'",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let in_flight = owners.iter().filter(|o| owned_by(victim, o)).count();
        if in_flight > 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the second instance never had a call in flight"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let killed = instances.remove(1);
    let killed_pid = killed.pid;
    killed.kill_hard().await;

    let (load, phase) = driver.await.unwrap();
    let check = load.check(&sink);
    let logs = || {
        (0..3)
            .map(|i| {
                let log = dir.path().join(format!("baton-{i}.log"));
                format!(
                    "--- instance {i}:\n{}",
                    std::fs::read_to_string(log).unwrap_or_default()
                )
            })
            .collect::<String>()
    };
    assert_eq!(phase.lost, 0, "every delivery was acknowledged in the end");
    assert!(
        phase.all_answered && check.passed(),
        "{phase:?}\n{check:?}\n{}",
        logs()
    );
    eprintln!("{phase:?}\n{check:?}");
    // The kill really caught calls in flight, and an instance left took them over.
    assert!(
        logs().contains("calls interrupted on another instance"),
        "no call was in flight at the kill:\n{}",
        logs()
    );

    // The two left hold every lane between them, and the dead one none.
    let owners: Vec<(i64, Option<String>)> =
        sqlx::query_as("SELECT lane, owner FROM work_lanes ORDER BY lane")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(
        owners
            .iter()
            .all(|(_, o)| !owned_by(killed_pid, o) && o.is_some()),
        "{owners:?}"
    );

    // Live updates across instances: an agent watches the Inbox on A; a colleague clicks
    // Move to inbox, then Mark as done, on B, for a user whose work lane neither is A's (so
    // A's own workers never touch that conversation: only B's notification can reach A).
    let (a, b) = (&instances[0], &instances[1]);
    let psid = (0..40)
        .map(|u| format!("24{u:08}"))
        .find(|psid| {
            let lane = domain::lanes::lane_of(PAGE_ID, psid);
            !owned_by(a.pid, &owners[lane as usize].1)
        })
        .expect("a user outside A's lanes");
    let cookie = agent_cookie(&pool).await;
    let http = reqwest::Client::new();
    let base = |t: &Target| format!("http://127.0.0.1:{}", t.port);
    let act = |action: &'static str| {
        let (http, url, cookie, psid) = (
            http.clone(),
            format!("{}/api/inbox/act", base(b)),
            cookie.clone(),
            psid.clone(),
        );
        async move {
            let resp = http
                .post(url)
                .header("cookie", cookie)
                .header("accept", "application/json")
                .form(&[("psid", psid.as_str()), ("action", action)])
                .send()
                .await
                .unwrap();
            let status = resp.status();
            assert!(
                status.is_success(),
                "{action}: {}",
                resp.text().await.unwrap()
            );
        }
    };
    act("move_to_inbox").await;
    let mut stream = http
        .get(format!("{}/api/inbox/events", base(a)))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert!(stream.status().is_success());
    act("mark_as_done").await;
    let wanted = format!("event: change\ndata: {psid}\n\n");
    let seen = tokio::time::timeout(Duration::from_secs(10), async {
        let mut text = String::new();
        while let Ok(Some(chunk)) = stream.chunk().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
            if text.contains(&wanted) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(
        seen,
        Ok(true),
        "A's Inbox stream never showed B's Mark as done\n{}",
        logs()
    );
    // And the conversation is back with the bot, as A reads it.
    let (state,): (String,) =
        sqlx::query_as("SELECT state FROM conversations WHERE page_id = $1 AND psid = $2")
            .bind(PAGE_ID)
            .bind(&psid)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(state, "done");

    // A clean stop (SIGTERM, as in a rolling deploy) gives A's lanes back at once: B holds
    // them all right after, well before A's leases would have run out.
    let a_pid = instances[0].pid;
    let a = instances.remove(0);
    assert!(a.terminate().await, "A did not stop on SIGTERM");
    let owners: Vec<Option<String>> = sqlx::query_scalar("SELECT owner FROM work_lanes")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(
        owners.iter().all(|o| !owned_by(a_pid, o)),
        "A still holds lanes after it stopped: {owners:?}"
    );
    let b_pid = instances[0].pid;
    server::bench::target::wait_for_lanes(&pool, &[b_pid])
        .await
        .unwrap();
    pool.close().await;
    for target in instances {
        target.kill_hard().await;
    }
}

/// A session cookie of a new agent, made in the shared database (any instance accepts it).
async fn agent_cookie(pool: &sqlx::PgPool) -> String {
    use domain::repo::audit::Actor;
    let clock = domain::Clock::system();
    let user = domain::accounts::create_user(
        pool,
        &clock,
        &Actor::cli(),
        "agent@example.com",
        app::model::Role::Agent,
        "a long enough password",
    )
    .await
    .unwrap();
    let token = domain::auth::new_token();
    domain::repo::sessions::create(
        pool,
        &domain::auth::token_hash(&token),
        user.id,
        clock.now(),
    )
    .await
    .unwrap();
    format!("{}={token}", domain::auth::SESSION_COOKIE)
}
