//! The handover on today's Messenger (Conversation Routing), through the webhook: a person's
//! reply from the Page Inbox silences the bot, a handover is one step (the confirmation carries
//! the pass) or is undone in plain words, the older settings fall back to two calls, and the
//! bot says it is a bot. First against the built-in sandbox (crate::support::live), then against a
//! wiremock Graph API answering with Meta's error envelopes.

use crate::support::live::{agent_named, live, Live, BACK, MENU, NOW_HUMAN, PAGE};
use app::model::AgentAction;
use domain::repo::audit::Actor;
use domain::repo::settings::{self, keys};
use domain::repo::{outbox, pages};
use domain::runtime::agent;
use sandbox::{PageUpdate, Refusal};

async fn mark_as_done(s: &Live) {
    let (pool, clock) = (&s.state.pool, &s.state.clock);
    let ana = agent_named("ana@example.com");
    agent::act(pool, clock, &s.psid, &ana, AgentAction::MarkAsDone)
        .await
        .unwrap();
    s.settle().await;
}

fn refuse(s: &Live, refusal: Refusal) {
    s.set_page(PageUpdate {
        refuse_handovers: Some(refusal),
        ..Default::default()
    });
}

async fn problem(s: &Live) -> Option<String> {
    settings::get(&s.state.pool, keys::HANDOVER_PROBLEM)
        .await
        .unwrap()
}

// ------------------------------------------------------------ a person's reply silences the bot

#[tokio::test]
async fn a_person_replying_from_the_page_inbox_silences_the_bot_until_marked_done() {
    let s = live().await;
    s.gets_started().await;
    assert_eq!(s.seen(), [MENU]);
    assert_eq!(s.state_of().await, "bot");

    // Someone on the page answers from Meta's inbox: no handover happened.
    s.state
        .sandbox
        .agent_says(&s.psid, "Hi Ana, Rita here")
        .unwrap();
    s.settle().await;
    assert_eq!(s.state_of().await, "inbox");
    assert_eq!(s.inbox_psids().await, std::slice::from_ref(&s.psid));
    let ledger = s.ledger().await;
    assert_eq!(ledger.last().unwrap().2, "page_inbox");
    let detail = domain::repo::conversations::ledger(&s.state.pool, PAGE, &s.psid)
        .await
        .unwrap()
        .pop()
        .unwrap()
        .detail;
    assert_eq!(
        detail.as_deref(),
        Some("a person replied from the Page Inbox")
    );
    // Where the platform allows it the thread follows the person.
    assert_eq!(s.owner(), "page_inbox");

    // The user writes and taps the menu: the bot does not talk over the person.
    s.state
        .sandbox
        .user_says(&s.psid, "thanks, one more thing")
        .unwrap();
    s.state.sandbox.user_taps_menu(&s.psid, 0).unwrap();
    s.settle().await;
    assert_eq!(s.seen(), [MENU, "Hi Ana, Rita here"]);

    // Mark as done: the bot is back, and answers again.
    mark_as_done(&s).await;
    assert_eq!(s.state_of().await, "done");
    assert_eq!(s.owner(), "baton");
    assert!(s.seen().last().unwrap().starts_with(BACK), "{:?}", s.seen());
    s.says("menu").await;
    assert_eq!(s.seen().last().unwrap(), MENU);
}

#[tokio::test]
async fn when_messenger_will_not_move_the_thread_the_person_keeps_the_conversation_anyway() {
    let s = live().await;
    // A page whose separate handover calls are disabled (Conversation Routing with a
    // default app): the pass after the person's reply is refused.
    refuse(&s, Refusal::SeparateCalls);
    s.gets_started().await;
    s.state.sandbox.agent_says(&s.psid, "Rita here").unwrap();
    s.settle().await;
    assert_eq!(s.owner(), "baton", "Messenger kept the thread");
    assert_eq!(
        s.state_of().await,
        "inbox",
        "but a person has the conversation"
    );
    assert!(
        s.transcript()
            .await
            .iter()
            .any(|t| t.starts_with("Messenger did not move the thread to the Page Inbox")),
        "{:?}",
        s.transcript().await
    );
    assert_eq!(
        problem(&s).await,
        None,
        "expected on such pages: no alarm for admins"
    );
    // Messages now come on `messaging` (Baton owns the thread), and still the bot is silent.
    s.says("hello?").await;
    assert_eq!(s.seen(), [MENU, "Rita here"]);
    // Mark as done needs no take (Baton has the thread): the back-in-bot message goes out.
    mark_as_done(&s).await;
    assert_eq!(s.state_of().await, "done");
    assert!(s.seen().last().unwrap().starts_with(BACK), "{:?}", s.seen());
}

#[tokio::test]
async fn batons_own_echoes_never_count_as_a_person() {
    let s = live().await;
    s.gets_started().await;
    s.says("menu").await;
    assert_eq!(s.seen(), [MENU, MENU]);
    assert_eq!(s.state_of().await, "bot");
    assert!(s.ledger().await.is_empty());
}

#[tokio::test]
async fn a_late_echo_from_before_the_hand_back_does_not_reopen_the_conversation() {
    let s = live().await;
    s.asks_for_a_person().await;
    // The person's reply is typed, then Done is clicked; the echo is delivered last.
    s.state.sandbox.agent_says(&s.psid, "Bye Ana").unwrap();
    s.state.sandbox.inbox_done(&s.psid, None).unwrap();
    // Deliver the two in the other order: Done first, the (older) echo after.
    // The sandbox delivers in order, so redeliver the echo by hand with its own timestamp.
    s.settle().await;
    assert_eq!(s.state_of().await, "done");
    let echo_at = s
        .state
        .sandbox
        .transcript(&s.psid)
        .unwrap()
        .iter()
        .find(|t| t.text.as_deref() == Some("Bye Ana"))
        .unwrap()
        .timestamp;
    let late = serde_json::json!({"object": "page", "entry": [{"id": PAGE, "time": echo_at,
        "messaging": [{"sender": {"id": PAGE}, "recipient": {"id": s.psid}, "timestamp": echo_at,
            "message": {"is_echo": true, "app_id": 263902037430900u64, "mid": "m_late_copy",
                        "text": "Bye Ana"}}]}]});
    post_signed(&s, late).await;
    s.settle().await;
    assert_eq!(s.state_of().await, "done", "an older echo changes nothing");
}

/// Posts a webhook body to the served Baton, signed with the sandbox's app secret.
async fn post_signed(s: &Live, body: serde_json::Value) {
    use tower::ServiceExt;
    let body = serde_json::to_vec(&body).unwrap();
    let router = server::startup::router(s.state.clone());
    let resp = router
        .oneshot(crate::support::signed_webhook(
            body,
            sandbox::DEFAULT_APP_SECRET,
        ))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

// ------------------------------------------------------------ a handover is one step or undone

#[tokio::test]
async fn the_confirmation_carries_the_handover_in_one_call() {
    let s = live().await;
    s.asks_for_a_person().await;
    assert!(s.seen().last().unwrap().starts_with(NOW_HUMAN));
    assert_eq!(s.owner(), "page_inbox");
    assert_eq!(s.state_of().await, "inbox");
    let rows = outbox::list_for(&s.state.pool, PAGE, &s.psid)
        .await
        .unwrap();
    assert!(
        rows.iter().all(|r| r.kind != outbox::Kind::Pass),
        "no separate pass call"
    );
    let handover = rows
        .iter()
        .find(|r| r.body.contains("thread_control"))
        .expect("the confirmation carried the pass");
    assert_eq!(handover.status, "done");
}

#[tokio::test]
async fn a_page_with_the_older_settings_gets_the_message_then_the_separate_pass() {
    let s = live().await;
    s.set_page(PageUpdate {
        conversation_routing: Some(false),
        ..Default::default()
    });
    s.asks_for_a_person().await;
    assert!(s.seen().last().unwrap().starts_with(NOW_HUMAN));
    assert_eq!(s.owner(), "page_inbox");
    assert_eq!(s.state_of().await, "inbox");
    let passes: Vec<_> = outbox::list_for(&s.state.pool, PAGE, &s.psid)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == outbox::Kind::Pass)
        .map(|r| r.status)
        .collect();
    assert_eq!(passes, ["done"]);
    // The way back works as before.
    s.taps("Return to bot").await;
    assert_eq!(s.state_of().await, "done");
    assert!(s.seen().last().unwrap().starts_with(BACK));
}

#[tokio::test]
async fn a_refused_handover_tells_the_user_no_one_can_take_it_and_the_admins_why() {
    let s = live().await;
    refuse(&s, Refusal::All);
    // The flow's own words for it.
    let mut flow = flows::example_flow();
    flow.handover.as_mut().unwrap().unavailable_text =
        Some("No one is in right now; we answer within a day.".into());
    let json = flows::to_json(&flow);
    domain::flows::import(&s.state.pool, &s.state.clock, &Actor::cli(), &json)
        .await
        .unwrap();
    domain::flows::publish(&s.state.pool, &s.state.clock, &Actor::cli(), &s.graph)
        .await
        .unwrap();

    s.asks_for_a_person().await;
    let seen = s.seen();
    assert!(!seen.iter().any(|t| t.starts_with(NOW_HUMAN)), "{seen:?}");
    assert_eq!(
        seen.last().unwrap(),
        "No one is in right now; we answer within a day."
    );
    assert_eq!(s.owner(), "baton");
    assert_eq!(s.state_of().await, "bot");
    assert!(s.inbox_psids().await.is_empty());
    let notice = problem(&s).await.expect("admins are told");
    assert!(
        notice.contains("Handover Protocol APIs disabled"),
        "{notice}"
    );
    assert!(notice.contains("Setup → Routing settings"), "{notice}");
    assert!(!notice.contains("lacks permission"), "{notice}");
    // The bot still answers.
    s.says("menu").await;
    assert_eq!(s.seen().last().unwrap(), MENU);

    // Fixed on Meta's side: the next handover goes through and the notice goes.
    refuse(&s, Refusal::Off);
    s.taps("Talk to human").await;
    s.taps("Talk to human").await;
    assert!(s.seen().last().unwrap().starts_with(NOW_HUMAN));
    assert_eq!(s.owner(), "page_inbox");
    assert_eq!(problem(&s).await, None);
}

#[tokio::test]
async fn a_pass_refused_after_the_message_on_an_older_page_is_followed_by_the_plain_words() {
    let s = live().await;
    // Older settings (two calls) and no Page Inbox among the receivers: the confirmation goes
    // out, then the pass is refused.
    s.set_page(PageUpdate {
        conversation_routing: Some(false),
        secondary_receivers: Some(Vec::new()),
        ..Default::default()
    });
    s.asks_for_a_person().await;
    let seen = s.seen();
    let n = seen.len();
    assert!(seen[n - 2].starts_with(NOW_HUMAN), "{seen:?}");
    assert_eq!(seen[n - 1], flows::DEFAULT_UNAVAILABLE_TEXT);
    assert_eq!(s.state_of().await, "bot");
    assert!(problem(&s).await.is_some());
}

#[tokio::test]
async fn a_restricted_page_is_classified_and_leaves_the_user_with_the_bot() {
    let s = live().await;
    s.gets_started().await;
    refuse(&s, Refusal::Restricted);
    s.says("human").await;
    let failed = outbox::list_for(&s.state.pool, PAGE, &s.psid)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.status == "failed")
        .unwrap();
    assert_eq!(failed.error_code.as_deref(), Some("10/1893063"));
    assert_eq!(
        failed.error_reason.as_deref(),
        Some("Facebook has temporarily restricted this page from sending messages")
    );
}

// ------------------------------------------------------------ the bot says it is a bot

#[tokio::test]
async fn the_bot_discloses_itself_first_and_when_the_user_comes_back() {
    let s = live().await;
    pages::set_bot_disclosure(
        &s.state.pool,
        PAGE,
        Some(app::model::DEFAULT_BOT_DISCLOSURE),
    )
    .await
    .unwrap();
    s.gets_started().await;
    s.says("menu").await;
    assert_eq!(s.seen(), [app::model::DEFAULT_BOT_DISCLOSURE, MENU, MENU]);

    s.says("human").await;
    s.taps("Talk to human").await;
    s.taps("Return to bot").await;
    let seen = s.seen();
    let n = seen.len();
    assert_eq!(seen[n - 2], app::model::DEFAULT_BOT_DISCLOSURE, "{seen:?}");
    assert!(seen[n - 1].starts_with(BACK), "{seen:?}");

    // Words that cannot go out are refused, and change nothing.
    let refused =
        domain::pages::set_bot_disclosure(&s.state.pool, &s.state.clock, &Actor::cli(), true, "  ")
            .await;
    assert!(
        matches!(refused, Err(domain::pages::PageError::Invalid(_))),
        "{refused:?}"
    );
    assert_eq!(
        pages::bot_disclosure(&s.state.pool, PAGE)
            .await
            .unwrap()
            .as_deref(),
        Some(app::model::DEFAULT_BOT_DISCLOSURE)
    );

    // Turned off: nothing more about it.
    pages::set_bot_disclosure(&s.state.pool, PAGE, None)
        .await
        .unwrap();
    s.says("human").await;
    s.taps("Talk to human").await;
    mark_as_done(&s).await;
    let seen = s.seen();
    assert!(seen.last().unwrap().starts_with(BACK));
    assert_ne!(seen[seen.len() - 2], app::model::DEFAULT_BOT_DISCLOSURE);
}

#[tokio::test]
async fn a_newly_connected_page_discloses_and_one_connected_before_keeps_its_choice() {
    let s = live().await; // connected, then turned off by the harness
    assert_eq!(
        pages::bot_disclosure(&s.state.pool, PAGE).await.unwrap(),
        None
    );
    // Connecting the same page again keeps the admins' choice...
    domain::pages::connect_sandbox(&s.state.pool, &s.state.clock, &Actor::cli(), &s.graph)
        .await
        .unwrap();
    assert_eq!(
        pages::bot_disclosure(&s.state.pool, PAGE).await.unwrap(),
        None
    );
    // ...and a page never connected before starts with it on.
    let (_dir, db) = crate::support::temp_db();
    let fresh = crate::support::state_on(&db).await;
    domain::pages::connect_sandbox(&fresh.pool, &fresh.clock, &Actor::cli(), &s.graph)
        .await
        .unwrap();
    assert_eq!(
        pages::bot_disclosure(&fresh.pool, PAGE).await.unwrap(),
        Some(app::model::DEFAULT_BOT_DISCLOSURE.to_owned())
    );
}
