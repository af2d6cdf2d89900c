//! The setup wizard's routing and Human Agent steps (4 and 5) against a sandbox standing in
//! for Facebook (setup_harness.rs): Conversation Routing spoken first, the Page Inbox as a
//! secondary receiver, the live round trip, a refusal the runtime met turning the step red,
//! the page's own (older) settings, and the tagged test reply.

use crate::setup_harness::{check, health_check, wizard};
use app::model::{CheckState, PageHealth, RoutingPath, SetupStep, SetupView};
use sandbox::{PageUpdate, DEFAULT_APP_ID, DEFAULT_PAGE_ID};

#[tokio::test]
async fn the_routing_step_speaks_conversation_routing_first() {
    let w = wizard().await;
    w.connected().await;

    // A page under Conversation Routing (the sandbox's default), before anyone wrote.
    let v = w.check(SetupStep::Routing).await;
    assert_eq!(v.routing, RoutingPath::ConversationRouting);
    let (state, text) = check(&v, SetupStep::Routing, "routing");
    assert_eq!(state, CheckState::Pass, "{text}");
    assert!(text.contains("default app"), "{text}");
    for id in ["page-inbox-secondary", "handover-fields", "pages-messaging"] {
        assert_eq!(
            check(&v, SetupStep::Routing, id).0,
            CheckState::Pass,
            "{id}"
        );
    }
    assert_eq!(
        check(&v, SetupStep::Routing, "thread-owner").0,
        CheckState::Waiting
    );
    assert_eq!(
        check(&v, SetupStep::Routing, "handover").0,
        CheckState::Waiting,
        "no round trip yet"
    );
    let (state, text) = check(&v, SetupStep::Routing, "primary-receiver");
    assert_eq!(state, CheckState::Confirm);
    assert!(text.contains("Default app"), "{text}");
    assert!(!text.contains("Primary Receiver"), "{text}");
    let report = v.report(SetupStep::Routing).unwrap();
    assert!(
        !report.checks.iter().any(|c| c.id == "response-method"),
        "only the older settings have a response method"
    );
    for id in ["automations-off", "app-live"] {
        assert_eq!(
            check(&v, SetupStep::Routing, id).0,
            CheckState::Confirm,
            "{id}"
        );
    }

    let psid = w.someone_writes("Ana").await;
    // A newer conversation Facebook does not know (kept from a page connected before under
    // the same id): the probe skips it.
    domain::backend::on_db!(&w.app.state.pool, pool => {
        sqlx::query(
            "INSERT INTO conversations (page_id, psid, first_name, last_user_message_ms,
                                        last_activity_ms)
             VALUES ($1, '24999999999999999', 'Ghost', $2, $2)",
        )
        .bind(DEFAULT_PAGE_ID)
        .bind(i64::MAX / 4)
        .execute(pool)
        .await
        .unwrap()
        .rows_affected()
    });
    for item in ["primary-receiver", "automations-off", "app-live"] {
        w.ok::<SetupView>("setup/confirm", &[("item", item), ("done", "true")])
            .await;
    }
    let v = w.check(SetupStep::Routing).await;
    let (state, text) = check(&v, SetupStep::Routing, "thread-owner");
    assert_eq!(state, CheckState::Pass, "{text}");
    assert!(!text.contains("Ghost"), "{text}");
    assert!(
        !v.step_complete(SetupStep::Routing),
        "the round trip is still to run"
    );

    // The live round trip: to the Page Inbox and back, step by step.
    let v: SetupView = w.ok("setup/round_trip", &[("psid", &psid)]).await;
    let report = v.report(SetupStep::Routing).unwrap();
    let trip: Vec<_> = report
        .checks
        .iter()
        .filter(|c| c.id.starts_with("round-trip-"))
        .map(|c| (c.id.as_str(), c.state))
        .collect();
    assert_eq!(
        trip,
        [
            ("round-trip-1", CheckState::Pass),
            ("round-trip-2", CheckState::Pass),
            ("round-trip-3", CheckState::Pass),
            ("round-trip-4", CheckState::Pass),
        ],
        "{report:?}"
    );
    assert_eq!(
        check(&v, SetupStep::Routing, "handover").0,
        CheckState::Pass
    );
    assert!(v.step_complete(SetupStep::Routing), "{report:?}");
    assert_eq!(
        w.fb.thread_owner(&psid).unwrap().as_deref(),
        Some(DEFAULT_APP_ID)
    );
    let history: Vec<String> =
        w.fb.thread(&psid)
            .unwrap()
            .history
            .into_iter()
            .map(|h| h.action)
            .collect();
    assert!(
        history.ends_with(&["pass".to_owned(), "take".to_owned()]),
        "{history:?}"
    );
    // Checking again keeps the round trip's lines.
    let v = w.check(SetupStep::Routing).await;
    assert_eq!(
        check(&v, SetupStep::Routing, "round-trip-4").0,
        CheckState::Pass
    );
    let body = w
        .refused("setup/confirm", &[("item", "nope"), ("done", "true")])
        .await;
    assert!(body.contains("no setting called"), "{body}");
    w.assert_no_secret_seen();
}

#[tokio::test]
async fn the_routing_step_turns_red_after_a_refusal_and_speaks_the_pages_own_settings() {
    let w = wizard().await;
    w.connected().await;
    let psid = w.someone_writes("Ana").await;

    // A page that refuses its separate handover calls: the message carrying the pass works,
    // taking the conversation back does not; the round trip says so, with the fix.
    w.break_page(PageUpdate {
        refuse_handovers: Some(sandbox::Refusal::SeparateCalls),
        ..Default::default()
    });
    let v: SetupView = w.ok("setup/round_trip", &[("psid", &psid)]).await;
    assert_eq!(
        check(&v, SetupStep::Routing, "round-trip-2").0,
        CheckState::Pass
    );
    let (state, text) = check(&v, SetupStep::Routing, "round-trip-4");
    assert_eq!(state, CheckState::Fail);
    assert!(text.contains("Handover Protocol APIs disabled"), "{text}");
    assert!(text.contains("Done in the Page Inbox"), "{text}");
    assert_eq!(
        check(&v, SetupStep::Routing, "handover").0,
        CheckState::Fail
    );
    w.fb.inbox_done(&psid, None).unwrap();

    // A refusal the runtime met turns the step (and Settings → Page) red until a handover works.
    domain::repo::settings::set(
        &w.app.state.pool,
        domain::repo::settings::keys::HANDOVER_PROBLEM,
        &domain::runtime::handover_notice(messenger::ErrorKind::HandoverDisabled.plain_message()),
        0,
    )
    .await
    .unwrap();
    let v = w.check(SetupStep::Routing).await;
    let (state, text) = check(&v, SetupStep::Routing, "handover");
    assert_eq!(state, CheckState::Fail);
    assert!(text.contains("Default app"), "{text}");
    let h: PageHealth = w.ok("settings/page_health", &[]).await;
    assert_eq!(health_check(&h, "handover").0, CheckState::Fail);

    // The admin says the page shows the older settings: every text uses those.
    let v: SetupView = w
        .ok(
            "setup/confirm",
            &[("item", RoutingPath::SHOWS_CLASSIC), ("done", "true")],
        )
        .await;
    assert_eq!(v.routing, RoutingPath::Classic);
    let (_, text) = check(&v, SetupStep::Routing, "primary-receiver");
    assert!(
        text.contains("Primary Receiver") && !text.contains("Default app"),
        "{text}"
    );
    assert_eq!(
        check(&v, SetupStep::Routing, "response-method").0,
        CheckState::Confirm
    );
    let (_, text) = check(&v, SetupStep::Routing, "handover");
    assert!(text.contains("Primary Receiver"), "{text}");
    // The other answer replaces it.
    let v: SetupView = w
        .ok(
            "setup/confirm",
            &[("item", RoutingPath::SHOWS_ROUTING), ("done", "true")],
        )
        .await;
    assert_eq!(v.routing, RoutingPath::ConversationRouting);
    assert!(!v.confirmed.iter().any(|c| c == RoutingPath::SHOWS_CLASSIC));

    // Facebook does not say, and nobody chose: both click paths, Conversation Routing first.
    w.ok::<SetupView>(
        "setup/confirm",
        &[("item", RoutingPath::SHOWS_ROUTING), ("done", "false")],
    )
    .await;
    w.break_page(PageUpdate {
        conversation_routing: Some(false),
        refuse_handovers: Some(sandbox::Refusal::Off),
        secondary_receivers: Some(vec![]),
        ..Default::default()
    });
    let v = w.check(SetupStep::Routing).await;
    assert_eq!(v.routing, RoutingPath::Unsure);
    assert_eq!(check(&v, SetupStep::Routing, "routing").0, CheckState::Warn);
    let (state, text) = check(&v, SetupStep::Routing, "page-inbox-secondary");
    assert_eq!(state, CheckState::Fail);
    let (cr, classic) = (
        text.find("Conversation routing"),
        text.find("Secondary Receivers"),
    );
    assert!(cr.is_some() && classic.is_some() && cr < classic, "{text}");
}

#[tokio::test]
async fn the_human_agent_step_tells_from_a_tagged_test_reply() {
    let w = wizard().await;
    w.connected().await;
    let psid = w.someone_writes("Ana").await;
    let v = w.check(SetupStep::HumanAgent).await;
    assert_eq!(
        check(&v, SetupStep::HumanAgent, "human-agent-approved").0,
        CheckState::Confirm
    );
    // Without the permission Meta refuses the tagged reply.
    w.break_page(PageUpdate {
        human_agent: Some(false),
        ..Default::default()
    });
    let v: SetupView = w.ok("setup/human_agent_test", &[("psid", &psid)]).await;
    let (state, text) = check(&v, SetupStep::HumanAgent, "human-agent-test");
    assert_eq!(state, CheckState::Fail);
    assert!(text.contains("App Review"), "{text}");
    assert!(!v.step_complete(SetupStep::HumanAgent));
    // Approved: the test goes through, and that is proof enough.
    w.break_page(PageUpdate {
        human_agent: Some(true),
        ..Default::default()
    });
    let v: SetupView = w.ok("setup/human_agent_test", &[("psid", &psid)]).await;
    assert_eq!(
        check(&v, SetupStep::HumanAgent, "human-agent-test").0,
        CheckState::Pass
    );
    assert!(
        v.step_complete(SetupStep::HumanAgent),
        "{:?}",
        v.report(SetupStep::HumanAgent)
    );
    w.fb.settle().await;
    assert!(w
        .fb
        .transcript(&psid)
        .unwrap()
        .iter()
        .any(|t| t.text.as_deref() == Some(app::model::HUMAN_AGENT_TEST_MESSAGE)));
}
