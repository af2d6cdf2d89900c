//! The agent inbox's list queries on a real SQLite file: which conversations each list holds,
//! in which order, keyset pagination that visits every row once, counts kept by triggers, and
//! search by name and by what people wrote (FTS5 trigram, with a LIKE fallback for short terms).

mod support;

use app::model::{ConversationPage, InboxCursor, InboxList};
use app::server::inbox;
use app::server::repo::conversations as conv;
use app::server::repo::inbox::{self as repo, ListQuery};
use app::server::repo::pages::{self, PageRow};
use messenger::Secret;
use sqlx::SqlitePool;
use support::TestApp;

const PAGE: &str = "1234567890";

async fn connected() -> TestApp {
    let app = TestApp::new().await;
    let page = PageRow {
        page_id: PAGE.into(),
        name: "Test page".into(),
        access_token: Secret::new("t"),
        app_secret: Secret::new("s"),
        verify_token: Secret::new("v"),
        app_id: "111111111111111".into(),
        graph_api_url: None,
        is_sandbox: false,
        connected_at: 0,
    };
    pages::connect(&app.state.pool, &page).await.unwrap();
    app
}

/// A conversation with a name, in `state`, whose user last wrote `text` at `at_ms`.
async fn seed(
    pool: &SqlitePool,
    psid: &str,
    name: (&str, &str),
    state: &str,
    at_ms: i64,
    text: &str,
) {
    let mut conn = pool.acquire().await.unwrap();
    conv::get_or_create(&mut conn, PAGE, psid, at_ms)
        .await
        .unwrap();
    conv::set_profile(pool, PAGE, psid, Some(name.0), Some(name.1), None)
        .await
        .unwrap();
    said(pool, psid, "user", at_ms, text).await;
    if state != "bot" {
        let owner = if state == "inbox" {
            "page_inbox"
        } else {
            "baton"
        };
        conv::transition(&mut conn, PAGE, psid, state, owner, at_ms)
            .await
            .unwrap();
    }
}

/// A transcript line; a user line also becomes the conversation's last text.
async fn said(pool: &SqlitePool, psid: &str, who: &str, at_ms: i64, text: &str) {
    let mut conn = pool.acquire().await.unwrap();
    conv::add_transcript(&mut *conn, PAGE, psid, at_ms, who, text, None)
        .await
        .unwrap();
    if who == "user" {
        conv::user_wrote(&mut conn, PAGE, psid, at_ms, text)
            .await
            .unwrap();
    }
}

async fn page(
    pool: &SqlitePool,
    list: InboxList,
    search: &str,
    cursor: Option<&str>,
) -> ConversationPage {
    let cursor = cursor.map(|c| InboxCursor::parse(c).unwrap().unwrap());
    inbox::list_page_sized(pool, list, search, cursor.as_ref(), 2)
        .await
        .unwrap()
}

/// Every psid of a list, following `next_cursor` page by page (2 rows per page).
async fn walk(pool: &SqlitePool, list: InboxList, search: &str) -> Vec<String> {
    let mut psids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let p = page(pool, list, search, cursor.as_deref()).await;
        assert!(p.items.len() <= 2);
        psids.extend(p.items.into_iter().map(|c| c.psid));
        match p.next_cursor {
            Some(next) => cursor = Some(next),
            None => return psids,
        }
    }
}

/// A search through the repository with each plan forced (index, then scan): both must give
/// the same rows in the same order.
async fn both_plans(pool: &SqlitePool, state: Option<&str>, term: &str) -> Vec<String> {
    let mut results = Vec::new();
    for max_hits in [1_000_000, 0] {
        let q = ListQuery {
            page_id: PAGE,
            state,
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

/// Six conversations: two in Inbox, two Done, two with the bot; p5 and p6 share a timestamp.
async fn six(pool: &SqlitePool) {
    seed(
        pool,
        "p1",
        ("Ana", "Silva"),
        "inbox",
        1_000,
        "I need help with my order",
    )
    .await;
    seed(pool, "p2", ("Bruno", "Costa"), "done", 2_000, "thanks!").await;
    seed(pool, "p3", ("Carla", "Dias"), "bot", 3_000, "menu").await;
    seed(
        pool,
        "p4",
        ("Diego", "Alves"),
        "inbox",
        4_000,
        "where is my refund?",
    )
    .await;
    seed(pool, "p5", ("Eva", "Silva"), "done", 5_000, "ok").await;
    seed(pool, "p6", ("Fábio", "Nunes"), "bot", 5_000, "hello").await;
}

#[tokio::test]
async fn lists_are_newest_first_and_pages_visit_every_row_once() {
    let app = connected().await;
    let pool = &app.state.pool;
    six(pool).await;
    assert_eq!(walk(pool, InboxList::Inbox, "").await, ["p4", "p1"]);
    assert_eq!(walk(pool, InboxList::Done, "").await, ["p5", "p2"]);
    // Equal activity times are ordered by psid, descending, so no row is skipped or repeated
    // at a page boundary.
    assert_eq!(
        walk(pool, InboxList::All, "").await,
        ["p6", "p5", "p4", "p3", "p2", "p1"]
    );
    let first = page(pool, InboxList::All, "", None).await;
    assert!(first.connected);
    assert_eq!(first.items[0].name, "Fábio Nunes");
    assert_eq!(first.items[0].last_text.as_deref(), Some("hello"));

    // New activity moves a conversation to the top.
    said(pool, "p1", "user", 9_000, "still waiting").await;
    assert_eq!(walk(pool, InboxList::Inbox, "").await, ["p1", "p4"]);
}

#[tokio::test]
async fn counts_follow_new_conversations_and_state_changes() {
    let app = connected().await;
    let pool = &app.state.pool;
    let counts = |p: ConversationPage| (p.counts.inbox, p.counts.done, p.counts.all);
    assert_eq!(
        counts(page(pool, InboxList::Inbox, "", None).await),
        (0, 0, 0)
    );
    six(pool).await;
    assert_eq!(
        counts(page(pool, InboxList::Inbox, "", None).await),
        (2, 2, 6)
    );

    let mut conn = pool.acquire().await.unwrap();
    // Done → Inbox, then the same move again (no change), then Inbox → bot.
    assert!(
        conv::transition(&mut conn, PAGE, "p2", "inbox", "page_inbox", 10_000)
            .await
            .unwrap()
    );
    assert!(
        !conv::transition(&mut conn, PAGE, "p2", "inbox", "page_inbox", 10_000)
            .await
            .unwrap()
    );
    assert_eq!(
        counts(page(pool, InboxList::Done, "", None).await),
        (3, 1, 6)
    );
    conv::transition(&mut conn, PAGE, "p1", "bot", "baton", 11_000)
        .await
        .unwrap();
    assert_eq!(
        counts(page(pool, InboxList::All, "", None).await),
        (2, 1, 6)
    );
    // The counters agree with a plain count of the table.
    let (inbox, done, all): (i64, i64, i64) = sqlx::query_as(
        "SELECT SUM(state = 'inbox'), SUM(state = 'done'), COUNT(*) FROM conversations",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!((inbox, done, all), (2, 1, 6));
}

#[tokio::test]
async fn search_finds_names_and_anything_a_person_wrote() {
    let app = connected().await;
    let pool = &app.state.pool;
    six(pool).await;
    // Older lines count, not only the last text; bot lines do not.
    said(pool, "p3", "user", 3_100, "Order #A-1234 never arrived").await;
    said(pool, "p3", "user", 3_200, "menu").await;
    said(pool, "p2", "page_inbox", 2_100, "Your refund is on its way").await;
    said(pool, "p6", "bot", 5_100, "Here is your ORDER status menu").await;

    // Every search pages through the list and gives the same result with either plan.
    let all = |s: &'static str| async move {
        let paged = walk(pool, InboxList::All, s).await;
        assert_eq!(paged, both_plans(pool, None, s).await);
        paged
    };
    // Names: any part, any case, across first and last name, accents kept.
    assert_eq!(all("silva").await, ["p5", "p1"]);
    assert_eq!(all("ANA SIL").await, ["p1"]);
    assert_eq!(all("fábio").await, ["p6"]);
    // Text written by the user, an agent or the Page Inbox.
    assert_eq!(all("order").await, ["p3", "p1"]);
    assert_eq!(all("a-1234").await, ["p3"]);
    assert_eq!(all("refund").await, ["p4", "p2"]);
    // Within one list.
    assert_eq!(walk(pool, InboxList::Inbox, "refund").await, ["p4"]);
    assert_eq!(both_plans(pool, Some("inbox"), "refund").await, ["p4"]);
    assert_eq!(walk(pool, InboxList::Done, "silva").await, ["p5"]);
    assert_eq!(both_plans(pool, Some("done"), "silva").await, ["p5"]);
    // One or two characters: always the scan, same rules ("Ev": Eva, and "never arrived").
    assert_eq!(all("ok").await, ["p5"]);
    assert_eq!(all("Ev").await, ["p5", "p3"]);
    // A name and a text match of the same conversation list it once.
    said(pool, "p5", "user", 5_000, "I am Eva Silva").await;
    assert_eq!(all("silva").await, ["p5", "p1"]);
    // Nothing found, and characters that mean something to FTS or LIKE are just text.
    assert!(all("zebra").await.is_empty());
    assert!(all("\"or").await.is_empty());
    assert!(all("50%").await.is_empty());
    assert!(all("a_b").await.is_empty());
}

#[tokio::test]
async fn a_changed_name_is_found_by_the_new_name_only() {
    let app = connected().await;
    let pool = &app.state.pool;
    let mut conn = pool.acquire().await.unwrap();
    // Before the profile is fetched the conversation has no name and no name match.
    conv::get_or_create(&mut conn, PAGE, "p9", 1_000)
        .await
        .unwrap();
    assert!(walk(pool, InboxList::All, "unknown").await.is_empty());
    conv::set_profile(pool, PAGE, "p9", Some("Gil"), Some("Mota"), None)
        .await
        .unwrap();
    assert_eq!(walk(pool, InboxList::All, "gil mota").await, ["p9"]);
    conv::set_profile(pool, PAGE, "p9", Some("Gilberto"), Some("Moura"), None)
        .await
        .unwrap();
    assert!(walk(pool, InboxList::All, "mota").await.is_empty());
    assert_eq!(walk(pool, InboxList::All, "moura").await, ["p9"]);
}

#[tokio::test]
async fn a_page_with_no_connected_facebook_page_is_empty() {
    let app = TestApp::new().await;
    let p = inbox::list_page(&app.state.pool, InboxList::All, "", None)
        .await
        .unwrap();
    assert!(!p.connected);
    assert!(p.items.is_empty());
}
