//! The agent inbox's reads against real databases (SQLite and PostgreSQL): list order, keyset pagination
//! without duplicates or gaps, counts per list (kept by triggers), search by name and by what
//! people wrote (on SQLite both plans: FTS5 index and scan; on PostgreSQL pg_trgm), and the
//! conversation detail.

use domain::backend::on_db;
use domain::backend::Db;
use domain::repo::audit::Actor;
use domain::repo::conversations as conv;
use domain::repo::inbox::{self as repo, ListQuery};
use domain::repo::outbox::{self, Kind, NewRow};
use domain::Clock;
use domain::{inbox, pages};
use model::AppError;
use model::ThreadOwner::{Baton, PageInbox};
use model::{ConversationPage, InboxCursor, InboxList, WINDOW_MS};
use model::{ConversationState, Speaker};

const PAGE: &str = sandbox::DEFAULT_PAGE_ID;

domain::testing::test_on_both_backends!(
    memory:
    lists_are_newest_first_and_filtered_by_state,
    pages_follow_each_other_without_duplicates_or_gaps,
    new_activity_moves_a_conversation_to_the_top,
    counts_follow_new_conversations_and_state_changes,
    search_finds_names_and_anything_a_person_wrote,
    search_pages_with_the_cursor_too,
    a_changed_name_is_found_by_the_new_name_only,
    without_a_connected_page_the_lists_are_empty_and_say_so,
    the_detail_has_profile_window_transcript_and_failed_sends,
);

/// Connects the sandbox page (its Graph API is never called here).
async fn connect(pool: &Db) {
    pages::connect_sandbox(
        pool,
        &Clock::system(),
        &Actor::cli(),
        "http://127.0.0.1:9/v21.0",
    )
    .await
    .unwrap();
}

/// The state a test names in words.
fn state_of(name: &str) -> ConversationState {
    match name {
        "bot" => ConversationState::Bot,
        "inbox" => ConversationState::Inbox,
        "done" => ConversationState::Done,
        other => panic!("no state {other}"),
    }
}

/// A conversation in `state` whose last activity is `at_ms`.
async fn add(pool: &Db, psid: &str, state: &str, at_ms: i64, name: Option<(&str, &str)>) {
    conv::get_or_create(pool, PAGE, psid, at_ms).await.unwrap();
    if state != "bot" {
        conv::transition(pool, PAGE, psid, state_of(state), PageInbox, at_ms)
            .await
            .unwrap();
    }
    conv::touch(
        pool,
        PAGE,
        psid,
        at_ms,
        Some(&format!("last words of {psid}")),
    )
    .await
    .unwrap();
    if let Some((first, last)) = name {
        conv::set_profile(pool, PAGE, psid, Some(first), Some(last), None)
            .await
            .unwrap();
    }
}

/// The first page of `list` with `search`, as the Inbox screen asks for it.
async fn first_page(pool: &Db, list: InboxList, search: &str) -> ConversationPage {
    inbox::list_page(pool, &Clock::system(), list, search, None, inbox::PAGE_SIZE)
        .await
        .unwrap()
}

async fn psids(pool: &Db, list: InboxList, search: &str) -> Vec<String> {
    first_page(pool, list, search)
        .await
        .items
        .into_iter()
        .map(|c| c.psid)
        .collect()
}

async fn lists_are_newest_first_and_filtered_by_state(pool: Db) {
    connect(&pool).await;
    add(&pool, "p1", "inbox", 1_000, None).await;
    add(&pool, "p2", "done", 3_000, None).await;
    add(&pool, "p3", "inbox", 2_000, None).await;
    add(&pool, "p4", "bot", 4_000, None).await;
    // Same activity time: the psid breaks the tie (descending, like the time).
    add(&pool, "p5", "inbox", 2_000, None).await;

    assert_eq!(psids(&pool, InboxList::Inbox, "").await, ["p5", "p3", "p1"]);
    assert_eq!(psids(&pool, InboxList::Done, "").await, ["p2"]);
    assert_eq!(
        psids(&pool, InboxList::All, "").await,
        ["p4", "p2", "p5", "p3", "p1"]
    );
    let page = first_page(&pool, InboxList::Inbox, "").await;
    assert!(page.connected);
    assert_eq!(
        (page.counts.inbox, page.counts.done, page.counts.all),
        (3, 1, 5)
    );
    assert_eq!(page.next_cursor, None);
    let first = &page.items[0];
    assert_eq!(first.name, "Unknown user");
    assert_eq!(first.state, ConversationState::Inbox);
    assert_eq!(first.last_text.as_deref(), Some("last words of p5"));
}

async fn pages_follow_each_other_without_duplicates_or_gaps(pool: Db) {
    connect(&pool).await;
    // 23 conversations, many sharing an activity time, so ties cross page boundaries.
    for i in 0..23 {
        let state = if i % 4 == 0 { "done" } else { "inbox" };
        add(&pool, &format!("u{i:02}"), state, 1_000 * (i / 3), None).await;
    }
    for list in InboxList::ALL {
        let expected = psids(&pool, list, "").await;
        let mut seen = Vec::new();
        let mut cursor: Option<InboxCursor> = None;
        let mut pages_read = 0;
        loop {
            let page = inbox::list_page(&pool, &Clock::system(), list, "", cursor.as_ref(), 4)
                .await
                .unwrap();
            pages_read += 1;
            assert!(page.items.len() <= 4);
            seen.extend(page.items.into_iter().map(|c| c.psid));
            match page.next_cursor {
                Some(next) => cursor = InboxCursor::parse(&next).unwrap(),
                None => break,
            }
        }
        assert_eq!(seen, expected, "{list:?}");
        assert_eq!(pages_read, expected.len().div_ceil(4).max(1), "{list:?}");
    }
    let all = psids(&pool, InboxList::All, "").await;
    assert_eq!(all.len(), 23);
    let mut dedup = all.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), 23);
}

/// A transcript line; a user line also opens the window and becomes the last text.
async fn said(pool: &Db, psid: &str, who: Speaker, at_ms: i64, text: &str) {
    conv::add_transcript(pool, PAGE, psid, at_ms, who, text, None)
        .await
        .unwrap();
    if who == Speaker::User {
        conv::user_wrote(pool, PAGE, psid, at_ms, text)
            .await
            .unwrap();
    }
}

/// Moves a conversation to `state`; false when it already was there.
async fn transition(pool: &Db, psid: &str, state: &str) -> bool {
    let owner = if state == "inbox" { PageInbox } else { Baton };
    conv::transition(pool, PAGE, psid, state_of(state), owner, 10_000)
        .await
        .unwrap()
}

/// A search through the repository with each plan forced (index, then scan): both must give
/// the same rows in the same order.
async fn both_plans(pool: &Db, state: Option<&str>, term: &str) -> Vec<String> {
    let mut results = Vec::new();
    for max_hits in [1_000_000, 0] {
        let q = ListQuery {
            page_id: PAGE,
            state: state.map(state_of),
            search: term,
            after: None,
            limit: 100,
            index_max_hits: Some(max_hits),
        };
        let rows = repo::list(pool, &q).await.unwrap();
        results.push(rows.into_iter().map(|r| r.psid).collect::<Vec<_>>());
    }
    assert_eq!(
        results[0], results[1],
        "index and scan disagree on {term:?}"
    );
    results.remove(0)
}

/// Six named conversations whose users wrote something: two in Inbox, two Done, two with
/// the bot; p5 and p6 share an activity time.
async fn six(pool: &Db) {
    let people = [
        (
            "p1",
            ("Ana", "Silva"),
            "inbox",
            1_000,
            "I need help with my order",
        ),
        (
            "p2",
            ("Bruno", "Costa"),
            "done",
            2_000,
            "I need 50% OFF_now",
        ),
        ("p3", ("Carla", "Anastácio"), "bot", 3_000, "menu"),
        (
            "p4",
            ("Diego", "Alves"),
            "inbox",
            4_000,
            "where is my refund?",
        ),
        ("p5", ("Eva", "Silva"), "done", 5_000, "ok"),
        ("p6", ("Fábio", "Nunes"), "bot", 5_000, "hello"),
    ];
    for (psid, name, state, at_ms, text) in people {
        add(pool, psid, state, at_ms, Some(name)).await;
        said(pool, psid, Speaker::User, at_ms, text).await;
    }
}

async fn new_activity_moves_a_conversation_to_the_top(pool: Db) {
    connect(&pool).await;
    six(&pool).await;
    assert_eq!(psids(&pool, InboxList::Inbox, "").await, ["p4", "p1"]);
    said(&pool, "p1", Speaker::User, 9_000, "still waiting").await;
    assert_eq!(psids(&pool, InboxList::Inbox, "").await, ["p1", "p4"]);
    let page = first_page(&pool, InboxList::Inbox, "").await;
    assert_eq!(page.items[0].last_text.as_deref(), Some("still waiting"));
}

async fn counts_follow_new_conversations_and_state_changes(pool: Db) {
    connect(&pool).await;
    let counts = || async {
        let c = first_page(&pool, InboxList::All, "").await.counts;
        (c.inbox, c.done, c.all)
    };
    assert_eq!(counts().await, (0, 0, 0));
    six(&pool).await;
    assert_eq!(counts().await, (2, 2, 6));
    // Done → Inbox, the same move again (no change), then Inbox → bot.
    assert!(transition(&pool, "p2", "inbox").await);
    assert!(!transition(&pool, "p2", "inbox").await);
    assert_eq!(counts().await, (3, 1, 6));
    assert!(transition(&pool, "p1", "bot").await);
    assert_eq!(counts().await, (2, 1, 6));
    // The trigger-kept counters agree with a plain count of the table.
    let plain: (i64, i64, i64) = on_db!(&pool, p => {
        sqlx::query_as(
            "SELECT COUNT(*) FILTER (WHERE state = 'inbox'), COUNT(*) FILTER (WHERE state = 'done'),
                    COUNT(*)
             FROM conversations",
        )
        .fetch_one(p)
        .await
        .unwrap()
    });
    assert_eq!(plain, (2, 1, 6));
}

async fn search_finds_names_and_anything_a_person_wrote(pool: Db) {
    connect(&pool).await;
    six(&pool).await;
    // Older lines count, not only the last text; bot lines do not.
    said(
        &pool,
        "p3",
        Speaker::User,
        3_100,
        "Order #A-1234 never arrived",
    )
    .await;
    said(&pool, "p3", Speaker::User, 3_200, "menu").await;
    said(
        &pool,
        "p2",
        Speaker::PageInbox,
        2_100,
        "Your refund is on its way",
    )
    .await;
    said(
        &pool,
        "p6",
        Speaker::Bot,
        5_100,
        "Here is your ORDER status menu",
    )
    .await;

    // Every search gives the same rows through the server function's path and through
    // either plan.
    let all = |term: &'static str| {
        let pool = pool.clone();
        async move {
            let listed = psids(&pool, InboxList::All, term).await;
            assert_eq!(listed, both_plans(&pool, None, term).await);
            listed
        }
    };
    // Names: any part, any case, across first and last name, accents kept.
    assert_eq!(all("silva").await, ["p5", "p1"]);
    assert_eq!(all("ANA").await, ["p3", "p1"]);
    assert_eq!(all("ana sil").await, ["p1"]);
    assert_eq!(all("fábio").await, ["p6"]);
    // Text written by the user, an agent or the Page Inbox.
    assert_eq!(all("order").await, ["p3", "p1"]);
    assert_eq!(all("a-1234").await, ["p3"]);
    assert_eq!(all("refund").await, ["p4", "p2"]);
    // Within one list.
    assert_eq!(psids(&pool, InboxList::Inbox, "refund").await, ["p4"]);
    assert_eq!(both_plans(&pool, Some("inbox"), "refund").await, ["p4"]);
    assert_eq!(psids(&pool, InboxList::Done, "silva").await, ["p5"]);
    assert_eq!(both_plans(&pool, Some("done"), "silva").await, ["p5"]);
    // Characters that mean something to FTS or LIKE are plain text.
    assert_eq!(all("50% off").await, ["p2"]);
    assert_eq!(all("f_n").await, ["p2"]);
    assert!(all("e_d").await.is_empty());
    assert!(all("\"or").await.is_empty());
    assert!(all("zebra").await.is_empty());
    // One or two characters match the start of a word of the name, not text.
    assert_eq!(all("Ev").await, ["p5"]);
    assert_eq!(all("a").await, ["p4", "p3", "p1"]);
    assert_eq!(all("si").await, ["p5", "p1"]);
    assert!(all("ok").await.is_empty());
    assert!(all("%").await.is_empty());
    assert!(all("\"").await.is_empty());
    // A name and a text match of the same conversation list it once.
    said(&pool, "p5", Speaker::User, 5_000, "I am Eva Silva").await;
    assert_eq!(all("silva").await, ["p5", "p1"]);
    // A blank search is no filter.
    assert_eq!(psids(&pool, InboxList::All, "  ").await.len(), 6);
}

async fn search_pages_with_the_cursor_too(pool: Db) {
    connect(&pool).await;
    for i in 0..9 {
        add(&pool, &format!("u{i}"), "inbox", 1_000 * (i / 2), None).await;
        said(
            &pool,
            &format!("u{i}"),
            Speaker::User,
            1_000 * (i / 2),
            "refund please",
        )
        .await;
    }
    add(&pool, "other", "inbox", 50_000, None).await;
    let mut seen = Vec::new();
    let mut cursor: Option<InboxCursor> = None;
    loop {
        let page = inbox::list_page(
            &pool,
            &Clock::system(),
            InboxList::Inbox,
            "refund",
            cursor.as_ref(),
            2,
        )
        .await
        .unwrap();
        seen.extend(page.items.into_iter().map(|c| c.psid));
        match page.next_cursor {
            Some(next) => cursor = InboxCursor::parse(&next).unwrap(),
            None => break,
        }
    }
    assert_eq!(seen, ["u8", "u7", "u6", "u5", "u4", "u3", "u2", "u1", "u0"]);
}

async fn a_changed_name_is_found_by_the_new_name_only(pool: Db) {
    connect(&pool).await;
    // Before the profile is fetched there is no name to match.
    add(&pool, "p9", "bot", 1_000, None).await;
    assert!(psids(&pool, InboxList::All, "unknown").await.is_empty());
    conv::set_profile(&pool, PAGE, "p9", Some("Gil"), Some("Mota"), None)
        .await
        .unwrap();
    assert_eq!(psids(&pool, InboxList::All, "gil mota").await, ["p9"]);
    conv::set_profile(&pool, PAGE, "p9", Some("Gilberto"), Some("Moura"), None)
        .await
        .unwrap();
    assert!(psids(&pool, InboxList::All, "mota").await.is_empty());
    assert_eq!(psids(&pool, InboxList::All, "moura").await, ["p9"]);
}

async fn without_a_connected_page_the_lists_are_empty_and_say_so(pool: Db) {
    let page = first_page(&pool, InboxList::All, "").await;
    assert!(!page.connected);
    assert!(page.items.is_empty());
    assert_eq!(
        inbox::detail(&pool, &Clock::system(), "nobody")
            .await
            .unwrap_err(),
        AppError::NotFound
    );
}

async fn the_detail_has_profile_window_transcript_and_failed_sends(pool: Db) {
    connect(&pool).await;
    add(&pool, "ana", "inbox", 1_000, Some(("Ana", "Silva"))).await;
    conv::user_wrote(&pool, PAGE, "ana", 5_000, "hello")
        .await
        .unwrap();
    conv::add_transcript(&pool, PAGE, "ana", 5_000, Speaker::User, "hello", None)
        .await
        .unwrap();
    conv::add_ledger(
        &pool,
        PAGE,
        "ana",
        6_000,
        ConversationState::Bot,
        ConversationState::Inbox,
        model::HandoverCause::Button,
        None,
        Some("Talk to human"),
    )
    .await
    .unwrap();
    let row = NewRow {
        kind: Kind::Message,
        body: "{}".into(),
        transcript: Some((Speaker::Bot, "Are you there?".into())),
        author: None,
    };
    outbox::enqueue(&pool, PAGE, "ana", &[row], outbox::Priority::Urgent, 7_000)
        .await
        .unwrap();
    let claimed = outbox::claim_due(&pool, 7_000, 10).await.unwrap();
    outbox::fail(
        &pool,
        &claimed[0],
        8_000,
        "551",
        "This person isn't available right now.",
    )
    .await
    .unwrap();

    let d = inbox::detail(&pool, &Clock::system(), "ana").await.unwrap();
    assert_eq!(d.summary.name, "Ana Silva");
    assert_eq!(d.summary.state, ConversationState::Inbox);
    assert_eq!(d.thread_owner, PageInbox);
    assert_eq!(d.window_closes_ms, Some(5_000 + WINDOW_MS));
    assert_eq!(d.transcript[0].who, Speaker::User);
    assert_eq!(d.transcript[0].text, "hello");
    assert_eq!(d.ledger.len(), 1);
    assert_eq!(d.ledger[0].cause, model::HandoverCause::Button);
    assert_eq!(d.failed_sends.len(), 1);
    assert_eq!(d.failed_sends[0].what, "Message");
    assert_eq!(d.failed_sends[0].text.as_deref(), Some("Are you there?"));
    assert_eq!(
        d.failed_sends[0].reason,
        "This person isn't available right now."
    );
    assert_eq!(d.failed_sends[0].at_ms, 8_000);
}
