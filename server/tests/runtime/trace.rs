//! Following one message through the logs: with debug logging on, the webhook delivery's span
//! names its id, the event's span names that delivery and its own id, and the Graph call's
//! span names the event, so an operator can follow a user's message from the webhook to the
//! Graph API call it caused (docs/architecture.md, "Following one message").

use std::cell::RefCell;
use std::io::Write;
use std::sync::{Arc, Mutex, Once};

use crate::support::live::{live, MENU, PAGE};

/// Log output kept in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

thread_local! {
    /// Where this thread's log lines go (nowhere unless a test captures them).
    static CAPTURE: RefCell<Option<Captured>> = const { RefCell::new(None) };
}

/// The global subscriber's writer: each line goes to its thread's capture, if any.
struct ToThisThread;

impl Write for ToThisThread {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURE.with(|c| {
            if let Some(c) = &*c.borrow() {
                c.0.lock().unwrap().extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures the debug logs of `server` and `domain` written on this thread from now on.
///
/// A subscriber set for one thread (`tracing::subscriber::set_default`) misses events while
/// other tests of the binary run: a callsite first reached on a thread without a subscriber
/// can be cached as uninteresting. So one global subscriber writes, and each line goes to
/// the capture of the thread that wrote it.
fn capture_this_thread() -> Captured {
    static GLOBAL: Once = Once::new();
    GLOBAL.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(|| ToThisThread)
            .with_env_filter("server=debug,domain=debug")
            .with_ansi(false)
            .without_time()
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in this test binary");
    });
    let captured = Captured::default();
    CAPTURE.with(|c| *c.borrow_mut() = Some(captured.clone()));
    captured
}

impl Captured {
    fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// The value of `field` in span `span`'s fields on a log line (`span{a=1 b=2}: …`).
fn span_field(line: &str, span: &str, field: &str) -> Option<String> {
    let start = line.find(&format!("{span}{{"))? + span.len() + 1;
    let fields = &line[start..start + line[start..].find('}')?];
    fields
        .split(' ')
        .find_map(|kv| kv.strip_prefix(&format!("{field}=")))
        .map(str::to_owned)
}

/// The one line with `message` whose span `span` has `field=value`.
fn line_with<'a>(
    lines: &'a [String],
    message: &str,
    span: &str,
    field: &str,
    value: &str,
) -> &'a str {
    let found: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains(message))
        .filter(|l| span_field(l, span, field).as_deref() == Some(value))
        .collect();
    assert!(
        !found.is_empty(),
        "no {message:?} line with {span}.{field}={value} in:\n{}",
        lines.join("\n")
    );
    found[0]
}

// A current-thread runtime: the server, the sandbox and the drained workers all run on this
// thread, so its capture holds every line of the message's way.
#[tokio::test(flavor = "current_thread")]
async fn one_message_is_followed_from_the_webhook_to_the_graph_call() {
    let logs = capture_this_thread();

    let s = live().await;
    s.state.sandbox.user_get_started(&s.psid).unwrap();
    s.settle().await;
    assert_eq!(s.seen(), [MENU]);
    let lines = logs.lines();

    // The delivery: stored, with its id and page.
    let stored = line_with(&lines, "webhook delivery stored", "delivery", "page", PAGE);
    let delivery = span_field(stored, "delivery", "delivery").expect("delivery id recorded");
    delivery.parse::<i64>().expect("a numeric delivery id");

    // Its event: applied inside a span naming the delivery, the user and the user's lane.
    let applied = line_with(&lines, "event applied", "event", "delivery", &delivery);
    assert_eq!(
        span_field(applied, "event", "user").as_deref(),
        Some(s.psid.as_str())
    );
    assert_eq!(span_field(applied, "event", "page").as_deref(), Some(PAGE));
    let lane = span_field(applied, "event", "lane").expect("the event's lane");
    let event = span_field(applied, "event", "event").expect("event id");

    // The menu it caused: a Send API call whose span names that event, user and lane.
    let sent = lines
        .iter()
        .filter(|l| l.contains("Graph call made"))
        .filter(|l| span_field(l, "graph_call", "event").as_deref() == Some(event.as_str()))
        .find(|l| span_field(l, "graph_call", "kind").as_deref() == Some("message"))
        .unwrap_or_else(|| panic!("no message call for event {event}:\n{}", lines.join("\n")));
    assert_eq!(
        span_field(sent, "graph_call", "user").as_deref(),
        Some(s.psid.as_str())
    );
    assert_eq!(span_field(sent, "graph_call", "lane"), Some(lane));
    assert!(sent.contains("ok=true"), "{sent}");
}
