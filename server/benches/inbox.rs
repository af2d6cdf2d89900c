//! Inbox server time at scale: 100,000 conversations and 1,000,000 transcript lines in a
//! SQLite file, then the queries behind the Inbox screen, each timed over repeated runs:
//! first page of Inbox / Done / All (with counts), a page deep into All (keyset cursor),
//! search by name and by message text (rare, and common enough to match every
//! conversation), and the conversation view. Target (docs/spec.md §5): < 20 ms.
//!
//! Run: `cargo bench -p server --bench inbox` (BATON_BENCH_CONVERSATIONS sets the count).

use domain::Clock;
use std::time::{Duration, Instant};

use app::model::{InboxCursor, InboxList};
use domain::inbox;

#[path = "../tests/support/mod.rs"]
mod support;

const RUNS: usize = 30;

/// One page of the Inbox screen's size.
async fn page_of(
    pool: &sqlx::SqlitePool,
    list: InboxList,
    search: &str,
    cursor: Option<&InboxCursor>,
) -> app::model::ConversationPage {
    inbox::list_page(
        pool,
        &Clock::system(),
        list,
        search,
        cursor,
        inbox::PAGE_SIZE,
    )
    .await
    .unwrap()
}

async fn time<F, Fut, T>(name: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        f().await;
        times.push(t.elapsed());
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "  {name:<58} p50 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms",
        ms(times[RUNS / 2]),
        ms(times[(RUNS * 99) / 100]),
        ms(times[RUNS - 1])
    );
}

#[tokio::main]
async fn main() {
    let n: i64 = std::env::var("BATON_BENCH_CONVERSATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let (_dir, db_url) = support::temp_db();
    let state = support::state_on(&db_url).await;
    let pool = state.pool.as_sqlite().expect("this bench runs on SQLite");
    // No Graph calls are made: the page only has to be connected.
    support::connect_page(&state, "http://127.0.0.1:9/v21.0", "secret").await;

    let seed = Instant::now();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
         INSERT INTO conversations (page_id, psid, first_name, last_name, state, thread_owner,
             last_user_message_ms, last_activity_ms, last_text)
         SELECT '1234567890', printf('24%014d', i), 'User', 'Number ' || i,
                CASE WHEN i % 10 = 0 THEN 'inbox' WHEN i % 10 < 4 THEN 'done' ELSE 'bot' END,
                CASE WHEN i % 10 = 0 THEN 'page_inbox' ELSE 'baton' END,
                1800000000000 + i * 1000, 1800000000000 + i * 1000, 'message number ' || i
         FROM n",
    )
    .bind(n)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "WITH RECURSIVE k(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM k WHERE j < 10)
         INSERT INTO transcript (page_id, psid, at_ms, who, text)
         SELECT page_id, psid, last_activity_ms - (10 - j) * 1000,
                CASE WHEN j % 2 = 0 THEN 'bot' ELSE 'user' END, 'line ' || j || ' of ' || psid || CASE WHEN j = 5 THEN ' about order ' || (CAST(substr(psid, 3) AS INTEGER) * 7919 % 1000000) ELSE '' END
         FROM conversations CROSS JOIN k",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE").execute(pool).await.unwrap();
    let (lines,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM transcript")
        .fetch_one(pool)
        .await
        .unwrap();
    println!(
        "Inbox server time ({n} conversations, {lines} transcript lines, SQLite file; seeded in {:.1} s; {RUNS} runs each)",
        seed.elapsed().as_secs_f64()
    );

    for list in [InboxList::Inbox, InboxList::Done, InboxList::All] {
        time(
            &format!("first page of {} (+ counts)", list.as_str()),
            || async { page_of(pool, list, "", None).await },
        )
        .await;
    }
    // A cursor 500 pages deep into All.
    let mut cursor: Option<InboxCursor> = None;
    for _ in 0..500 {
        let page = page_of(pool, InboxList::All, "", cursor.as_ref()).await;
        cursor = page
            .next_cursor
            .as_deref()
            .and_then(|c| InboxCursor::parse(c).ok().flatten());
    }
    time("page 501 of All (keyset cursor)", || async {
        page_of(pool, InboxList::All, "", cursor.as_ref()).await
    })
    .await;
    let searches = [
        // 11 conversations: Number 4242, Number 42420..42429.
        (InboxList::All, "number 4242", "name, 11 matches"),
        (InboxList::Inbox, "number 4242", "name, 11 matches"),
        // Every name.
        (InboxList::All, "user number", "name, every conversation"),
        // One user line of one conversation.
        (InboxList::All, "order 592398", "text, rare"),
        // "line 3 of ..." is a user line of every conversation.
        (InboxList::All, "line 3 of", "text, every conversation"),
        (InboxList::Inbox, "line 3 of", "text, every conversation"),
        // Many hits, all in the 10% oldest conversations: the scan walks 90k rows first.
        (
            InboxList::All,
            "of 240000000000",
            "text, oldest 10% only (worst case)",
        ),
        // One or two characters: the start of a word of the name.
        (InboxList::All, "u", "1 char, every name"),
        (InboxList::All, "nu", "2 chars, every name"),
        (InboxList::All, "zz", "2 chars, no match"),
    ];
    for (list, term, what) in searches {
        time(
            &format!("search {} \"{term}\" ({what})", list.as_str()),
            || async { page_of(pool, list, term, None).await },
        )
        .await;
    }
    let psid = format!("24{:014}", n / 2);
    time("conversation view (10 lines)", || async {
        inbox::detail(pool, &Clock::system(), &psid).await.unwrap()
    })
    .await;
}
