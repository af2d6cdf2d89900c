//! Unit tests for `describe_changes`.

use super::*;
use crate::diff::summarize_changes;
use crate::kit::example_flow;
use crate::model::{
    Button, HandoverSettings, ImagePart, MenuItem, QuickReply, TextPart, TypingPart,
};

/// `describe_changes(example, example after change)`.
fn after(change: impl FnOnce(&mut Flow)) -> Vec<String> {
    let old = example_flow();
    let mut new = old.clone();
    change(&mut new);
    describe_changes(&old, &new)
}

fn text<'a>(flow: &'a mut Flow, key: &str) -> &'a mut TextPart {
    match &mut flow.message_mut(key).unwrap().parts[0] {
        Part::Text(t) => t,
        other => panic!("not a text part: {other:?}"),
    }
}

fn url(url: &str) -> Action {
    Action::Url { url: url.into() }
}

fn go_to(key: &str) -> Action {
    Action::GoTo {
        message: key.into(),
    }
}

fn image(url: &str, quick_replies: Vec<QuickReply>) -> Part {
    Part::Image(ImagePart {
        url: url.into(),
        quick_replies,
    })
}

fn typing(seconds: u32) -> Part {
    Part::Typing(TypingPart { seconds })
}

#[test]
fn equal_flows_have_no_lines() {
    assert!(after(|_| {}).is_empty());
    assert!(describe_changes(&Flow::default(), &Flow::default()).is_empty());
}

#[test]
fn messages_added_removed_renamed_reordered() {
    let lines = after(|f| {
        f.messages.remove(1); // now_human
        f.message_mut("main_menu").unwrap().name = "Menu".into();
        crate::edit::add_message(f, "Opening hours");
        f.messages.swap(0, 1);
    });
    assert_eq!(
        lines,
        [
            "Removed message “Now with a person”",
            "“Menu”: renamed from “Main menu”",
            "Added message “Opening hours”",
            "Messages reordered",
        ]
    );
}

#[test]
fn parts() {
    let mut old = example_flow();
    let qr = old.messages[2].quick_replies().to_vec();
    old.messages[2].parts = vec![
        typing(2),
        image("https://example.com/a.png", qr.clone()),
        typing(1),
    ];
    let mut new = old.clone();
    new.messages[2].parts = vec![typing(3), image("https://example.com/b.png", qr)];
    new.messages[1].parts[0] = image("https://example.com/c.png", vec![]);
    text(&mut new, "main_menu").text = "How can we help you?".into();
    let main_menu = new.message_mut("main_menu").unwrap();
    main_menu
        .parts
        .push(image("https://example.com/d.png", vec![]));
    text(&mut new, "talk_to_human").text =
        "Click the button below to speak to a real person, any day between 9 am and 5 pm".into();
    assert_eq!(
        describe_changes(&old, &new),
        [
            "“Talk to a human”, part 1: text changed from “Click the button below to speak to a \
             real person” to “Click the button below to speak to a rea…tween 9 am and 5 pm”",
            "“Now with a person”, part 1 is now an image (was text)",
            "“Back in the bot”, part 1: typing delay 2 s -> 3 s",
            "“Back in the bot”, part 2: image address changed",
            "“Back in the bot”, part 3 removed (typing)",
            "“Main menu”, part 1: text changed from “How can we help?” to “How can we help you?”",
            "“Main menu”, part 2 added (image)",
        ]
    );
    // a change hidden in the shortened middle still gets a line
    let long = "x".repeat(50) + &"y".repeat(50);
    text(&mut old, "main_menu").text = long.clone();
    new = old.clone();
    text(&mut new, "main_menu").text = long.replacen("xy", "x-y", 1);
    assert_eq!(
        describe_changes(&old, &new),
        ["“Main menu”, part 1: text changed"]
    );
}

#[test]
fn buttons_and_quick_replies() {
    let lines = after(|f| {
        text(f, "main_menu").buttons = vec![
            Button {
                title: "Site".into(),
                action: url("https://example.com"),
            },
            Button {
                title: "Talk to human".into(),
                action: Action::Handover {
                    target: crate::model::HandoverTarget::PageInbox,
                    confirmation: "now_human".into(),
                },
            },
            Button {
                title: "Prices".into(),
                action: url("https://example.com/prices"),
            },
        ];
        text(f, "now_human").buttons.clear();
        let back = text(f, "back_in_bot");
        back.quick_replies[0].action = Action::ReturnToBot {
            confirmation: "gone".into(),
        };
        back.quick_replies.insert(
            0,
            QuickReply {
                title: "Talk to us".into(),
                action: go_to("talk_to_human"),
            },
        );
    });
    assert_eq!(
        lines,
        [
            "“Now with a person”, part 1: button “Return to bot” removed",
            "“Back in the bot”, part 1: quick reply “Talk to us” added (goes to message \
             “Talk to a human”)",
            "“Back in the bot”, part 1: quick reply “Main menu” now passes control back to \
             the bot (confirmation “gone”)",
            "“Main menu”, part 1: button 1 renamed “Website” -> “Site”",
            "“Main menu”, part 1: button “Talk to human” now hands over to the Page Inbox \
             (confirmation “Now with a person”)",
            "“Main menu”, part 1: button “Prices” added (opens https://example.com/prices)",
        ]
    );
    assert_eq!(
        after(|f| text(f, "main_menu").buttons.swap(0, 1)),
        ["“Main menu”, part 1: buttons reordered"]
    );
}

#[test]
fn triggers() {
    let lines = after(|f| {
        let t = &mut f.triggers;
        t.get_started = Some("talk_to_human".into());
        t.fallback = None;
        t.keywords[0].words.push("person".into());
        t.keywords.push(KeywordRule {
            match_kind: MatchKind::Contains,
            words: vec!["price".into()],
            message: String::new(),
        });
    });
    assert_eq!(
        lines,
        [
            "Get Started message: “Main menu” -> “Talk to a human”",
            "Fallback message cleared",
            "Keyword rule 1 changed: exact “human, agent, person” -> message “Talk to a human”",
            "Keyword rule 3 added: contains “price” -> message (none chosen)",
        ]
    );
    let lines = after(|f| {
        f.triggers.keywords.remove(0);
        f.triggers.get_started = None;
    });
    assert_eq!(
        lines,
        [
            "Get Started message cleared",
            "Keyword rule 1 removed: exact “human, agent” -> message “Talk to a human”",
        ]
    );
    let mut old = example_flow();
    old.triggers.fallback = None;
    let mut new = old.clone();
    new.triggers.fallback = Some("back_in_bot".into());
    new.triggers.keywords.swap(0, 1);
    assert_eq!(
        describe_changes(&old, &new),
        [
            "Fallback message set to “Back in the bot”",
            "Keyword rules reordered"
        ]
    );
}

#[test]
fn handover_menu_greeting_version() {
    let lines = after(|f| {
        f.version = 2;
        f.handover = Some(HandoverSettings {
            to_inbox_message: Some("main_menu".into()),
            back_to_bot_message: None,
            ..Default::default()
        });
        f.persistent_menu[1].title = "Human".into();
        f.persistent_menu.push(MenuItem {
            title: "Website".into(),
            action: url("https://example.com"),
        });
        f.greeting = Some("Hello!".into());
    });
    assert_eq!(
        lines,
        [
            "Format version changed from 1 to 2",
            "Handover settings changed: message when moved to the Page Inbox “Now with a \
             person” -> “Main menu”",
            "Handover settings changed: message when moved back to the bot cleared",
            "Persistent menu: item 2 renamed “Talk to human” -> “Human”",
            "Persistent menu: item “Website” added (opens https://example.com)",
            "Greeting changed from “Hi! Ask us anything.” to “Hello!”",
        ]
    );
    assert_eq!(
        after(|f| {
            f.greeting = None;
            f.persistent_menu.remove(0);
        }),
        [
            "Persistent menu: item “Main menu” removed",
            "Greeting removed"
        ]
    );
    let mut old = example_flow();
    old.greeting = None;
    old.handover = None;
    let mut new = old.clone();
    new.greeting = Some("Hi".into());
    new.handover = Some(HandoverSettings::default());
    assert_eq!(
        describe_changes(&old, &new),
        ["Handover settings changed", "Greeting set to “Hi”"]
    );
}

/// Whenever `summarize_changes` reports something, there is at least one line.
#[test]
fn every_summarized_change_gets_a_line() {
    let edits: Vec<fn(&mut Flow)> = vec![
        |f| f.version = 3,
        |f| f.messages.reverse(),
        |f| f.messages.clear(),
        |f| f.messages[0].key = "other".into(),
        |f| f.messages[3].parts.clear(),
        |f| f.messages[2].parts.push(typing(1)),
        |f| text(f, "main_menu").text.push('\n'),
        |f| text(f, "back_in_bot").quick_replies[0].title.push('!'),
        |f| f.triggers = Default::default(),
        |f| f.triggers.keywords[1].match_kind = MatchKind::Contains,
        |f| f.handover = None,
        |f| f.persistent_menu.reverse(),
        |f| f.persistent_menu[0].action = go_to(""),
        |f| f.greeting = Some(String::new()),
    ];
    let quiet = "0 messages added, 0 changed, 0 removed";
    for (i, edit) in edits.into_iter().enumerate() {
        let old = example_flow();
        let mut new = old.clone();
        edit(&mut new);
        assert_ne!(summarize_changes(&old, &new), quiet, "edit {i}");
        assert!(!describe_changes(&old, &new).is_empty(), "edit {i}");
        // and the other way round
        assert!(
            !describe_changes(&new, &old).is_empty(),
            "edit {i} reversed"
        );
    }
}

#[test]
fn duplicated_keys_do_not_panic() {
    let old = example_flow();
    let mut new = old.clone();
    new.messages.push(new.messages[0].clone());
    new.messages[4].name = "Twin".into();
    assert_eq!(describe_changes(&old, &new), ["Added message “Twin”"]);
    assert_eq!(describe_changes(&new, &old), ["Removed message “Twin”"]);
}

#[test]
fn shortening() {
    assert_eq!(shorten("  two\n lines "), "two lines");
    let long: String = ('a'..='z').cycle().take(100).collect();
    let short = shorten(&long);
    assert_eq!(short.chars().count(), QUOTE_MAX);
    assert!(short.starts_with("abcdefghij") && short.contains('…') && short.ends_with("stuv"));
    assert_eq!(shorten(&"é".repeat(60)), "é".repeat(60));
}
