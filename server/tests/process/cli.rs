//! The `baton` binary as a person runs it: exit codes and plain messages on stderr.

use std::process::{Command, Output, Stdio};

fn baton(db_dir: &std::path::Path, args: &[&str], envs: &[(&str, &str)], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(args)
        .env(
            "BATON_DATABASE_URL",
            format!("sqlite://{}/baton.db", db_dir.display()),
        )
        .env_remove("BATON_PASSWORD")
        .envs(envs.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn migrate_creates_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let out = baton(dir.path(), &["migrate"], &[], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(dir.path().join("baton.db").exists());
}

/// A URL Baton cannot use gets a plain answer that never repeats the URL's password.
#[test]
fn other_databases_get_plain_answers_without_echoing_the_password() {
    let dir = tempfile::tempdir().unwrap();
    for (args, url, says) in [
        (
            &["serve"][..],
            "postgres://baton:s3cret-pw@127.0.0.1:9/baton",
            "could not open the database",
        ),
        (
            &["migrate"][..],
            "postgres://baton:s3cret-pw@127.0.0.1:9/baton",
            "could not open the database",
        ),
        (
            &["migrate"][..],
            "mysql://baton:s3cret-pw@db.example/baton",
            "unsupported database URL scheme \"mysql\"",
        ),
    ] {
        let out = baton(dir.path(), args, &[("BATON_DATABASE_URL", url)], "");
        assert!(!out.status.success());
        let stderr = text(&out.stderr);
        assert!(stderr.contains(says), "{args:?} {stderr}");
        assert!(!stderr.contains("s3cret"), "{stderr}");
    }
}

/// Three `baton migrate` started at once on one new PostgreSQL database (as instances
/// starting together would): all succeed and each migration is applied once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_on_postgres_is_safe_to_run_several_at_once() {
    let Some(server) = domain::testing::postgres_url() else {
        eprintln!("skipped: {} is not set", domain::testing::POSTGRES_URL_VAR);
        return;
    };
    let url = domain::testing::empty_postgres_database(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let runs: Vec<_> = (0..3)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_baton"))
                .arg("migrate")
                .env("BATON_DATABASE_URL", &url)
                .current_dir(dir.path())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for run in runs {
        let out = run.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains("database is up to date"));
    }
    let pool = domain::backend::connect_postgres(&url).await.unwrap();
    let (applied,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        applied as usize,
        domain::backend::PG_MIGRATOR.iter().count()
    );
    let (lanes,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM work_lanes")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(lanes, 64, "the seed rows went in once");
}

#[test]
fn user_add_takes_the_password_from_env_or_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let out = baton(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "Ana@Example.com",
            "--role",
            "admin",
        ],
        &[("BATON_PASSWORD", "correct horse battery")],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("added ana@example.com as admin"));

    // Bob types his password on stdin; the second time he already exists.
    let add_bob = || {
        baton(
            dir.path(),
            &[
                "user",
                "add",
                "--email",
                "bob@example.com",
                "--role",
                "agent",
            ],
            &[],
            "another good password\n",
        )
    };
    let out = add_bob();
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = add_bob();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("already exists"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bad_input_exits_non_zero_with_a_plain_message() {
    let dir = tempfile::tempdir().unwrap();
    // (arguments, environment, stdin, expected text on stderr)
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: [Case; 4] = [
        (
            &["user", "add", "--email", "a@example.com", "--role", "owner"],
            &[("BATON_PASSWORD", "long enough pw")],
            "",
            "admin, editor or agent",
        ),
        (
            &["user", "add", "--email", "a@example.com", "--role", "agent"],
            &[],
            "",
            "no password given",
        ),
        (
            &["user", "add", "--email", "a@example.com", "--role", "agent"],
            &[("BATON_PASSWORD", "short")],
            "",
            "at least 10 characters",
        ),
        (
            &["migrate"],
            &[("BATON_ADDR", "nonsense")],
            "",
            "BATON_ADDR",
        ),
    ];
    for (args, envs, stdin, expected) in cases {
        let out = baton(dir.path(), args, envs, stdin);
        assert!(!out.status.success(), "{args:?} succeeded");
        let err = text(&out.stderr);
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}

#[test]
fn sandbox_serve_runs_on_its_own() {
    use std::io::{Read, Write};
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["sandbox", "serve", "--port", &port.to_string()])
        .args(["--app-secret", "s3cret"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut answer = String::new();
    for _ in 0..100 {
        if let Ok(mut conn) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            conn.write_all(
                b"GET /v21.0/me?access_token=sandbox-page-token HTTP/1.0\r\nHost: x\r\n\r\n",
            )
            .unwrap();
            conn.read_to_string(&mut answer).unwrap();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(answer.starts_with("HTTP/1.0 200"), "{answer}");
    assert!(answer.contains("\"id\":\"1234567890\""), "{answer}");
}
