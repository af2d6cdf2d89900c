//! Unit tests for the message, part, button and quick reply rules of `validate`.

use crate::kit::{example_flow, handover_kit};
use crate::model::*;
use crate::problem::Severity;
use crate::validate::validate;

/// Problems (as `path: message`) of the example flow after `change`.
pub(super) fn after(change: impl FnOnce(&mut Flow)) -> Vec<String> {
    let mut flow = example_flow();
    change(&mut flow);
    validate(&flow).iter().map(ToString::to_string).collect()
}

fn text(flow: &mut Flow, m: usize) -> &mut TextPart {
    match &mut flow.messages[m].parts[0] {
        Part::Text(t) => t,
        other => panic!("not a text part: {other:?}"),
    }
}

fn go_to(key: &str) -> Action {
    Action::GoTo {
        message: key.into(),
    }
}

fn qr(title: &str) -> QuickReply {
    QuickReply {
        title: title.into(),
        action: go_to("main_menu"),
    }
}

#[test]
fn example_is_clean() {
    assert_eq!(after(|_| {}), Vec::<String>::new());
}

#[test]
fn version_must_be_1() {
    assert_eq!(
        after(|f| f.version = 2),
        ["version: unsupported version 2 (this Baton reads version 1)"]
    );
}

#[test]
fn key_rules() {
    assert_eq!(
        after(|f| f.messages[3].key = String::new()),
        [
            "messages[3].key: must not be empty",
            // the references to main_menu now dangle too
            r#"messages[2].parts[0].quick_replies[0].action.message: no message with key "main_menu""#,
            r#"triggers.get_started: no message with key "main_menu""#,
            r#"triggers.fallback: no message with key "main_menu""#,
            r#"triggers.keywords[1].message: no message with key "main_menu""#,
            r#"persistent_menu[0].action.message: no message with key "main_menu""#,
        ]
    );
    let mut flow = example_flow();
    flow.messages[3].key = "Main Menu".into();
    let first = validate(&flow)[0].to_string();
    assert_eq!(
        first,
        "messages[3].key: may only use lowercase letters a-z, digits 0-9, _ and - (found 'M')"
    );
    assert_eq!(
        after(|f| f.messages.push(Message {
            key: "k".repeat(65),
            name: "Long".into(),
            parts: vec![Part::Text(TextPart {
                text: "Hi".into(),
                ..TextPart::default()
            })],
        })),
        ["messages[4].key: longer than 64 characters (65)"]
    );
    assert_eq!(
        after(|f| f.messages.push(Message {
            key: "a-b_c9".into(),
            name: "Fine".into(),
            parts: vec![Part::Text(TextPart {
                text: "Hi".into(),
                ..TextPart::default()
            })],
        })),
        Vec::<String>::new()
    );
}

#[test]
fn duplicate_key() {
    assert_eq!(
        after(|f| {
            let copy = f.messages[0].clone();
            f.messages.push(copy);
        }),
        [r#"messages[4].key: duplicate key "talk_to_human" (also messages[0])"#]
    );
}

#[test]
fn name_and_parts_required() {
    assert_eq!(
        after(|f| f.messages[1].name = "  ".into()),
        ["messages[1].name: must not be empty"]
    );
    assert_eq!(
        after(|f| f.messages[3].parts.clear()),
        ["messages[3].parts: needs at least one part"]
    );
}

#[test]
fn text_length_rules() {
    assert_eq!(
        after(|f| text(f, 2).text = String::new()),
        ["messages[2].parts[0].text: must not be empty"]
    );
    assert_eq!(
        after(|f| text(f, 0).text = " ".into()),
        ["messages[0].parts[0].text: must not be empty"]
    );
    // no buttons: 2000 characters (counted as chars, not bytes)
    assert_eq!(
        after(|f| text(f, 2).text = "é".repeat(2000)),
        Vec::<String>::new()
    );
    assert_eq!(
        after(|f| text(f, 2).text = "é".repeat(2001)),
        ["messages[2].parts[0].text: longer than 2000 characters (2001)"]
    );
    // with buttons: 640
    assert_eq!(
        after(|f| text(f, 3).text = "x".repeat(640)),
        Vec::<String>::new()
    );
    assert_eq!(
        after(|f| text(f, 3).text = "x".repeat(641)),
        ["messages[3].parts[0].text: longer than 640 characters (641), the limit for text with buttons"]
    );
}

#[test]
fn at_most_three_buttons() {
    assert_eq!(
        after(|f| {
            let t = text(f, 3);
            let b = t.buttons[1].clone();
            t.buttons.push(b.clone());
            t.buttons.push(b);
        }),
        ["messages[3].parts[0].buttons: more than 3 buttons (4)"]
    );
}

#[test]
fn button_titles() {
    assert_eq!(
        after(|f| text(f, 3).buttons[1].title = String::new()),
        ["messages[3].parts[0].buttons[1].title: must not be empty"]
    );
    assert_eq!(
        after(|f| text(f, 3).buttons[1].title = "Talk to a human being!!!".into()),
        ["messages[3].parts[0].buttons[1].title: longer than 20 characters (24)"]
    );
    assert_eq!(
        after(|f| text(f, 3).buttons[1].title = "ü".repeat(20)),
        Vec::<String>::new()
    );
}

#[test]
fn quick_reply_rules() {
    assert_eq!(
        after(|f| text(f, 2).quick_replies[0].title = "\t".into()),
        ["messages[2].parts[0].quick_replies[0].title: must not be empty"]
    );
    assert_eq!(
        after(|f| text(f, 2).quick_replies[0].title = "x".repeat(21)),
        ["messages[2].parts[0].quick_replies[0].title: longer than 20 characters (21)"]
    );
    assert_eq!(
        after(|f| text(f, 2).quick_replies = (0..13).map(|_| qr("Menu")).collect()),
        Vec::<String>::new()
    );
    assert_eq!(
        after(|f| text(f, 2).quick_replies = (0..14).map(|_| qr("Menu")).collect()),
        ["messages[2].parts[0].quick_replies: more than 13 quick replies (14)"]
    );
    assert_eq!(
        after(|f| text(f, 2).quick_replies[0].action = Action::Url {
            url: "https://example.com".into()
        }),
        ["messages[2].parts[0].quick_replies[0].action: a quick reply cannot open a web address (only buttons and the persistent menu can)"]
    );
}

#[test]
fn quick_replies_only_on_last_part() {
    assert_eq!(
        after(|f| f.messages[2].parts.push(Part::Text(TextPart {
            text: "More".into(),
            ..TextPart::default()
        }))),
        ["messages[2].parts[0].quick_replies: quick replies are only allowed on the last part of a message"]
    );
    // an image as last part may carry them
    assert_eq!(
        after(|f| f.messages[0].parts.push(Part::Image(ImagePart {
            url: "https://example.com/a.png".into(),
            quick_replies: vec![qr("Menu")],
        }))),
        Vec::<String>::new()
    );
}

#[test]
fn urls_must_be_absolute_http() {
    assert_eq!(
        after(|f| text(f, 3).buttons[0].action = Action::Url {
            url: "example.com".into()
        }),
        ["messages[3].parts[0].buttons[0].action.url: must be a full web address starting with http:// or https://"]
    );
    assert_eq!(
        after(|f| f.messages[3].parts.insert(0, Part::Image(ImagePart {
            url: "ftp://example.com/a.png".into(),
            quick_replies: vec![],
        }))),
        ["messages[3].parts[0].url: must be a full web address starting with http:// or https://"]
    );
}

#[test]
fn action_references() {
    assert_eq!(
        after(|f| text(f, 3).buttons[1].action = go_to("nope")),
        [r#"messages[3].parts[0].buttons[1].action.message: no message with key "nope""#]
    );
    assert_eq!(
        after(|f| text(f, 3).buttons[1].action = go_to("")),
        ["messages[3].parts[0].buttons[1].action.message: no message chosen"]
    );
    assert_eq!(
        after(|f| text(f, 1).buttons[0].action = Action::ReturnToBot {
            confirmation: "gone".into()
        }),
        [r#"messages[1].parts[0].buttons[0].action.confirmation: no message with key "gone""#]
    );
    assert_eq!(
        after(|f| text(f, 0).buttons[0].action = Action::Handover {
            target: HandoverTarget::PageInbox,
            confirmation: "gone".into()
        }),
        [r#"messages[0].parts[0].buttons[0].action.confirmation: no message with key "gone""#]
    );
}

#[test]
fn typing_seconds_bounds() {
    let typing = |s| {
        after(move |f| {
            f.messages[3]
                .parts
                .insert(0, Part::Typing(TypingPart { seconds: s }))
        })
    };
    assert_eq!(typing(1), Vec::<String>::new());
    assert_eq!(typing(20), Vec::<String>::new());
    assert_eq!(
        typing(0),
        ["messages[3].parts[0].seconds: must be from 1 to 20 seconds (0)"]
    );
    assert_eq!(
        typing(21),
        ["messages[3].parts[0].seconds: must be from 1 to 20 seconds (21)"]
    );
}

#[test]
fn payload_length() {
    let mut flow = example_flow();
    let key = "k".repeat(1000);
    flow.messages[3].key = key.clone();
    flow.triggers.get_started = Some(key.clone());
    flow.triggers.fallback = Some(key.clone());
    flow.triggers.keywords[1].message = key.clone();
    flow.persistent_menu[0].action = go_to(&key);
    text(&mut flow, 2).quick_replies[0].action = go_to(&key);
    let problems: Vec<String> = validate(&flow).iter().map(ToString::to_string).collect();
    assert_eq!(
        problems,
        [
            "messages[3].key: longer than 64 characters (1000)",
            // the url button (index 0) has no payload
            "messages[3].parts[0].buttons[1]: postback payload longer than 1000 characters (1009); use a shorter message key",
        ]
    );
}

#[test]
fn warnings() {
    let mut flow = example_flow();
    flow.messages[3]
        .parts
        .push(Part::Typing(TypingPart { seconds: 2 }));
    text(&mut flow, 1).buttons[0].action = go_to("main_menu");
    let problems = validate(&flow);
    assert!(problems.iter().all(|p| p.severity == Severity::Warning));
    let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            r#"messages[0].parts[0].buttons[0].action.confirmation: message "now_human" has no "return to bot" button, so people cannot come back to the bot themselves"#,
            "messages[3].parts[1]: a typing delay as the last part shows nothing after it",
        ]
    );
}

#[test]
fn example_flow_has_no_problems() {
    assert_eq!(validate(&example_flow()), vec![]);
}

#[test]
fn kit_alone_only_misses_main_menu() {
    let flow = Flow {
        messages: handover_kit(),
        ..Flow::default()
    };
    let problems: Vec<String> = validate(&flow).iter().map(|p| p.to_string()).collect();
    assert_eq!(
        problems,
        vec![
            r#"messages[2].parts[0].quick_replies[0].action.message: no message with key "main_menu""#
        ]
    );
}
