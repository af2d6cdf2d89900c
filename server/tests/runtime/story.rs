//! The handover story of docs/spec.md §1, end to end: Baton served on a real port with its
//! webhook, the built-in sandbox delivering signed webhooks to it and answering its Graph API
//! calls, the published handover-kit flow, and the runtime workers drained step by step.

use app::model::AgentAction;
use domain::repo::{conversations, outbox, webhook_events};
use domain::runtime::{self, agent};

use crate::support::live::{agent_named, live, Live, BACK, MENU, NOW_HUMAN, PAGE};

#[tokio::test]
async fn the_seed_story_from_get_started_to_human_and_back() {
    let s = live().await;
    s.gets_started().await;
    assert_eq!(s.seen(), [MENU]);

    s.taps("Talk to human").await;
    assert_eq!(s.seen().len(), 2);
    assert!(
        s.seen()[1].starts_with("Click the button below"),
        "{:?}",
        s.seen()
    );

    s.taps("Talk to human").await;
    let seen = s.seen();
    assert!(seen[2].starts_with(NOW_HUMAN), "{seen:?}");
    assert_eq!(
        s.owner(),
        "page_inbox",
        "control passed after the confirmation"
    );
    assert_eq!(s.state_of().await, "inbox");

    // While a person owns the thread the bot stays silent; the message reaches the transcript.
    s.state
        .sandbox
        .user_says(&s.psid, "is anyone there?")
        .unwrap();
    s.state
        .sandbox
        .agent_says(&s.psid, "Hi Ana, Maria here")
        .unwrap();
    s.settle().await;
    assert_eq!(s.seen().len(), 4, "{:?}", s.seen());
    let transcript = conversations::transcript(&s.state.pool, PAGE, &s.psid)
        .await
        .unwrap();
    let lines: Vec<(&str, &str)> = transcript
        .iter()
        .map(|t| (t.who.as_str(), t.text.as_str()))
        .collect();
    assert!(lines.contains(&("user", "is anyone there?")), "{lines:?}");
    assert!(
        lines.contains(&("page_inbox", "Hi Ana, Maria here")),
        "{lines:?}"
    );

    // "Return to bot" arrives on standby without its payload: matched by title.
    s.taps("Return to bot").await;
    assert!(s.seen().last().unwrap().starts_with(BACK), "{:?}", s.seen());
    assert_eq!(s.owner(), "baton");
    assert_eq!(s.state_of().await, "done");

    let ledger = conversations::ledger(&s.state.pool, PAGE, &s.psid)
        .await
        .unwrap();
    let steps: Vec<(&str, &str, &str)> = ledger
        .iter()
        .map(|l| (l.from_state.as_str(), l.to_state.as_str(), l.cause.as_str()))
        .collect();
    assert_eq!(
        steps,
        [("bot", "inbox", "button"), ("inbox", "done", "button")]
    );

    // The profile was fetched once and cached.
    let c = conversations::get(&s.state.pool, PAGE, &s.psid)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.first_name.as_deref(), Some("Ana"));
}

async fn handed_over(s: &Live) {
    s.asks_for_a_person().await;
    assert_eq!(s.owner(), "page_inbox");
}

/// Messenger refuses the pass (the Page Inbox is not a secondary receiver of this page): the
/// confirmation carried the pass, so the user never reads "You're now chatting to a real
/// person"; they read that no one can take the conversation, and it does not stay "in the
/// inbox" while the bot still holds the thread. Baton asks who holds it and follows, with the
/// reason in the transcript and the ledger.
#[tokio::test]
async fn a_refused_handover_leaves_the_user_with_the_bot_and_says_why() {
    let s = live().await;
    s.set_page(sandbox::PageUpdate {
        secondary_receivers: Some(Vec::new()),
        ..Default::default()
    });
    s.gets_started().await;
    for _ in 0..2 {
        s.taps("Talk to human").await;
    }
    assert_eq!(s.seen().len(), 3, "{:?}", s.seen());
    assert_eq!(s.seen()[2], flows::DEFAULT_UNAVAILABLE_TEXT);
    assert_eq!(s.owner(), "baton", "Messenger kept the thread with Baton");
    assert_eq!(s.state_of().await, "bot");
    let transcript = conversations::transcript(&s.state.pool, PAGE, &s.psid)
        .await
        .unwrap();
    assert!(
        transcript
            .iter()
            .any(|t| t.text.contains("Messenger refused the handover")),
        "{transcript:?}"
    );
    let ledger = conversations::ledger(&s.state.pool, PAGE, &s.psid)
        .await
        .unwrap();
    let last = ledger.last().unwrap();
    assert_eq!(
        (
            last.from_state.as_str(),
            last.to_state.as_str(),
            last.cause.as_str()
        ),
        ("inbox", "bot", "messenger")
    );
    // The conversation is not waiting in the inbox for nobody.
    let inbox = s.inbox_psids().await;
    assert!(inbox.is_empty(), "{inbox:?}");
}

#[tokio::test]
async fn done_and_move_to_inbox_from_the_page_inbox() {
    let s = live().await;
    handed_over(&s).await;

    s.state.sandbox.inbox_done(&s.psid, None).unwrap();
    s.settle().await;
    assert_eq!(s.state_of().await, "done");
    assert!(s.seen().last().unwrap().starts_with(BACK), "{:?}", s.seen());

    // Move to inbox there: request_thread_control → message 2, then pass.
    let before = s.seen().len();
    s.state.sandbox.inbox_move_to_inbox(&s.psid, None).unwrap();
    s.settle().await;
    assert_eq!(s.state_of().await, "inbox");
    assert_eq!(s.owner(), "page_inbox");
    assert_eq!(s.seen().len(), before + 1);
    assert!(s.seen().last().unwrap().starts_with(NOW_HUMAN));

    // The variant where Page Inbox takes control directly: recorded, no message possible.
    s.state.sandbox.inbox_done(&s.psid, None).unwrap();
    s.settle().await;
    s.state.sandbox.set_inbox_takes_directly(true);
    let before = s.seen().len();
    s.state.sandbox.inbox_move_to_inbox(&s.psid, None).unwrap();
    s.settle().await;
    assert_eq!(s.state_of().await, "inbox");
    assert_eq!(s.seen().len(), before);
}

#[tokio::test]
async fn concurrent_mark_as_done_gives_one_handover_and_one_message() {
    let s = live().await;
    handed_over(&s).await;
    let before = s.seen().len();
    let (a, b) = (agent_named("a@example.com"), agent_named("b@example.com"));
    let (pool, clock) = (&s.state.pool, &s.state.clock);
    let done = AgentAction::MarkAsDone;
    let (ra, rb) = tokio::join!(
        agent::act(pool, clock, &s.psid, &a, done),
        agent::act(pool, clock, &s.psid, &b, done)
    );
    let outcomes = [ra.unwrap(), rb.unwrap()];
    assert!(outcomes.contains(&agent::Outcome::Changed));
    assert!(outcomes.contains(&agent::Outcome::AlreadyThere));
    s.settle().await;
    assert_eq!(s.seen().len(), before + 1);
    assert!(s.seen().last().unwrap().starts_with(BACK));
    assert_eq!(s.owner(), "baton");
    let takes = outbox::list_for(&s.state.pool, PAGE, &s.psid)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == outbox::Kind::Take)
        .count();
    assert_eq!(takes, 1);

    // Move to inbox from Baton: message 2, then pass.
    agent::act(pool, clock, &s.psid, &a, AgentAction::MoveToInbox)
        .await
        .unwrap();
    s.settle().await;
    assert_eq!(s.owner(), "page_inbox");
    assert!(s.seen().last().unwrap().starts_with(NOW_HUMAN));
}

#[tokio::test]
async fn duplicate_deliveries_are_answered_once() {
    let s = live().await;
    s.gets_started().await;
    // Re-deliver every stored delivery body again, as Facebook does on retries.
    let events = webhook_events::list(&s.state.pool, &s.state.deliveries, None)
        .await
        .unwrap();
    let before = events.len();
    runtime::drain(&s.state.pool, &s.state.deliveries, &s.state.clock, &s.graph)
        .await
        .unwrap();
    for d in s.state.sandbox.deliveries() {
        let sig = messenger::signature::sign_sha256(
            sandbox::DEFAULT_APP_SECRET.as_bytes(),
            d.body.as_bytes(),
        );
        let resp = reqwest_free_post(&s, d.body.as_bytes(), &sig).await;
        assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    }
    s.settle().await;
    assert_eq!(
        webhook_events::list(&s.state.pool, &s.state.deliveries, None)
            .await
            .unwrap()
            .len(),
        before
    );
    assert_eq!(s.seen(), [MENU]);
}

/// POSTs a body to the webhook over a raw TCP connection (the test needs no HTTP client).
async fn reqwest_free_post(s: &Live, body: &[u8], signature: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let url = s.state.sandbox.callback_url().unwrap();
    let host = url
        .trim_start_matches("http://")
        .trim_end_matches("/webhook")
        .to_owned();
    let mut conn = tokio::net::TcpStream::connect(&host).await.unwrap();
    let head = format!(
        "POST /webhook HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nX-Hub-Signature-256: {signature}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(body).await.unwrap();
    let mut out = String::new();
    conn.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn outside_the_24_hour_window_the_refusal_is_recorded_in_plain_words() {
    let s = live().await;
    s.gets_started().await;
    // A day and a bit later (on the platform's clock) an agent moves the user to the inbox:
    // the confirmation cannot be sent any more, the handover itself still happens.
    s.state
        .sandbox
        .advance(std::time::Duration::from_secs(25 * 60 * 60));
    agent::act(
        &s.state.pool,
        &s.state.clock,
        &s.psid,
        &agent_named("ana@example.com"),
        AgentAction::MoveToInbox,
    )
    .await
    .unwrap();
    s.settle().await;
    assert_eq!(s.seen(), [MENU]);
    assert_eq!(s.owner(), "page_inbox");
    let transcript = conversations::transcript(&s.state.pool, PAGE, &s.psid)
        .await
        .unwrap();
    let failure = transcript
        .iter()
        .find(|t| t.who == app::model::Speaker::System && t.text.starts_with("Message not sent"))
        .unwrap_or_else(|| panic!("{transcript:?}"));
    assert!(failure.text.contains("24 h"), "{}", failure.text);
}

/// `hours` pass on both sides: the platform's clock and Baton's.
async fn hours_pass(s: &Live, hours: u64) {
    let by = std::time::Duration::from_secs(hours * 60 * 60);
    s.state.sandbox.advance(by);
    s.state.clock.advance(by);
}

#[tokio::test]
async fn agent_replies_follow_the_owner_and_the_windows() {
    use app::model::ReplyRule;
    use domain::inbox;

    let s = live().await;
    let ana = agent_named("ana@example.com");
    let reply = |text: String| {
        let (pool, clock) = (s.state.pool.clone(), s.state.clock.clone());
        let (psid, ana) = (s.psid.clone(), ana.clone());
        async move { agent::reply(&pool, &clock, &psid, &text, &ana).await }
    };
    let rule = || async {
        inbox::detail(&s.state.pool, &s.state.clock, &s.psid)
            .await
            .unwrap()
            .reply
    };
    let invalid = |r: Result<bool, agent::AgentError>| match r {
        Err(agent::AgentError::Refused(why)) => why,
        other => panic!("expected a refusal, got {other:?}"),
    };

    s.gets_started().await;
    assert!(matches!(rule().await, ReplyRule::Response { .. }));

    // Inside the 24 h window: a normal reply, shown to the user and in Baton's transcript.
    assert!(!reply("  Hi Ana, how can I help?  ".into()).await.unwrap());
    s.settle().await;
    assert_eq!(s.seen().last().unwrap(), "Hi Ana, how can I help?");
    let transcript = conversations::transcript(&s.state.pool, PAGE, &s.psid)
        .await
        .unwrap();
    let last = transcript.last().unwrap();
    assert_eq!(
        (last.who.as_str(), last.text.as_str()),
        ("agent", "Hi Ana, how can I help?")
    );
    assert_eq!(last.author.as_deref(), Some("ana@example.com"));

    // Three days later the platform refuses RESPONSE; the HUMAN_AGENT tag is still allowed.
    hours_pass(&s, 72).await;
    assert!(matches!(rule().await, ReplyRule::HumanAgent { .. }));
    assert!(reply("Following up on your question".into()).await.unwrap());
    s.settle().await;
    assert_eq!(s.seen().last().unwrap(), "Following up on your question");
    let sent = outbox::list_for(&s.state.pool, PAGE, &s.psid)
        .await
        .unwrap();
    let tagged = sent.last().unwrap();
    assert_eq!(tagged.status, "done");
    assert!(
        tagged.body.contains("\"tag\":\"HUMAN_AGENT\""),
        "{}",
        tagged.body
    );

    // After 7 days nothing may be sent: refused up front, nothing queued.
    hours_pass(&s, 5 * 24).await;
    let queued = sent.len();
    assert!(invalid(reply("Anyone there?".into()).await).contains("7 days"));
    assert!(matches!(rule().await, ReplyRule::Closed { .. }));
    // Bad input is refused with the reason and queues nothing either.
    assert_eq!(invalid(reply("   ".into()).await), "Type a message first.");
    assert!(invalid(reply("x".repeat(2001)).await).contains("2000"));
    let after = outbox::list_for(&s.state.pool, PAGE, &s.psid)
        .await
        .unwrap();
    assert_eq!(after.len(), queued);

    // The user writes again and asks for a human: the Page Inbox owns the thread, so the
    // reply box says to answer there.
    handed_over(&s).await;
    assert_eq!(rule().await, ReplyRule::PageInbox);
    assert!(invalid(reply("Hello?".into()).await).contains("reply in the Page Inbox"));

    // Both replies that went out are in the audit log.
    let audit = domain::repo::audit::list(&s.state.pool, None, 100)
        .await
        .unwrap();
    let replied: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "conversation.replied")
        .map(|e| e.detail.clone().unwrap_or_default())
        .collect();
    assert_eq!(replied, ["human_agent", "response"]);
}
