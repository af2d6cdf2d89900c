//! When a PostgreSQL row of `baton bench` stalls, a snapshot of the database's state (queues,
//! lanes, what the server waits on, the claims' plans) is written beside the report.

use anyhow::Context;
use std::path::Path;

/// What a PostgreSQL bench database looks like while replies have stalled, written to
/// `path` for whoever reads the run afterwards: where the events and calls stand, who holds
/// the lanes, what the server is doing and waiting on, the tables' statistics, and the plans
/// (with timings) of the two claims the workers run.
pub async fn postgres_snapshot(db_url: &str, path: &Path) -> anyhow::Result<()> {
    use std::fmt::Write as _;
    let pool = sqlx::PgPool::connect(db_url).await?;
    let mut out = String::new();
    let sections = [
        (
            "outbox by status",
            "SELECT status, count(*) AS rows, min(id) AS first_id, max(id) AS last_id,
                    count(*) FILTER (WHERE priority > 0) AS urgent
             FROM outbox GROUP BY status ORDER BY status",
        ),
        (
            "webhook events by status",
            "SELECT status, count(*) AS events, min(id) AS first_id, max(id) AS last_id
             FROM webhook_events GROUP BY status ORDER BY status",
        ),
        (
            "work lanes by owner",
            "SELECT owner, count(*) AS lanes,
                    min(lease_until) - (extract(epoch FROM clock_timestamp()) * 1000)::bigint
                        AS shortest_lease_left_ms
             FROM work_lanes GROUP BY owner ORDER BY owner",
        ),
        (
            "server activity on this database",
            "SELECT pid, state, wait_event_type, wait_event,
                    round(extract(epoch FROM clock_timestamp() - query_start) * 1000)
                        AS running_ms,
                    left(regexp_replace(query, '\\s+', ' ', 'g'), 160) AS query
             FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()
             ORDER BY running_ms DESC NULLS LAST",
        ),
        (
            "locks waited for",
            "SELECT pid, locktype, mode, relation::regclass::text AS relation
             FROM pg_locks WHERE NOT granted",
        ),
        (
            "table statistics",
            "SELECT relname, n_live_tup, n_dead_tup, last_autoanalyze, autoanalyze_count,
                    last_autovacuum, autovacuum_count
             FROM pg_stat_user_tables
             WHERE relname IN ('outbox', 'webhook_events', 'work_lanes')
             ORDER BY relname",
        ),
    ];
    for (title, sql) in sections {
        let _ = writeln!(out, "== {title}");
        let wrapped = format!("SELECT row_to_json(t)::text FROM ({sql}) t");
        match sqlx::query_scalar::<_, String>(&wrapped)
            .fetch_all(&pool)
            .await
        {
            Ok(rows) => rows.iter().for_each(|r| {
                let _ = writeln!(out, "{r}");
            }),
            Err(e) => {
                let _ = writeln!(out, "(failed: {e})");
            }
        }
        out.push('\n');
    }
    let all_lanes: Vec<i64> = (0..domain::lanes::LANES).collect();
    let now_ms = time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1_000_000;
    // The outbox claim changes rows: it runs in a transaction that is rolled back.
    let _ = writeln!(
        out,
        "== plan of the outbox claim over every lane (rolled back)"
    );
    let mut tx = pool.begin().await?;
    let plan = sqlx::query_scalar::<_, String>(&format!(
        "EXPLAIN (ANALYZE, BUFFERS) {}",
        domain::repo::outbox::claim_in_lanes_statement()
    ))
    .bind(now_ms)
    .bind(500_i64)
    .bind(&all_lanes)
    .fetch_all(&mut *tx)
    .await;
    tx.rollback().await?;
    push_plan(&mut out, plan);
    let _ = writeln!(out, "== plan of the event claim over every lane");
    let plan = sqlx::query_scalar::<_, String>(&format!(
        "EXPLAIN (ANALYZE, BUFFERS) {}",
        domain::repo::webhook_events::PENDING_IN_LANES
    ))
    .bind(&all_lanes)
    .bind(500_i64)
    .fetch_all(&pool)
    .await;
    push_plan(&mut out, plan);
    pool.close().await;
    std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))
}

fn push_plan(out: &mut String, plan: Result<Vec<String>, sqlx::Error>) {
    match plan {
        Ok(lines) => lines.iter().for_each(|l| {
            out.push_str(l);
            out.push('\n');
        }),
        Err(e) => out.push_str(&format!("(failed: {e})\n")),
    }
    out.push('\n');
}
