//! `parse_flow` error reporting: every problem at once, each with its JSON path.

use flows::{parse_flow, to_json, Severity};
use serde_json::{json, Value};

const FIXTURE: &str = include_str!("../fixtures/handover_kit.json");

fn fixture() -> Value {
    serde_json::from_str(FIXTURE).unwrap()
}

/// Problems of `value` as `path: message`; panics if it imports fine.
fn problems(value: &Value) -> Vec<String> {
    match parse_flow(&value.to_string()) {
        Ok(flow) => panic!("imported fine: {}", to_json(&flow)),
        Err(p) => {
            assert!(p.iter().all(|p| p.severity == Severity::Error));
            p.iter().map(ToString::to_string).collect()
        }
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn not_json_is_one_problem_at_root() {
    let errs = parse_flow("{ \"version\": 1,\n  oops }").unwrap_err();
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].path, "$");
    assert_eq!(
        errs[0].to_string(),
        "$: not valid JSON: key must be a string at line 2 column 3"
    );
    assert_eq!(parse_flow("").unwrap_err()[0].path, "$");
}

#[test]
fn root_must_be_an_object() {
    assert_eq!(problems(&json!([1, 2])), ["$: expected an object"]);
    assert_eq!(problems(&json!(null)), ["$: expected an object"]);
}

#[test]
fn missing_required_top_level() {
    assert_eq!(
        sorted(problems(&json!({}))),
        ["messages: missing", "version: missing"]
    );
}

#[test]
fn several_problems_reported_at_once() {
    let mut f = fixture();
    f["colour"] = json!("blue");
    f["messages"][0]["colour"] = json!("red");
    f["messages"][1].as_object_mut().unwrap().remove("key");
    f["messages"][3]["parts"][0]["buttons"][1]["title"] = json!("Talk to a human being!!!");
    f["messages"][3]["parts"][0]["buttons"][0]["action"] = json!({"type": "call", "number": "1"});
    f["messages"][2]["parts"][0]["text"] = json!(42);
    f["triggers"]["keywords"][0]["match"] = json!("regex");
    f["greeting"] = json!(["hi"]);
    assert_eq!(
        sorted(problems(&f)),
        sorted(vec![
            "colour: unknown field".into(),
            "messages[0].colour: unknown field".into(),
            "messages[1].key: missing".into(),
            "messages[2].parts[0].text: expected a string".into(),
            r#"messages[3].parts[0].buttons[0].action.type: unknown action type "call" (expected go_to, url, handover, return_to_bot)"#.into(),
            "messages[3].parts[0].buttons[1].title: longer than 20 characters (24)".into(),
            r#"triggers.keywords[0].match: unknown match "regex" (expected exact, contains)"#.into(),
            "greeting: expected a string".into(),
            // messages[1] had key now_human: the references to it now dangle
            r#"messages[0].parts[0].buttons[0].action.confirmation: no message with key "now_human""#.into(),
            r#"handover.to_inbox_message: no message with key "now_human""#.into(),
        ])
    );
}

#[test]
fn structural_problem_is_not_repeated_by_validation() {
    let mut f = fixture();
    f["messages"][0]["key"] = json!(7);
    f["messages"][0]["parts"] = json!("none");
    let p = problems(&f);
    // no "must not be empty" / "needs at least one part" echoes of the same paths
    assert_eq!(
        sorted(p),
        sorted(vec![
            "messages[0].key: expected a string".into(),
            "messages[0].parts: expected an array".into(),
            r#"messages[3].parts[0].buttons[1].action.message: no message with key "talk_to_human""#.into(),
            r#"persistent_menu[1].action.message: no message with key "talk_to_human""#.into(),
            r#"triggers.keywords[0].message: no message with key "talk_to_human""#.into(),
        ])
    );
}

#[test]
fn unknown_part_type_and_fields_of_other_types() {
    let mut f = fixture();
    f["messages"][0]["parts"][0]["type"] = json!("video");
    f["messages"][2]["parts"][0] = json!({"type": "image", "url": "https://e.com/a.png",
        "text": "caption", "quick_replies": []});
    f["messages"][3]["parts"][0]["seconds"] = json!(3);
    assert_eq!(
        sorted(problems(&f)),
        [
            r#"messages[0].parts[0].type: unknown part type "video" (expected text, image, typing)"#,
            "messages[2].parts[0].text: unknown field",
            "messages[3].parts[0].seconds: unknown field",
        ]
    );
}

#[test]
fn wrong_types_and_missing_fields_in_parts_and_actions() {
    let mut f = fixture();
    f["messages"][3]["parts"] = json!([
        {"type": "typing", "seconds": -1},
        {"type": "typing", "seconds": 1.5},
        {"type": "typing"},
        {"text": "no type"},
        {"type": 3},
        "text",
        {"type": "text", "text": "ok", "buttons": {}},
        {"type": "text", "text": "ok", "buttons": [
            {"title": "A"},
            {"title": "B", "action": {"type": "handover", "confirmation": "now_human"}},
            {"title": "C", "action": {"type": "handover", "target": "page", "confirmation": "now_human"}},
            {"title": "D", "action": {"type": "url"}},
            {"title": ["E"], "action": "go_to"}
        ]}
    ]);
    assert_eq!(
        sorted(problems(&f)),
        sorted(
            [
                "messages[3].parts[0].seconds: expected a whole number",
                "messages[3].parts[1].seconds: expected a whole number",
                "messages[3].parts[2].seconds: missing",
                "messages[3].parts[3].type: missing",
                "messages[3].parts[4].type: expected a string",
                "messages[3].parts[5]: expected an object",
                "messages[3].parts[6].buttons: expected an array",
                "messages[3].parts[7].buttons: more than 3 buttons (5)",
                "messages[3].parts[7].buttons[0].action: missing",
                "messages[3].parts[7].buttons[1].action.target: missing",
                r#"messages[3].parts[7].buttons[2].action.target: unknown handover target "page" (expected page_inbox)"#,
                "messages[3].parts[7].buttons[3].action.url: missing",
                "messages[3].parts[7].buttons[4].title: expected a string",
                "messages[3].parts[7].buttons[4].action: expected an object",
            ]
            .map(String::from)
            .to_vec()
        )
    );
}

#[test]
fn triggers_handover_and_menu_shapes() {
    let mut f = fixture();
    f["triggers"]["get_started"] = json!(1);
    f["triggers"]["keywords"][1] =
        json!({"match": "exact", "words": ["menu", 5], "message": "main_menu", "x": 1});
    f["handover"] = json!({"to_inbox": "now_human"});
    f["persistent_menu"][0] = json!({"title": "Main menu"});
    assert_eq!(
        sorted(problems(&f)),
        [
            "handover.to_inbox: unknown field",
            "persistent_menu[0].action: missing",
            "triggers.get_started: expected a string",
            "triggers.keywords[1].words[1]: expected a string",
            "triggers.keywords[1].x: unknown field",
        ]
    );
    let mut f = fixture();
    f["triggers"] = json!("main_menu");
    assert_eq!(problems(&f), ["triggers: expected an object"]);
}

#[test]
fn version_checks() {
    let mut f = fixture();
    f["version"] = json!("1");
    assert_eq!(problems(&f), ["version: expected a whole number"]);
    f["version"] = json!(2);
    assert_eq!(
        problems(&f),
        ["version: unsupported version 2 (this Baton reads version 1)"]
    );
}

#[test]
fn nulls_and_absent_optionals_are_accepted() {
    let mut f = fixture();
    f["handover"] = Value::Null;
    f["greeting"] = Value::Null;
    f["messages"][0]["parts"][0]["quick_replies"] = Value::Null;
    f.as_object_mut().unwrap().remove("persistent_menu");
    f.as_object_mut().unwrap().remove("triggers");
    let flow = parse_flow(&f.to_string()).expect("valid");
    assert!(flow.handover.is_none() && flow.greeting.is_none());
    assert!(flow.triggers.keywords.is_empty());
}

#[test]
fn warnings_do_not_block_import() {
    let mut f = fixture();
    f["messages"][3]["parts"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "typing", "seconds": 2}));
    let flow = parse_flow(&f.to_string()).expect("warnings only");
    let warnings = flows::validate(&flow);
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].severity, Severity::Warning);
}
