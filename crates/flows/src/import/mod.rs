//! Import: `parse_flow` reads a flow file and reports every problem with its JSON path.
//!
//! The JSON is parsed into a `serde_json::Value` first and walked by hand (serde's derive
//! stops at the first error). Broken values are replaced by placeholders so the walk goes on
//! and [`crate::validate::validate`] can still check everything else; validation problems at or under a
//! broken path are dropped because they would only repeat the structural problem.

mod walk;

use serde_json::Value;

use crate::model::{
    Action, Button, Flow, HandoverSettings, HandoverTarget, ImagePart, KeywordRule, MatchKind,
    MenuItem, Message, Part, QuickReply, TextPart, Triggers, TypingPart,
};
use crate::problem::{field, index, Problem, ROOT_PATH};
use walk::{Obj, Walker};

/// Parses and validates a flow file. `Err` holds every error found (structure, unknown
/// fields, limits, references), each with its path; warnings never cause `Err` (call
/// [`crate::validate::validate`] on the result to show them).
pub fn parse_flow(json: &str) -> Result<Flow, Vec<Problem>> {
    match serde_json::from_str::<Value>(json) {
        Ok(v) => flow_from_value(&v),
        Err(e) => Err(vec![Problem::error(
            ROOT_PATH,
            format!("not valid JSON: {e}"),
        )]),
    }
}

/// Like [`parse_flow`], for an already parsed JSON value.
pub fn flow_from_value(value: &Value) -> Result<Flow, Vec<Problem>> {
    let mut w = Walker::default();
    let flow = read_flow(&mut w, value);
    let mut problems = std::mem::take(&mut w.problems);
    if let Some(flow) = &flow {
        problems.extend(
            crate::validate::validate(flow)
                .into_iter()
                .filter(|p| p.is_error())
                .filter(|p| !w.is_broken(&p.path)),
        );
    }
    match flow {
        Some(flow) if problems.is_empty() => Ok(flow),
        _ => Err(problems),
    }
}

fn read_flow(w: &mut Walker, v: &Value) -> Option<Flow> {
    const FIELDS: &[&str] = &[
        "version",
        "messages",
        "triggers",
        "handover",
        "persistent_menu",
        "greeting",
    ];
    let map = w.object(v, "", FIELDS)?;
    let version = w.req_u32(map, "", "version", crate::model::FLOW_VERSION);
    let messages = w
        .array(map, "", "messages", true)
        .iter()
        .enumerate()
        .map(|(i, m)| read_message(w, m, &index("messages", i)))
        .collect();
    let triggers = match map.get("triggers") {
        None | Some(Value::Null) => Triggers::default(),
        Some(t) => read_triggers(w, t),
    };
    let handover = match map.get("handover") {
        None | Some(Value::Null) => None,
        Some(h) => w
            .object(
                h,
                "handover",
                &[
                    "to_inbox_message",
                    "back_to_bot_message",
                    "unavailable_text",
                ],
            )
            .map(|m| HandoverSettings {
                to_inbox_message: w.opt_str(m, "handover", "to_inbox_message"),
                back_to_bot_message: w.opt_str(m, "handover", "back_to_bot_message"),
                unavailable_text: w.opt_str(m, "handover", "unavailable_text"),
            }),
    };
    let persistent_menu = w
        .array(map, "", "persistent_menu", false)
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let path = index("persistent_menu", i);
            let (title, action) = read_titled(w, item, &path);
            MenuItem { title, action }
        })
        .collect();
    let greeting = w.opt_str(map, "", "greeting");
    Some(Flow {
        version,
        messages,
        triggers,
        handover,
        persistent_menu,
        greeting,
    })
}

fn read_message(w: &mut Walker, v: &Value, path: &str) -> Message {
    let Some(map) = w.object(v, path, &["key", "name", "parts"]) else {
        return placeholder_message();
    };
    let parts_path = field(path, "parts");
    Message {
        key: w.req_str(map, path, "key"),
        name: w.req_str(map, path, "name"),
        parts: w
            .array(map, path, "parts", true)
            .iter()
            .enumerate()
            .map(|(i, p)| read_part(w, p, &index(&parts_path, i)))
            .collect(),
    }
}

fn placeholder_message() -> Message {
    Message {
        key: String::new(),
        name: String::new(),
        parts: Vec::new(),
    }
}

fn read_part(w: &mut Walker, v: &Value, path: &str) -> Part {
    let placeholder = Part::Typing(TypingPart { seconds: 1 });
    let Some(map) = w.tagged_object(v, path) else {
        return placeholder;
    };
    let Some(tag) = w.tag(map, path) else {
        return placeholder;
    };
    match tag {
        "text" => {
            w.unknown_fields(map, path, &["text", "buttons", "quick_replies"]);
            let buttons_path = field(path, "buttons");
            Part::Text(TextPart {
                text: w.req_str(map, path, "text"),
                buttons: w
                    .array(map, path, "buttons", false)
                    .iter()
                    .enumerate()
                    .map(|(i, b)| {
                        let (title, action) = read_titled(w, b, &index(&buttons_path, i));
                        Button { title, action }
                    })
                    .collect(),
                quick_replies: read_quick_replies(w, map, path),
            })
        }
        "image" => {
            w.unknown_fields(map, path, &["url", "quick_replies"]);
            Part::Image(ImagePart {
                url: w.req_str(map, path, "url"),
                quick_replies: read_quick_replies(w, map, path),
            })
        }
        "typing" => {
            w.unknown_fields(map, path, &["seconds"]);
            Part::Typing(TypingPart {
                seconds: w.req_u32(map, path, "seconds", 1),
            })
        }
        other => {
            w.fail(
                &field(path, "type"),
                path,
                format!("unknown part type {other:?} (expected text, image, typing)"),
            );
            placeholder
        }
    }
}

fn read_quick_replies(w: &mut Walker, map: &Obj, path: &str) -> Vec<QuickReply> {
    let qr_path = field(path, "quick_replies");
    w.array(map, path, "quick_replies", false)
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let (title, action) = read_titled(w, q, &index(&qr_path, i));
            QuickReply { title, action }
        })
        .collect()
}

/// `{ "title": ..., "action": {...} }`: buttons, quick replies and menu items.
fn read_titled(w: &mut Walker, v: &Value, path: &str) -> (String, Action) {
    let Some(map) = w.object(v, path, &["title", "action"]) else {
        return (String::new(), placeholder_action());
    };
    let title = w.req_str(map, path, "title");
    let action_path = field(path, "action");
    let action = match map.get("action") {
        Some(a) => read_action(w, a, &action_path),
        None => {
            w.fail(&action_path, &action_path, "missing");
            placeholder_action()
        }
    };
    (title, action)
}

fn placeholder_action() -> Action {
    Action::GoTo {
        message: String::new(),
    }
}

fn read_action(w: &mut Walker, v: &Value, path: &str) -> Action {
    let Some(map) = w.tagged_object(v, path) else {
        return placeholder_action();
    };
    let Some(tag) = w.tag(map, path) else {
        return placeholder_action();
    };
    match tag {
        "go_to" => {
            w.unknown_fields(map, path, &["message"]);
            Action::GoTo {
                message: w.req_str(map, path, "message"),
            }
        }
        "url" => {
            w.unknown_fields(map, path, &["url"]);
            Action::Url {
                url: w.req_str(map, path, "url"),
            }
        }
        "handover" => {
            w.unknown_fields(map, path, &["target", "confirmation"]);
            let target_path = field(path, "target");
            let target = match map.get("target") {
                Some(Value::String(s)) if s == "page_inbox" => HandoverTarget::PageInbox,
                Some(Value::String(s)) => {
                    let msg = format!("unknown handover target {s:?} (expected page_inbox)");
                    w.fail(&target_path, &target_path, msg);
                    HandoverTarget::PageInbox
                }
                Some(_) => {
                    w.fail(&target_path, &target_path, "expected a string");
                    HandoverTarget::PageInbox
                }
                None => {
                    w.fail(&target_path, &target_path, "missing");
                    HandoverTarget::PageInbox
                }
            };
            Action::Handover {
                target,
                confirmation: w.req_str(map, path, "confirmation"),
            }
        }
        "return_to_bot" => {
            w.unknown_fields(map, path, &["confirmation"]);
            Action::ReturnToBot {
                confirmation: w.req_str(map, path, "confirmation"),
            }
        }
        other => {
            w.fail(
                &field(path, "type"),
                path,
                format!(
                    "unknown action type {other:?} (expected go_to, url, handover, return_to_bot)"
                ),
            );
            placeholder_action()
        }
    }
}

fn read_triggers(w: &mut Walker, v: &Value) -> Triggers {
    let path = "triggers";
    let Some(map) = w.object(v, path, &["get_started", "fallback", "keywords"]) else {
        // Placeholder with a (blank) Get Started, so the menu's "needs Get Started" rule does
        // not repeat this problem.
        return Triggers {
            get_started: Some(String::new()),
            ..Triggers::default()
        };
    };
    let kw_path = field(path, "keywords");
    Triggers {
        get_started: w.opt_str(map, path, "get_started"),
        fallback: w.opt_str(map, path, "fallback"),
        keywords: w
            .array(map, path, "keywords", false)
            .iter()
            .enumerate()
            .map(|(i, k)| read_keyword(w, k, &index(&kw_path, i)))
            .collect(),
    }
}

fn read_keyword(w: &mut Walker, v: &Value, path: &str) -> KeywordRule {
    let Some(map) = w.object(v, path, &["match", "words", "message"]) else {
        return KeywordRule {
            match_kind: MatchKind::Exact,
            words: Vec::new(),
            message: String::new(),
        };
    };
    let match_path = field(path, "match");
    let match_kind = match map.get("match") {
        Some(Value::String(s)) if s == "exact" => MatchKind::Exact,
        Some(Value::String(s)) if s == "contains" => MatchKind::Contains,
        Some(Value::String(s)) => {
            let msg = format!("unknown match {s:?} (expected exact, contains)");
            w.fail(&match_path, &match_path, msg);
            MatchKind::Exact
        }
        Some(_) => {
            w.fail(&match_path, &match_path, "expected a string");
            MatchKind::Exact
        }
        None => {
            w.fail(&match_path, &match_path, "missing");
            MatchKind::Exact
        }
    };
    let words_path = field(path, "words");
    let words = w
        .array(map, path, "words", true)
        .iter()
        .enumerate()
        .map(|(i, word)| match word {
            Value::String(s) => s.clone(),
            _ => {
                let p = index(&words_path, i);
                w.fail(&p, &p, "expected a string");
                String::new()
            }
        })
        .collect();
    KeywordRule {
        match_kind,
        words,
        message: w.req_str(map, path, "message"),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_flow;

    #[test]
    fn the_unavailable_text_defaults_and_round_trips_through_the_file() {
        let mut flow = crate::kit::example_flow();
        assert_eq!(
            flow.unavailable_text(),
            crate::model::DEFAULT_UNAVAILABLE_TEXT
        );
        assert!(
            !crate::export::to_json(&flow).contains("unavailable_text"),
            "absent stays absent"
        );
        flow.handover.as_mut().unwrap().unavailable_text = Some("Back on Monday".into());
        assert_eq!(flow.unavailable_text(), "Back on Monday");
        let json = crate::export::to_json(&flow);
        assert!(
            json.contains(r#""unavailable_text": "Back on Monday""#),
            "{json}"
        );
        assert_eq!(parse_flow(&json), Ok(flow));
    }
}
