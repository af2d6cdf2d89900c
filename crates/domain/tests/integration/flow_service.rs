//! Flow storage and publishing against a real SQLite database: import/export, the draft,
//! numbered versions with summaries, rollback, and the messenger profile push (sandbox).

use domain::backend::Db;
use domain::flows::{self as publishing, FlowError, FIRST_VERSION};
use domain::pages;
use domain::repo::{audit, audit::Actor, flows as repo, users};
use domain::Clock;
use flows::{parse_flow, to_json, Flow};
use model::AppError;
use model::{PublishReport, PushStatus, Role};
use serde_json::json;

const KIT: &str = include_str!("../../../flows/tests/fixtures/handover_kit.json");
const CANONICAL: &str = include_str!("../../../flows/tests/fixtures/handover_kit.canonical.json");
/// Never used as a Graph base here unless a test says so: no page is connected by default.
const NO_GRAPH: &str = "http://127.0.0.1:9/v21.0";

domain::testing::test_on_both_backends!(
    memory:
    importing_a_bad_file_changes_nothing_and_lists_every_problem,
    export_import_export_is_byte_identical,
    a_draft_may_break_rules_but_cannot_be_published,
    publishing_numbers_versions_and_summarises_changes,
    rollback_republishes_an_old_flow_and_makes_it_the_draft,
    a_version_written_meanwhile_makes_the_insert_refuse,
    publishing_pushes_the_messenger_profile_to_the_connected_page,
    a_graph_failure_is_reported_per_step_and_the_version_stays_live,
);

fn kit() -> Flow {
    parse_flow(KIT).unwrap()
}

/// The kit with one more message (a valid change).
fn kit_plus_one() -> Flow {
    let mut flow = kit();
    let mut extra = flow.messages[3].clone();
    extra.key = "opening_hours".into();
    extra.name = "Opening hours".into();
    flow.messages.push(extra);
    flow
}

async fn import(pool: &Db, flow: &Flow) {
    publishing::import(pool, &Clock::system(), &Actor::cli(), &to_json(flow))
        .await
        .unwrap();
}

/// Publishes the draft as the CLI, pushing the profile only to a connected page.
async fn publish(pool: &Db) -> Result<PublishReport, FlowError> {
    publishing::publish(pool, &Clock::system(), &Actor::cli(), NO_GRAPH).await
}

/// [`publish`], expecting the profile pushed to the connected page.
async fn publish_and_push(pool: &Db) -> PublishReport {
    let report = publish(pool).await.unwrap();
    assert_eq!(
        report.version.push_status,
        PushStatus::Pushed,
        "{report:#?}"
    );
    report
}

/// An editor account (audit rows reference real users).
async fn editor(pool: &Db) -> Actor {
    let user = users::insert(pool, "ed@example.com", Role::Editor, "not-a-hash", 0)
        .await
        .unwrap()
        .unwrap();
    Actor::user(user.id, &user.email)
}

fn problems(err: FlowError) -> Vec<String> {
    match err {
        FlowError::Problems(p) => p.iter().map(ToString::to_string).collect(),
        other => panic!("expected problems, got {other:?}"),
    }
}

async fn importing_a_bad_file_changes_nothing_and_lists_every_problem(pool: Db) {
    publishing::import(&pool, &Clock::system(), &Actor::cli(), KIT)
        .await
        .unwrap();
    let before = publishing::export(&pool).await.unwrap();

    let mut bad: serde_json::Value = serde_json::from_str(KIT).unwrap();
    bad["messages"][3]["parts"][0]["buttons"][1]["title"] = json!("Talk to a real human!!!!");
    bad["greeting"] = json!("");
    bad["surprise"] = json!(true);
    let err = publishing::import(&pool, &Clock::system(), &Actor::cli(), &bad.to_string())
        .await
        .unwrap_err();
    let list = problems(err);
    assert!(
        list.contains(&"surprise: unknown field".to_owned()),
        "{list:?}"
    );
    assert!(
        list.contains(
            &"messages[3].parts[0].buttons[1].title: longer than 20 characters (24)".to_owned()
        ),
        "{list:?}"
    );
    assert!(
        list.contains(&"greeting: must not be empty".to_owned()),
        "{list:?}"
    );
    assert_eq!(publishing::export(&pool).await.unwrap(), before);

    let not_json = publishing::import(&pool, &Clock::system(), &Actor::cli(), "{ nope")
        .await
        .unwrap_err();
    assert!(problems(not_json)[0].starts_with("$: not valid JSON"));
    assert_eq!(publishing::export(&pool).await.unwrap(), before);
}

async fn export_import_export_is_byte_identical(pool: Db) {
    let empty = publishing::export(&pool).await.unwrap();
    assert_eq!(empty, to_json(&Flow::default()));

    publishing::import(&pool, &Clock::system(), &Actor::cli(), KIT)
        .await
        .unwrap();
    let first = publishing::export(&pool).await.unwrap();
    assert_eq!(first, CANONICAL);
    publishing::import(&pool, &Clock::system(), &Actor::cli(), &first)
        .await
        .unwrap();
    assert_eq!(publishing::export(&pool).await.unwrap(), first);

    let log = audit::list(&pool, None, 10).await.unwrap();
    assert_eq!(log[0].action, "flows.imported");
    assert_eq!(log[0].actor, "cli");
}

async fn a_draft_may_break_rules_but_cannot_be_published(pool: Db) {
    let editor = editor(&pool).await;
    let mut flow = kit();
    flow.messages.remove(3); // main_menu: now referenced but missing
    let found = publishing::save_draft(&pool, &Clock::system(), &editor, &to_json(&flow))
        .await
        .unwrap();
    assert!(found.iter().any(|p| p.is_error()
        && p.to_string() == "triggers.get_started: no message with key \"main_menu\""));
    assert_eq!(publishing::draft(&pool).await.unwrap(), flow);
    assert_eq!(publishing::check_draft(&pool).await.unwrap(), found);

    let err = publishing::publish(&pool, &Clock::system(), &editor, NO_GRAPH)
        .await
        .unwrap_err();
    let list = problems(err);
    assert!(list.len() >= 2, "{list:?}");
    assert!(publishing::versions(&pool).await.unwrap().is_empty());
    assert!(publishing::published_flow(&pool).await.unwrap().is_none());

    let malformed =
        publishing::save_draft(&pool, &Clock::system(), &editor, "{\"version\": \"one\"}")
            .await
            .unwrap_err();
    assert!(!problems(malformed).is_empty());
    assert_eq!(publishing::draft(&pool).await.unwrap(), flow, "unchanged");
}

async fn publishing_numbers_versions_and_summarises_changes(pool: Db) {
    let err = publish(&pool).await.unwrap_err();
    assert!(matches!(err, FlowError::App(AppError::Invalid(ref m)) if m.contains("no draft")));

    import(&pool, &kit()).await;
    let first = publish(&pool).await.unwrap();
    assert_eq!(first.version.number, 1);
    assert_eq!(first.version.summary, FIRST_VERSION);
    assert_eq!(first.version.push_status, PushStatus::Skipped);
    assert_eq!(first.page, None);
    assert!(first.steps.is_empty());

    import(&pool, &kit_plus_one()).await;
    let editor = editor(&pool).await;
    let second = publishing::publish(&pool, &Clock::system(), &editor, NO_GRAPH)
        .await
        .unwrap();
    assert_eq!(second.version.number, 2);
    assert_eq!(
        second.version.summary,
        "1 message added, 0 changed, 0 removed"
    );
    assert_eq!(second.version.published_by, "ed@example.com");

    let listed = publishing::versions(&pool).await.unwrap();
    let numbers: Vec<i64> = listed.iter().map(|v| v.number).collect();
    assert_eq!(numbers, [2, 1]);
    assert_eq!(listed[0], second.version);
    let (n, live) = publishing::published_flow(&pool).await.unwrap().unwrap();
    assert_eq!((n, live), (2, kit_plus_one()));

    let log = audit::list(&pool, None, 10).await.unwrap();
    assert_eq!(log[0].action, "flows.published");
    assert_eq!(log[0].target.as_deref(), Some("version 2"));
    assert_eq!(log[0].actor, "ed@example.com");
}

async fn rollback_republishes_an_old_flow_and_makes_it_the_draft(pool: Db) {
    import(&pool, &kit()).await;
    publish(&pool).await.unwrap();
    import(&pool, &kit_plus_one()).await;
    publish(&pool).await.unwrap();

    let report = publishing::rollback(&pool, &Clock::system(), &Actor::cli(), 1, NO_GRAPH)
        .await
        .unwrap();
    assert_eq!(report.version.number, 3);
    assert_eq!(report.version.rolled_back_from, Some(1));
    assert_eq!(
        report.version.summary,
        "0 messages added, 0 changed, 1 removed"
    );
    assert_eq!(publishing::draft(&pool).await.unwrap(), kit());
    assert_eq!(
        publishing::published_flow(&pool).await.unwrap(),
        Some((3, kit()))
    );
    let log = audit::list(&pool, None, 1).await.unwrap();
    assert_eq!(log[0].action, "flows.rolled_back");

    let err = publishing::rollback(&pool, &Clock::system(), &Actor::cli(), 9, NO_GRAPH)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no version 9"), "{err}");
    assert_eq!(publishing::versions(&pool).await.unwrap().len(), 3);
}

async fn a_version_written_meanwhile_makes_the_insert_refuse(pool: Db) {
    let new = repo::NewVersion {
        flow_json: CANONICAL,
        published_at: 1,
        published_by: "cli",
        summary: FIRST_VERSION,
        rolled_back_from: None,
        also_draft: false,
    };
    assert_eq!(
        repo::insert_version(&pool, None, &new).await.unwrap(),
        Some(1)
    );
    assert_eq!(repo::insert_version(&pool, None, &new).await.unwrap(), None);
    assert_eq!(
        repo::insert_version(&pool, Some(1), &new).await.unwrap(),
        Some(2)
    );
    assert!(repo::draft(&pool).await.unwrap().is_none());
    let row = repo::version(&pool, 2).await.unwrap().unwrap();
    assert_eq!(row.info().push_status, PushStatus::Pending);
}

/// A sandbox served on a random local port; returns it and its Graph base URL.
async fn sandbox() -> (sandbox::Sandbox, String) {
    let sb = sandbox::Sandbox::new(sandbox::SandboxConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = sb.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (sb, format!("http://{addr}/v21.0"))
}

async fn publishing_pushes_the_messenger_profile_to_the_connected_page(pool: Db) {
    let (sb, url) = sandbox().await;
    pages::connect_sandbox(&pool, &Clock::system(), &Actor::cli(), &url)
        .await
        .unwrap();
    import(&pool, &kit()).await;
    let report = publish_and_push(&pool).await;
    assert_eq!(report.page.as_deref(), Some("Baton Demo (1234567890)"));
    assert!(report.steps.iter().all(|s| s.ok));
    let profile = sb.messenger_profile(sandbox::DEFAULT_PAGE_ID).unwrap();
    assert_eq!(profile["get_started"], json!({"payload": "GET_STARTED"}));
    assert_eq!(
        profile["greeting"],
        json!([{"locale": "default", "text": "Hi! Ask us anything."}])
    );
    let menu = &profile["persistent_menu"][0];
    assert_eq!(menu["locale"], "default");
    assert_eq!(
        menu["call_to_actions"],
        json!([
            {"type": "postback", "title": "Main menu", "payload": "b1:menu:0"},
            {"type": "postback", "title": "Talk to human", "payload": "b1:menu:1"},
        ])
    );

    // The next version has no greeting and a URL menu item: the greeting is removed.
    let mut flow = kit();
    flow.greeting = None;
    flow.persistent_menu[1].action = ::flows::Action::Url {
        url: "https://example.com/help".into(),
    };
    import(&pool, &flow).await;
    let report = publish_and_push(&pool).await;
    let profile = sb.messenger_profile(sandbox::DEFAULT_PAGE_ID).unwrap();
    assert!(profile.get("greeting").is_none(), "{profile}");
    assert_eq!(
        profile["persistent_menu"][0]["call_to_actions"][1],
        json!({"type": "web_url", "title": "Talk to human", "url": "https://example.com/help"})
    );
    let outcome = report.version.push_outcome.unwrap();
    assert!(
        outcome.contains("unused settings: ok, removed from the page (greeting)"),
        "{outcome}"
    );
}

async fn a_graph_failure_is_reported_per_step_and_the_version_stays_live(pool: Db) {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    pages::connect_sandbox(
        &pool,
        &Clock::system(),
        &Actor::cli(),
        &format!("http://{closed}/v21.0"),
    )
    .await
    .unwrap();
    import(&pool, &kit()).await;
    let report = publish(&pool).await.unwrap();
    assert!(report.push_failed());
    assert_eq!(report.steps.len(), 3, "{report:#?}");
    for step in &report.steps {
        assert!(!step.ok);
        assert!(step.detail.contains("could not be reached"), "{step}");
    }
    let stored = &publishing::versions(&pool).await.unwrap()[0];
    assert_eq!(stored.number, 1);
    assert_eq!(stored.push_status, PushStatus::Failed);
    assert!(stored
        .push_outcome
        .as_deref()
        .unwrap()
        .starts_with("Get Started button: FAILED"));
    assert_eq!(
        publishing::published_flow(&pool).await.unwrap(),
        Some((1, kit()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_publishes_never_fail_with_a_database_error_sqlite() {
    let (pool, _dir) = domain::testing::sqlite_on_disk().await;
    racing_publishes_never_fail_with_a_database_error(pool).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_publishes_never_fail_with_a_database_error_postgres() {
    if let Some(pool) = domain::testing::postgres().await {
        racing_publishes_never_fail_with_a_database_error(pool).await
    }
}

/// Four publishes at once (on PostgreSQL, as from four instances): each either publishes or
/// says another publish happened at the same moment.
async fn racing_publishes_never_fail_with_a_database_error(pool: Db) {
    import(&pool, &kit()).await;
    let runs = (0..4).map(|_| {
        let pool = pool.clone();
        tokio::spawn(async move { publish(&pool).await })
    });
    for run in runs.collect::<Vec<_>>() {
        match run.await.unwrap() {
            Ok(_) => {}
            Err(FlowError::App(AppError::Invalid(m))) => assert!(m.contains("same moment"), "{m}"),
            Err(e) => panic!("{e:?}"),
        }
    }
    let versions = publishing::versions(&pool).await.unwrap();
    assert!(!versions.is_empty());
    assert_eq!(versions.last().unwrap().summary, FIRST_VERSION);
}
