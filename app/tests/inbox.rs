//! The agent inbox's reads against a real SQLite database: list order, keyset pagination
//! without duplicates or gaps, counts per list, search, and the conversation detail.
#![cfg(feature = "ssr")]

use app::error::AppError;
use app::model::{InboxCursor, InboxList, WINDOW_MS};
use app::server::repo::audit::Actor;
use app::server::repo::conversations as conv;
use app::server::repo::outbox::{self, Kind, NewRow};
use app::server::{db, inbox, pages};
use sqlx::SqlitePool;

const PAGE: &str = sandbox::DEFAULT_PAGE_ID;

async fn pool() -> SqlitePool {
    let pool = db::connect("sqlite::memory:").await.unwrap();
    db::migrate(&pool).await.unwrap();
    pool
}

async fn connected() -> SqlitePool {
    let pool = pool().await;
    pages::connect_sandbox(&pool, &Actor::cli(), "http://127.0.0.1:9/v21.0")
        .await
        .unwrap();
    pool
}

/// A conversation in `state` whose last activity is `at_ms`.
async fn add(pool: &SqlitePool, psid: &str, state: &str, at_ms: i64, name: Option<(&str, &str)>) {
    let mut conn = pool.acquire().await.unwrap();
    conv::get_or_create(&mut conn, PAGE, psid, at_ms)
        .await
        .unwrap();
    if state != "bot" {
        conv::transition(&mut conn, PAGE, psid, state, "page_inbox", at_ms)
            .await
            .unwrap();
    }
    conv::touch(
        &mut conn,
        PAGE,
        psid,
        at_ms,
        Some(&format!("last words of {psid}")),
    )
    .await
    .unwrap();
    drop(conn);
    if let Some((first, last)) = name {
        conv::set_profile(pool, PAGE, psid, Some(first), Some(last), None)
            .await
            .unwrap();
    }
}

async fn psids(pool: &SqlitePool, list: InboxList, search: &str) -> Vec<String> {
    inbox::list_page(pool, list, search, None)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|c| c.psid)
        .collect()
}

#[tokio::test]
async fn lists_are_newest_first_and_filtered_by_state() {
    let pool = connected().await;
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
    let page = inbox::list_page(&pool, InboxList::Inbox, "", None)
        .await
        .unwrap();
    assert!(page.connected);
    assert_eq!(
        (page.counts.inbox, page.counts.done, page.counts.all),
        (3, 1, 5)
    );
    assert_eq!(page.next_cursor, None);
    let first = &page.items[0];
    assert_eq!(first.name, "Unknown user");
    assert_eq!(first.state, "inbox");
    assert_eq!(first.last_text.as_deref(), Some("last words of p5"));
}

#[tokio::test]
async fn pages_follow_each_other_without_duplicates_or_gaps() {
    let pool = connected().await;
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
            let page = inbox::list_page_sized(&pool, list, "", cursor.as_ref(), 4)
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

#[tokio::test]
async fn search_matches_name_or_last_text_case_insensitively() {
    let pool = connected().await;
    add(&pool, "a", "inbox", 1_000, Some(("Ana", "Silva"))).await;
    add(&pool, "b", "inbox", 2_000, Some(("Bruno", "Costa"))).await;
    add(&pool, "c", "done", 3_000, Some(("Carla", "Anastácio"))).await;
    let mut conn = pool.acquire().await.unwrap();
    conv::user_wrote(&mut conn, PAGE, "b", 2_500, "I need 50% OFF_now")
        .await
        .unwrap();
    drop(conn);

    assert_eq!(psids(&pool, InboxList::All, "ANA").await, ["c", "a"]);
    assert_eq!(psids(&pool, InboxList::Inbox, "ana").await, ["a"]);
    assert_eq!(psids(&pool, InboxList::All, "ana silva").await, ["a"]);
    assert_eq!(psids(&pool, InboxList::All, "50% off").await, ["b"]);
    // LIKE wildcards in the search are literal characters.
    assert_eq!(psids(&pool, InboxList::All, "%").await, ["b"]);
    assert_eq!(psids(&pool, InboxList::All, "f_n").await, ["b"]);
    assert!(psids(&pool, InboxList::All, "e_d").await.is_empty());
    assert!(psids(&pool, InboxList::All, "zzz").await.is_empty());
    // A blank search is no filter.
    assert_eq!(psids(&pool, InboxList::All, "  ").await.len(), 3);
}

#[tokio::test]
async fn without_a_connected_page_the_lists_are_empty_and_say_so() {
    let pool = pool().await;
    let page = inbox::list_page(&pool, InboxList::All, "", None)
        .await
        .unwrap();
    assert!(!page.connected);
    assert!(page.items.is_empty());
    assert_eq!(
        inbox::detail(&pool, "nobody").await.unwrap_err(),
        AppError::NotFound
    );
}

#[tokio::test]
async fn the_detail_has_profile_window_transcript_and_failed_sends() {
    let pool = connected().await;
    add(&pool, "ana", "inbox", 1_000, Some(("Ana", "Silva"))).await;
    let mut conn = pool.acquire().await.unwrap();
    conv::user_wrote(&mut conn, PAGE, "ana", 5_000, "hello")
        .await
        .unwrap();
    conv::add_transcript(&mut *conn, PAGE, "ana", 5_000, "user", "hello", None)
        .await
        .unwrap();
    conv::add_ledger(
        &mut conn,
        PAGE,
        "ana",
        6_000,
        "bot",
        "inbox",
        "button",
        None,
        Some("Talk to human"),
    )
    .await
    .unwrap();
    let row = NewRow {
        kind: Kind::Message,
        body: "{}".into(),
        transcript: Some(("bot".into(), "Are you there?".into())),
    };
    outbox::enqueue(&mut conn, PAGE, "ana", &[row], 7_000)
        .await
        .unwrap();
    drop(conn);
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

    let d = inbox::detail(&pool, "ana").await.unwrap();
    assert_eq!(d.summary.name, "Ana Silva");
    assert_eq!(d.summary.state, "inbox");
    assert_eq!(d.thread_owner, "page_inbox");
    assert_eq!(d.window_closes_ms, Some(5_000 + WINDOW_MS));
    assert_eq!(d.transcript[0].who, "user");
    assert_eq!(d.transcript[0].text, "hello");
    assert_eq!(d.ledger.len(), 1);
    assert_eq!(d.ledger[0].cause, "button");
    assert_eq!(d.failed_sends.len(), 1);
    assert_eq!(d.failed_sends[0].what, "Message");
    assert_eq!(d.failed_sends[0].text.as_deref(), Some("Are you there?"));
    assert_eq!(
        d.failed_sends[0].reason,
        "This person isn't available right now."
    );
    assert_eq!(d.failed_sends[0].at_ms, 8_000);
}
