//! `baton flows ...` and `baton page ...` as a person runs them: the real binary on a temp
//! database (a SQLite file, or PostgreSQL with `BATON_TEST_BACKEND=postgres`, as
//! scripts/test.sh runs the server suites a second time), exit codes, stdout and the problems
//! listed on stderr.

use std::path::Path;
use std::process::{Command, Output};

const KIT: &str = "../crates/flows/tests/fixtures/handover_kit.json";
const CANONICAL: &str = "../crates/flows/tests/fixtures/handover_kit.canonical.json";

/// The page secrets' key the commands get on PostgreSQL, where Baton keeps no key file.
const SECRET_KEY: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";

/// A test's folder and the database its commands share: a SQLite file in the folder, or with
/// `BATON_TEST_BACKEND=postgres` a new database on the test PostgreSQL server.
struct TestDb {
    dir: tempfile::TempDir,
    url: String,
}

impl TestDb {
    fn new() -> TestDb {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let (dir, url) = rt.block_on(crate::support::temp_db_url());
        TestDb { dir, url }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `baton` with this database (and, on PostgreSQL, the secrets' key).
    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_baton"));
        command
            .env("BATON_DATABASE_URL", &self.url)
            .env("RUST_LOG", "off");
        if self.url.starts_with("postgres") {
            command.env("BATON_SECRET_KEY", SECRET_KEY);
        }
        command
    }
}

fn baton(db: &TestDb, args: &[&str], envs: &[(&str, &str)]) -> Output {
    db.command()
        .args(args)
        .envs(envs.iter().copied())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs and asserts success; returns stdout.
fn ok(db: &TestDb, args: &[&str]) -> String {
    let out = baton(db, args, &[]);
    assert!(
        out.status.success(),
        "{args:?} failed: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn fixture(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path.display().to_string()
}

#[test]
fn import_of_a_bad_file_lists_every_problem_and_changes_nothing() {
    let dir = TestDb::new();
    let good = write(dir.path(), "good.json", &fixture(KIT));
    ok(&dir, &["flows", "import", &good]);
    let before = ok(&dir, &["flows", "export"]);

    let mut bad: serde_json::Value = serde_json::from_str(&fixture(KIT)).unwrap();
    bad["messages"][3]["parts"][0]["buttons"][1]["title"] = "Talk to a real human!!!!".into();
    bad["messages"][0]["parts"][0]["buttons"][0]["action"]["confirmation"] = "nope".into();
    bad["greeting"] = "".into();
    let bad = write(dir.path(), "bad.json", &bad.to_string());
    let out = baton(&dir, &["flows", "import", &bad], &[]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    for line in [
        "messages[3].parts[0].buttons[1].title: longer than 20 characters (24)",
        "messages[0].parts[0].buttons[0].action.confirmation: no message with key \"nope\"",
        "greeting: must not be empty",
        "has 3 problems; nothing was imported",
    ] {
        assert!(err.contains(line), "missing {line:?} in:\n{err}");
    }
    assert_eq!(err.lines().count(), 4, "one problem per line:\n{err}");
    assert_eq!(ok(&dir, &["flows", "export"]), before);

    let out = baton(&dir, &["flows", "import", "/no/such/file.json"], &[]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("could not read /no/such/file.json"));
}

#[test]
fn import_then_export_gives_the_file_back_byte_for_byte() {
    let dir = TestDb::new();
    // An empty database exports the empty flow.
    assert_eq!(
        ok(&dir, &["flows", "export"]),
        "{\n  \"version\": 1,\n  \"messages\": [],\n  \"triggers\": {}\n}\n"
    );
    let canonical = fixture(CANONICAL);
    let file = write(dir.path(), "kit.json", &canonical);
    let said = ok(&dir, &["flows", "import", &file]);
    assert!(said.contains("4 messages"), "{said}");
    assert_eq!(ok(&dir, &["flows", "export"]), canonical);
    let target = dir.path().join("out.json");
    ok(&dir, &["flows", "export", &target.display().to_string()]);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), canonical);
}

#[test]
fn publish_versions_and_rollback() {
    let dir = TestDb::new();
    let out = baton(&dir, &["flows", "publish"], &[]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no draft to publish"));

    let kit = write(dir.path(), "kit.json", &fixture(KIT));
    ok(&dir, &["flows", "import", &kit]);
    let said = ok(&dir, &["flows", "publish"]);
    assert!(
        said.contains("published version 1 (first version)"),
        "{said}"
    );
    assert!(said.contains("not pushed, no page is connected"), "{said}");

    let mut flow: serde_json::Value = serde_json::from_str(&fixture(KIT)).unwrap();
    flow["greeting"] = "Hello again".into();
    let changed = write(dir.path(), "changed.json", &flow.to_string());
    ok(&dir, &["flows", "import", &changed]);
    let said = ok(&dir, &["flows", "publish"]);
    assert!(
        said.contains(
            "published version 2 (0 messages added, 0 changed, 0 removed; greeting changed)"
        ),
        "{said}"
    );

    let said = ok(&dir, &["flows", "rollback", "1"]);
    assert!(
        said.contains("published version 3 with the flow of version 1"),
        "{said}"
    );
    assert_eq!(ok(&dir, &["flows", "export"]), fixture(CANONICAL));

    let list = ok(&dir, &["flows", "versions"]);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 3, "{list}");
    assert!(lines[0].starts_with("version 3 ") && lines[0].contains("(rollback to version 1)"));
    assert!(lines[1].starts_with("version 2 ") && lines[1].contains("by cli"));
    assert!(lines[2].starts_with("version 1 ") && lines[2].contains("first version"));

    let out = baton(&dir, &["flows", "rollback", "7"], &[]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("There is no version 7 (versions go from 1 to 3)"));
}

/// A sandbox on a random port, in a background runtime that lives as long as the test. With
/// `under_sandbox`, it is mounted under `/sandbox` as `baton serve` does.
fn start_sandbox(
    under_sandbox: bool,
) -> (
    sandbox::Sandbox,
    std::net::SocketAddr,
    tokio::runtime::Runtime,
) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (sb, addr) = rt.block_on(async {
        let sb = sandbox::Sandbox::new(sandbox::SandboxConfig::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = if under_sandbox {
            axum::Router::new().nest_service("/sandbox", sb.router())
        } else {
            sb.router()
        };
        tokio::spawn(async move { axum::serve(listener, router).await });
        (sb, addr)
    });
    (sb, addr, rt)
}

#[test]
fn page_sandbox_then_publish_pushes_the_profile_or_says_why_not() {
    let dir = TestDb::new();
    let kit = write(dir.path(), "kit.json", &fixture(KIT));
    ok(&dir, &["flows", "import", &kit]);

    // Nothing listens at BATON_ADDR: the version is published, each push step fails.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let out = baton(&dir, &["page", "sandbox"], &[("BATON_ADDR", &closed)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = baton(&dir, &["flows", "publish"], &[]);
    assert!(!out.status.success());
    let said = text(&out.stdout);
    assert!(
        said.contains("published version 1 (first version)"),
        "{said}"
    );
    for step in ["Get Started button", "persistent menu", "greeting"] {
        let line = format!("  {step}: FAILED, Facebook could not be reached or is busy");
        assert!(said.contains(&line), "missing {line:?} in:\n{said}");
    }
    let err = text(&out.stderr);
    assert!(
        err.contains("version 1 is live, but the messenger profile push failed"),
        "{err}"
    );
    assert!(ok(&dir, &["flows", "versions"]).contains("[profile push FAILED]"));

    // The sandbox served where `baton serve` mounts it: publishing again re-pushes.
    let (sb, addr, _rt) = start_sandbox(true);
    let addr = addr.to_string();
    let out = baton(&dir, &["page", "sandbox"], &[("BATON_ADDR", &addr)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    let expected = format!(
        "connected the sandbox page Baton Demo (1234567890); its Graph API is http://{addr}/sandbox/v21.0"
    );
    assert!(said.contains(&expected), "{said}");
    let said = ok(&dir, &["flows", "publish"]);
    assert!(said.contains("published version 2 (0 messages added, 0 changed, 0 removed)"));
    assert!(said.contains("  Get Started button: ok, set"), "{said}");
    let profile = sb.messenger_profile(sandbox::DEFAULT_PAGE_ID).unwrap();
    assert_eq!(profile["get_started"]["payload"], "GET_STARTED");
}

#[test]
fn page_connect_checks_the_token_then_publish_pushes_the_profile() {
    let dir = TestDb::new();
    let (sb, addr, _rt) = start_sandbox(false);
    let graph = format!("http://{addr}/v21.0");
    let env = [("BATON_GRAPH_API_URL", graph.as_str())];
    let connect = |token: &str, page: &str| {
        baton(
            &dir,
            &[
                "page",
                "connect",
                "--page-id",
                page,
                "--access-token",
                token,
                "--app-secret",
                sandbox::DEFAULT_APP_SECRET,
                "--verify-token",
                "verify-me",
                "--app-id",
                sandbox::DEFAULT_APP_ID,
            ],
            &env,
        )
    };
    let out = connect("wrong-token", sandbox::DEFAULT_PAGE_ID);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("Facebook refused the page access token"),
        "{err}"
    );
    assert!(
        !err.contains("wrong-token"),
        "the token is never printed: {err}"
    );

    let out = connect(sandbox::DEFAULT_PAGE_TOKEN, sandbox::DEFAULT_PAGE_ID);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("connected page Baton Demo (1234567890)"));

    let kit = write(dir.path(), "kit.json", &fixture(KIT));
    ok(&dir, &["flows", "import", &kit]);
    let out = baton(&dir, &["flows", "publish"], &env);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    for line in [
        "messenger profile of page Baton Demo (1234567890):",
        "  Get Started button: ok, set",
        "  persistent menu: ok, set (2 items)",
        "  greeting: ok, set",
    ] {
        assert!(said.contains(line), "missing {line:?} in:\n{said}");
    }
    let profile = sb.messenger_profile(sandbox::DEFAULT_PAGE_ID).unwrap();
    assert_eq!(profile["get_started"]["payload"], "GET_STARTED");
    assert_eq!(profile["greeting"][0]["text"], "Hi! Ask us anything.");
    assert_eq!(
        profile["persistent_menu"][0]["call_to_actions"][0]["payload"],
        "b1:menu:0"
    );
    assert!(ok(&dir, &["flows", "versions"]).contains("[profile pushed]"));
}

#[test]
fn page_connect_takes_secrets_from_the_environment_or_stdin() {
    use std::io::Write;
    let dir = TestDb::new();
    let (_sb, addr, _rt) = start_sandbox(false);
    let graph = format!("http://{addr}/v21.0");
    let mut child = dir
        .command()
        .args([
            "page",
            "connect",
            "--page-id",
            sandbox::DEFAULT_PAGE_ID,
            "--app-secret",
            "-",
            "--app-id",
            sandbox::DEFAULT_APP_ID,
        ])
        .env("BATON_GRAPH_API_URL", &graph)
        .env("BATON_PAGE_ACCESS_TOKEN", sandbox::DEFAULT_PAGE_TOKEN)
        .env("BATON_VERIFY_TOKEN", "verify-me")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(
        child.stdin.take().unwrap(),
        "{}",
        sandbox::DEFAULT_APP_SECRET
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("connected page Baton Demo (1234567890)"));
}
