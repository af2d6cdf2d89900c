//! Inserts that wait for the end of their transaction. Applying an event mostly appends: a
//! transcript line for what the user wrote, outbox rows for the answer. Done one statement
//! each, those appends were two of the three statements an ordinary message cost, and every
//! statement is a round trip to SQLite's connection thread. Held here instead, a batch of
//! events writes all its lines in one INSERT and all its outbox rows in another.
//!
//! Order is kept: everything the engine appends to the transcript and the outbox goes through
//! one [`Later`], so ids come out in the order the events decided them (a user's calls are
//! made in id order, a transcript is shown in id order). A statement that reads those tables,
//! or writes them directly, must [`Later::flush`] first; so must the transaction before it
//! commits.

use crate::storage::backend::Exec;

use crate::storage::repo::conversations::{self as conv, NewLine};
use crate::storage::repo::outbox::{self, NewRow, Priority, Queued};

/// Transcript lines and outbox rows not written yet, in the order they were decided.
#[derive(Debug, Default)]
pub struct Later {
    lines: Vec<NewLine>,
    calls: Vec<Call>,
    /// The webhook event being applied: the rows queued now are its answer.
    event: Option<i64>,
}

#[derive(Debug)]
struct Call {
    page_id: String,
    psid: String,
    row: NewRow,
    priority: Priority,
    now_ms: i64,
    event_id: Option<i64>,
}

impl Later {
    /// The rows queued from now on answer the webhook event `id` (`None`: no event, an
    /// agent's click or Baton itself).
    pub fn for_event(&mut self, id: Option<i64>) {
        self.event = id;
    }

    /// A transcript line, written with the batch (see `conversations::add_transcripts`).
    pub fn transcript(&mut self, line: NewLine) {
        self.lines.push(line);
    }

    /// Outbox rows for one user (see `outbox::enqueue`).
    pub fn enqueue(
        &mut self,
        page_id: &str,
        psid: &str,
        rows: Vec<NewRow>,
        priority: Priority,
        now_ms: i64,
    ) {
        let event_id = self.event;
        self.calls.extend(rows.into_iter().map(|row| Call {
            page_id: page_id.to_owned(),
            psid: psid.to_owned(),
            row,
            priority,
            now_ms,
            event_id,
        }));
    }

    /// Writes everything held, in order, and empties the queue.
    pub async fn flush<'c>(&mut self, conn: impl Into<Exec<'c>>) -> Result<(), sqlx::Error> {
        let mut conn = conn.into();
        if !self.lines.is_empty() {
            conv::add_transcripts(conn.reborrow(), &self.lines).await?;
            self.lines.clear();
        }
        if !self.calls.is_empty() {
            let queued: Vec<Queued<'_>> = self
                .calls
                .iter()
                .map(|c| Queued {
                    page_id: &c.page_id,
                    psid: &c.psid,
                    row: &c.row,
                    priority: c.priority,
                    now_ms: c.now_ms,
                    event_id: c.event_id,
                })
                .collect();
            outbox::enqueue_many(conn.reborrow(), &queued).await?;
            self.calls.clear();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::repo::outbox::Kind;
    use model::Speaker;
    use sqlx::SqliteConnection;

    fn message(text: &str) -> NewRow {
        NewRow {
            kind: Kind::Message,
            body: text.to_owned(),
            transcript: Some((Speaker::Bot, text.to_owned())),
            author: None,
        }
    }

    /// A line of page "p".
    fn line(psid: &str, at_ms: i64, who: Speaker, text: &str, mid: Option<&str>) -> NewLine {
        NewLine {
            page_id: "p".into(),
            psid: psid.into(),
            at_ms,
            who,
            text: text.into(),
            mid: mid.map(str::to_owned),
        }
    }

    async fn lines(conn: &mut SqliteConnection) -> Vec<(String, String, Option<String>)> {
        sqlx::query_as("SELECT psid, text, mid FROM transcript ORDER BY id")
            .fetch_all(conn)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn held_lines_and_calls_are_written_in_the_order_they_were_decided() {
        let pool = crate::storage::db::connect("sqlite::memory:")
            .await
            .unwrap();
        crate::storage::db::migrate(&pool).await.unwrap();
        let mut conn = pool.acquire().await.unwrap();
        let mut later = Later::default();
        later.transcript(line("ana", 1, Speaker::User, "ana 1", Some("m1")));
        later.enqueue(
            "p",
            "ana",
            vec![message("to ana 1"), message("to ana 2")],
            Priority::Bulk,
            1,
        );
        later.transcript(line("bo", 2, Speaker::User, "bo 1", None));
        later.enqueue("p", "bo", vec![message("to bo")], Priority::Urgent, 2);
        later.transcript(line("ana", 3, Speaker::System, "ana 2", None));
        // More lines than one INSERT takes.
        for i in 0..1_200 {
            later.transcript(line("cy", 4 + i, Speaker::User, &format!("cy {i}"), None));
        }
        assert!(
            lines(&mut conn).await.is_empty(),
            "nothing is written before the flush"
        );
        later.flush(&mut conn).await.unwrap();
        // Emptied: flushing again writes nothing twice.
        later.flush(&mut conn).await.unwrap();
        conv::add_transcript(&mut *conn, "p", "ana", 9_000, Speaker::User, "ana 3", None)
            .await
            .unwrap();

        let written = lines(&mut conn).await;
        assert_eq!(written.len(), 3 + 1_200 + 1);
        assert_eq!(
            written[..3],
            [
                ("ana".into(), "ana 1".into(), Some("m1".into())),
                ("bo".into(), "bo 1".into(), None),
                ("ana".into(), "ana 2".into(), None),
            ]
        );
        let cy: Vec<String> = (0..1_200).map(|i| format!("cy {i}")).collect();
        assert!(written[3..1_203].iter().map(|l| &l.1).eq(cy.iter()));
        assert_eq!(
            written[1_203].1, "ana 3",
            "a direct write after the flush comes last"
        );

        let calls: Vec<(String, String, i64, String)> =
            sqlx::query_as("SELECT psid, body, priority, status FROM outbox ORDER BY id")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        assert_eq!(
            calls,
            [
                ("ana".into(), "to ana 1".into(), 0, "pending".into()),
                ("ana".into(), "to ana 2".into(), 0, "pending".into()),
                ("bo".into(), "to bo".into(), 1, "pending".into()),
            ]
        );
    }
}
