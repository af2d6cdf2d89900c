//! Unit tests for the trigger, handover, persistent menu and greeting rules of `validate`.

use super::tests::after;
use crate::model::*;

#[test]
fn trigger_references() {
    assert_eq!(
        after(|f| f.triggers.get_started = Some("start".into())),
        [r#"triggers.get_started: no message with key "start""#]
    );
    assert_eq!(
        after(|f| f.triggers.fallback = Some(String::new())),
        ["triggers.fallback: no message chosen"]
    );
    assert_eq!(
        after(|f| f.triggers.keywords[0].message = "main_menu2".into()),
        [r#"triggers.keywords[0].message: no message with key "main_menu2""#]
    );
}

#[test]
fn keyword_words() {
    assert_eq!(
        after(|f| f.triggers.keywords[1].words.clear()),
        ["triggers.keywords[1].words: needs at least one word"]
    );
    assert_eq!(
        after(|f| f.triggers.keywords[1].words[0] = "  ".into()),
        ["triggers.keywords[1].words[0]: must not be empty"]
    );
}

#[test]
fn duplicate_words_same_match_kind() {
    // across rules, compared trimmed and lowercased
    assert_eq!(
        after(|f| f.triggers.keywords[1].words.push(" Human".into())),
        [
            r#"triggers.keywords[1].words[1]: duplicate word "Human" (also triggers.keywords[0].words[0])"#
        ]
    );
    // within one rule
    assert_eq!(
        after(|f| f.triggers.keywords[0].words.push("agent".into())),
        [
            r#"triggers.keywords[0].words[2]: duplicate word "agent" (also triggers.keywords[0].words[1])"#
        ]
    );
    // the same word under another match kind is fine
    assert_eq!(
        after(|f| f.triggers.keywords.push(KeywordRule {
            match_kind: MatchKind::Contains,
            words: vec!["human".into()],
            message: "talk_to_human".into(),
        })),
        Vec::<String>::new()
    );
}

#[test]
fn handover_section_references() {
    assert_eq!(
        after(|f| f.handover = Some(HandoverSettings {
            to_inbox_message: Some("x".into()),
            back_to_bot_message: Some("y".into()),
            ..Default::default()
        })),
        [
            r#"handover.to_inbox_message: no message with key "x""#,
            r#"handover.back_to_bot_message: no message with key "y""#,
        ]
    );
    assert_eq!(
        after(|f| f.handover = Some(HandoverSettings::default())),
        Vec::<String>::new()
    );
    let unavailable = |text: &str| {
        let text = text.to_owned();
        after(move |f| {
            f.handover = Some(HandoverSettings {
                unavailable_text: Some(text),
                ..Default::default()
            })
        })
    };
    assert_eq!(unavailable("Nobody is in today"), Vec::<String>::new());
    assert_eq!(
        unavailable(" "),
        ["handover.unavailable_text: must not be empty"]
    );
    assert_eq!(
        unavailable(&"x".repeat(2001)),
        ["handover.unavailable_text: longer than 2000 characters (2001)"]
    );
}

#[test]
fn persistent_menu_rules() {
    let item = |title: &str| MenuItem {
        title: title.into(),
        action: Action::Url {
            url: "https://example.com".into(),
        },
    };
    assert_eq!(
        after(|f| f.persistent_menu = (0..20).map(|_| item("Site")).collect()),
        Vec::<String>::new()
    );
    assert_eq!(
        after(|f| f.persistent_menu = (0..21).map(|_| item("Site")).collect()),
        ["persistent_menu: more than 20 items (21)"]
    );
    assert_eq!(
        after(|f| f.persistent_menu[1].title = "x".repeat(31)),
        ["persistent_menu[1].title: longer than 30 characters (31)"]
    );
    assert_eq!(
        after(|f| f.persistent_menu[1].title = "x".repeat(30)),
        Vec::<String>::new()
    );
    assert_eq!(
        after(|f| f.persistent_menu[0].title = String::new()),
        ["persistent_menu[0].title: must not be empty"]
    );
    assert_eq!(
        after(|f| f.triggers.get_started = None),
        ["persistent_menu: needs a Get Started message (set triggers.get_started)"]
    );
    assert_eq!(
        after(|f| {
            f.triggers.get_started = None;
            f.persistent_menu.clear();
        }),
        Vec::<String>::new()
    );
    assert_eq!(
        after(|f| f.persistent_menu[0].action = Action::Url { url: "https://".into() }),
        ["persistent_menu[0].action.url: must be a full web address starting with http:// or https://"]
    );
    assert_eq!(
        after(|f| f.persistent_menu[0].action = Action::GoTo {
            message: "nope".into()
        }),
        [r#"persistent_menu[0].action.message: no message with key "nope""#]
    );
}

#[test]
fn greeting_rules() {
    assert_eq!(after(|f| f.greeting = None), Vec::<String>::new());
    assert_eq!(
        after(|f| f.greeting = Some("g".repeat(160))),
        Vec::<String>::new()
    );
    assert_eq!(
        after(|f| f.greeting = Some("g".repeat(161))),
        ["greeting: longer than 160 characters (161)"]
    );
    assert_eq!(
        after(|f| f.greeting = Some(String::new())),
        ["greeting: must not be empty"]
    );
}

#[test]
fn several_problems_at_once_in_document_order() {
    let problems = after(|f| {
        f.messages[0].name = String::new();
        f.triggers.fallback = Some("nope".into());
        f.greeting = Some(String::new());
    });
    assert_eq!(
        problems,
        [
            "messages[0].name: must not be empty",
            r#"triggers.fallback: no message with key "nope""#,
            "greeting: must not be empty",
        ]
    );
}
