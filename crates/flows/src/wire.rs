//! How [`Part`] and [`Action`] are read back with serde (stored versions and drafts on the
//! server, the editor's flow in the browser).
//!
//! Both are written as internally tagged objects (`{"type": "text", "text": ...}`). serde's
//! derive reads such enums by first buffering the whole object in a generic `Content` tree and
//! then reading it again per variant; in the browser build that machinery, instantiated for
//! every tagged type, was the largest single part of the Messages editor's code. Here each is
//! read as one flat object with every field of every variant optional, then checked for the
//! fields its `type` needs. It accepts what the derive accepted (fields of other variants are
//! ignored, as unknown fields were) and fails on what it failed on (an unknown `type`, a
//! missing field, a wrong JSON type). The flow file importer (`parse_flow`) does not use this:
//! it walks the JSON itself to name every problem with its path.

use serde::Deserialize;

use crate::model::{
    Action, Button, HandoverTarget, ImagePart, Part, QuickReply, TextPart, TypingPart,
};

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum PartType {
    Text,
    Image,
    Typing,
}

/// A part as it is written: the fields of all three part types.
#[derive(Deserialize)]
pub(crate) struct PartWire {
    #[serde(rename = "type")]
    kind: PartType,
    text: Option<String>,
    #[serde(default)]
    buttons: Vec<Button>,
    #[serde(default)]
    quick_replies: Vec<QuickReply>,
    url: Option<String>,
    seconds: Option<u32>,
}

impl TryFrom<PartWire> for Part {
    type Error = &'static str;

    fn try_from(w: PartWire) -> Result<Self, Self::Error> {
        Ok(match w.kind {
            PartType::Text => Part::Text(TextPart {
                text: w.text.ok_or("missing field `text`")?,
                buttons: w.buttons,
                quick_replies: w.quick_replies,
            }),
            PartType::Image => Part::Image(ImagePart {
                url: w.url.ok_or("missing field `url`")?,
                quick_replies: w.quick_replies,
            }),
            PartType::Typing => Part::Typing(TypingPart {
                seconds: w.seconds.ok_or("missing field `seconds`")?,
            }),
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum ActionType {
    GoTo,
    Url,
    Handover,
    ReturnToBot,
}

/// An action as it is written: the fields of all four action types.
#[derive(Deserialize)]
pub(crate) struct ActionWire {
    #[serde(rename = "type")]
    kind: ActionType,
    message: Option<String>,
    url: Option<String>,
    target: Option<HandoverTarget>,
    confirmation: Option<String>,
}

impl TryFrom<ActionWire> for Action {
    type Error = &'static str;

    fn try_from(w: ActionWire) -> Result<Self, Self::Error> {
        const CONFIRMATION: &str = "missing field `confirmation`";
        Ok(match w.kind {
            ActionType::GoTo => Action::GoTo {
                message: w.message.ok_or("missing field `message`")?,
            },
            ActionType::Url => Action::Url {
                url: w.url.ok_or("missing field `url`")?,
            },
            ActionType::Handover => Action::Handover {
                target: w.target.ok_or("missing field `target`")?,
                confirmation: w.confirmation.ok_or(CONFIRMATION)?,
            },
            ActionType::ReturnToBot => Action::ReturnToBot {
                confirmation: w.confirmation.ok_or(CONFIRMATION)?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::export::to_json;
    use crate::kit::example_flow;
    use crate::model::{Action, Flow, Part};

    fn part(json: &str) -> Result<Part, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    fn action(json: &str) -> Result<Action, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        let flow = example_flow();
        let back: Flow = serde_json::from_str(&to_json(&flow)).unwrap();
        assert_eq!(back, flow);
    }

    #[test]
    fn each_type_reads_its_own_fields() {
        assert!(matches!(
            part(r#"{"type":"typing","seconds":3}"#),
            Ok(Part::Typing(t)) if t.seconds == 3
        ));
        assert!(matches!(
            part(r#"{"type":"image","url":"https://x.test/a.png","quick_replies":[{"title":"Hi","action":{"type":"go_to","message":"m"}}]}"#),
            Ok(Part::Image(i)) if i.quick_replies.len() == 1
        ));
        assert_eq!(
            action(r#"{"type":"handover","target":"page_inbox","confirmation":"c"}"#),
            Ok(Action::Handover {
                target: crate::model::HandoverTarget::PageInbox,
                confirmation: "c".into()
            })
        );
        assert_eq!(
            action(r#"{"type":"return_to_bot","confirmation":"c"}"#),
            Ok(Action::ReturnToBot {
                confirmation: "c".into()
            })
        );
    }

    #[test]
    fn malformed_parts_and_actions_are_refused() {
        for (json, why) in [
            (r#"{"type":"video","url":"u"}"#, "unknown variant `video`"),
            (r#"{"text":"no type"}"#, "missing field `type`"),
            (r#"{"type":"text"}"#, "missing field `text`"),
            (r#"{"type":"image"}"#, "missing field `url`"),
            (r#"{"type":"typing","seconds":-1}"#, "invalid value"),
            (r#"{"type":"text","text":7}"#, "invalid type"),
        ] {
            let err = part(json).unwrap_err();
            assert!(err.contains(why), "{json}: {err}");
        }
        for (json, why) in [
            (r#"{"type":"call"}"#, "unknown variant `call`"),
            (r#"{"type":"go_to"}"#, "missing field `message`"),
            (
                r#"{"type":"handover","confirmation":"c"}"#,
                "missing field `target`",
            ),
            (
                r#"{"type":"handover","target":"elsewhere","confirmation":"c"}"#,
                "unknown variant",
            ),
            (
                r#"{"type":"return_to_bot"}"#,
                "missing field `confirmation`",
            ),
        ] {
            let err = action(json).unwrap_err();
            assert!(err.contains(why), "{json}: {err}");
        }
    }
}
