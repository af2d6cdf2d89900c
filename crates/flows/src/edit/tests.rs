//! Unit tests for the editing operations.

use super::*;
use crate::kit::example_flow;
use crate::problem::Severity;
use crate::runtime::used_by;
use crate::validate::validate;

fn keys(flow: &Flow) -> Vec<&str> {
    flow.messages.iter().map(|m| m.key.as_str()).collect()
}

fn errors(flow: &Flow) -> Vec<String> {
    let problems = validate(flow).into_iter();
    let errors = problems.filter(|p| p.severity == Severity::Error);
    errors.map(|p| p.to_string()).collect()
}

fn action(flow: &Flow, key: &str, button: usize) -> Action {
    let part = &flow.message(key).unwrap().parts[0];
    let buttons = part.buttons().iter().map(|b| &b.action);
    let replies = part.quick_replies().iter().map(|q| &q.action);
    buttons.chain(replies).nth(button).unwrap().clone()
}

fn go_to(key: &str) -> Action {
    Action::GoTo {
        message: key.into(),
    }
}

#[test]
fn keys_from_names() {
    assert_eq!(key_from_name("Talk to a human!"), "talk_to_a_human");
    assert_eq!(key_from_name("Ação 2"), "a_o_2");
    assert_eq!(key_from_name("  --Main   MENU--  "), "main_menu");
    assert_eq!(key_from_name("!!!"), "message");
    assert_eq!(key_from_name("日本語"), "message");
    assert_eq!(key_from_name(""), "message");
    let long = key_from_name(&"word ".repeat(20));
    assert!(long.len() <= 40 && !long.ends_with('_'), "{long}");
    assert!(long.starts_with("word_word_"));
}

#[test]
fn add_message_appends_an_empty_text() {
    let mut flow = example_flow();
    assert_eq!(add_message(&mut flow, "  Opening hours "), "opening_hours");
    assert_eq!(add_message(&mut flow, "Main menu"), "main_menu_2");
    assert_eq!(add_message(&mut flow, "   "), "new_message");
    let added = &flow.messages[4];
    assert_eq!(added.name, "Opening hours");
    assert_eq!(added.parts, vec![Part::Text(TextPart::default())]);
    assert_eq!(flow.messages[6].name, "New message");
    // the empty text is for the editor to fill in
    assert_eq!(
        errors(&flow)[0],
        "messages[4].parts[0].text: must not be empty"
    );
}

#[test]
fn duplicate_inserts_a_copy_after_the_original() {
    let mut flow = example_flow();
    assert_eq!(
        duplicate_message(&mut flow, "talk_to_human").unwrap(),
        "talk_to_human_2"
    );
    assert_eq!(
        duplicate_message(&mut flow, "talk_to_human").unwrap(),
        "talk_to_human_3"
    );
    assert_eq!(
        keys(&flow)[..4],
        [
            "talk_to_human",
            "talk_to_human_3",
            "talk_to_human_2",
            "now_human"
        ]
    );
    let copy = flow.message("talk_to_human_2").unwrap();
    assert_eq!(copy.name, "Talk to a human (copy)");
    assert_eq!(copy.parts, flow.messages[0].parts);
    assert_eq!(duplicate_message(&mut flow, "nope"), None);
    // a 64-character key still gets a valid key for its copy
    flow.messages[0].key = "k".repeat(64);
    let long = duplicate_message(&mut flow, &"k".repeat(64)).unwrap();
    assert!(long.len() <= 64, "{long}");
}

#[test]
fn delete_clears_every_reference() {
    let mut flow = example_flow();
    let before = used_by(&flow, "main_menu").len();
    assert_eq!(before, 5);
    assert_eq!(delete_message(&mut flow, "main_menu", None), before);
    assert!(flow.message("main_menu").is_none());
    assert!(used_by(&flow, "main_menu").is_empty());
    assert_eq!(flow.triggers.get_started, None);
    assert_eq!(flow.triggers.fallback, None);
    assert_eq!(flow.triggers.keywords[1].message, "");
    assert_eq!(flow.persistent_menu[0].action, go_to(""));
    // other references are untouched
    assert_eq!(flow.triggers.keywords[0].message, "talk_to_human");
    assert_eq!(
        errors(&flow),
        [
            "messages[2].parts[0].quick_replies[0].action.message: no message chosen",
            "triggers.keywords[1].message: no message chosen",
            "persistent_menu: needs a Get Started message (set triggers.get_started)",
            "persistent_menu[0].action.message: no message chosen",
        ]
    );
}

#[test]
fn delete_with_replacement_retargets() {
    let mut flow = example_flow();
    let before = used_by(&flow, "main_menu");
    assert_eq!(
        delete_message(&mut flow, "main_menu", Some("talk_to_human")),
        before.len()
    );
    assert!(used_by(&flow, "main_menu").is_empty());
    let now = used_by(&flow, "talk_to_human");
    assert!(before.iter().all(|p| now.contains(p)), "{now:?}");
    assert_eq!(flow.triggers.get_started.as_deref(), Some("talk_to_human"));
    assert_eq!(errors(&flow), Vec::<String>::new());
    // confirmations and the handover section are references too
    assert_eq!(
        delete_message(&mut flow, "now_human", Some("back_in_bot")),
        2
    );
    assert_eq!(
        flow.handover.as_ref().unwrap().to_inbox_message.as_deref(),
        Some("back_in_bot")
    );
    assert_eq!(delete_message(&mut flow, "nope", None), 0);
}

#[test]
fn delete_keeps_references_to_a_duplicated_key() {
    let mut flow = example_flow();
    flow.messages.push(flow.messages[3].clone());
    assert_eq!(delete_message(&mut flow, "main_menu", None), 0);
    assert_eq!(
        keys(&flow),
        ["talk_to_human", "now_human", "back_in_bot", "main_menu"]
    );
    assert_eq!(used_by(&flow, "main_menu").len(), 5);
}

#[test]
fn move_items() {
    let mut list = vec!['a', 'b', 'c', 'd'];
    assert!(move_item(&mut list, 0, 2));
    assert_eq!(list, ['b', 'c', 'a', 'd']);
    assert!(move_item(&mut list, 3, 0));
    assert_eq!(list, ['d', 'b', 'c', 'a']);
    assert!(!move_item(&mut list, 1, 1));
    assert!(!move_item(&mut list, 4, 0));
    assert!(!move_item(&mut list, 0, 4));
    assert_eq!(list, ['d', 'b', 'c', 'a']);
    assert!(!move_item(&mut Vec::<u8>::new(), 0, 0));
}

#[test]
fn kit_on_an_empty_flow_adds_a_main_menu() {
    let mut flow = Flow::default();
    let added = add_handover_kit(&mut flow);
    assert_eq!(
        added,
        KitAdded {
            talk: "talk_to_human".into(),
            now_human: "now_human".into(),
            back: "back_in_bot".into(),
            main_menu: "main_menu".into(),
            created_main_menu: true,
        }
    );
    assert_eq!(
        keys(&flow),
        ["talk_to_human", "now_human", "back_in_bot", "main_menu"]
    );
    assert_eq!(action(&flow, "main_menu", 0), go_to("talk_to_human"));
    assert_eq!(errors(&flow), Vec::<String>::new());
    assert_eq!(flow.triggers, crate::model::Triggers::default());
}

#[test]
fn kit_on_the_example_flow_gets_free_keys() {
    let mut flow = example_flow();
    let triggers = flow.triggers.clone();
    let added = add_handover_kit(&mut flow);
    assert_eq!(
        [&added.talk, &added.now_human, &added.back, &added.main_menu],
        [
            "talk_to_human_2",
            "now_human_2",
            "back_in_bot_2",
            "main_menu"
        ]
    );
    assert!(!added.created_main_menu);
    assert_eq!(flow.messages.len(), 7);
    assert_eq!(
        action(&flow, "talk_to_human_2", 0),
        Action::Handover {
            target: crate::model::HandoverTarget::PageInbox,
            confirmation: "now_human_2".into(),
        }
    );
    assert_eq!(
        action(&flow, "now_human_2", 0),
        Action::ReturnToBot {
            confirmation: "back_in_bot_2".into(),
        }
    );
    assert_eq!(action(&flow, "back_in_bot_2", 0), go_to("main_menu"));
    assert_eq!(flow.triggers, triggers);
    assert_eq!(errors(&flow), Vec::<String>::new());
}

#[test]
fn kit_finds_the_main_menu_by_name_or_get_started() {
    let mut flow = Flow::default();
    add_message(&mut flow, "Welcome");
    add_message(&mut flow, "Main Menu");
    flow.messages[1].key = "start".into();
    let added = add_handover_kit(&mut flow);
    assert_eq!(added.main_menu, "start");
    assert!(!added.created_main_menu);
    assert_eq!(action(&flow, &added.back, 0), go_to("start"));
    assert_eq!(
        keys(&flow),
        [
            "welcome",
            "start",
            "talk_to_human",
            "now_human",
            "back_in_bot"
        ]
    );

    // the Get Started message wins over a name match
    let mut flow = example_flow();
    flow.messages[3].key = "menu".into();
    flow.triggers.get_started = Some("now_human".into());
    assert_eq!(add_handover_kit(&mut flow).main_menu, "now_human");
    // a Get Started key naming no message is ignored
    let mut flow = example_flow();
    flow.messages[3].key = "menu".into();
    flow.triggers.get_started = Some("gone".into());
    assert_eq!(add_handover_kit(&mut flow).main_menu, "menu");
}
